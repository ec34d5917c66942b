"""HTTP layer of the QuickBooks Online v3 API: auth, throttles, requestid replay, envelopes and routing.

One handler takes every `/v3/company/{realm}/...` path so unknown paths answer like the service does:
HTTP 400 with Fault 500 "Unsupported Operation". Success bodies are `application/json;charset=utf-8`,
faults `application/json` without a charset, and every answer carries an `Intuit-Tid` header.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from inolink_tui.sandbox import jsonfmt
from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.faults import throttle_body
from inolink_tui.sandbox.intuit.state import IntuitState
from inolink_tui.sandbox.options import QboLimits, RequestIdMode
from inolink_tui.sandbox.quickbooks import errors, xmlfmt
from inolink_tui.sandbox.quickbooks.batch import batch_items, run_batch, too_many
from inolink_tui.sandbox.quickbooks.cdc import run_cdc
from inolink_tui.sandbox.quickbooks.custom_fields import without_api_custom_fields
from inolink_tui.sandbox.quickbooks.entities import spec_for
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.pdf import PDF_FORMS, form_pdf
from inolink_tui.sandbox.quickbooks.query import run_query
from inolink_tui.sandbox.quickbooks.reports import run_report
from inolink_tui.sandbox.quickbooks.rules.currency import exchange_rate_for
from inolink_tui.sandbox.quickbooks.state import QboState, render
from inolink_tui.sandbox.quickbooks.throttle import RealmThrottle

SUCCESS_TYPE = "application/json;charset=utf-8"
FAULT_TYPE = "application/json"
MAX_REQUESTID = 50
MAX_BATCH_REQUESTID = 36
MAX_REMEMBERED_REQUESTS = 50_000


@dataclass(frozen=True)
class StoredAnswer:
    body_hash: str
    status: int
    content_type: str
    body: bytes


class QboApi:
    def __init__(
        self,
        state: QboState,
        intuit: IntuitState,
        clock: SandboxClock,
        limits: QboLimits,
        *,
        requestid_mode: RequestIdMode = "replay",
        cdc_lookback_days: int = 30,
    ) -> None:
        self.state = state
        self.intuit = intuit
        self.clock = clock
        self.limits = limits
        self.requestid_mode = requestid_mode
        self.cdc_lookback_days = cdc_lookback_days
        self.throttle = RealmThrottle(limits, clock)
        self.answers: dict[str, StoredAnswer] = {}

    # -- responses -------------------------------------------------------------------------------------
    def _headers(self, started: float) -> dict[str, str]:
        elapsed = int((time.perf_counter() - started) * 1000)
        return {
            "Intuit-Tid": "1-" + secrets.token_hex(12),
            "QBO-Version": "1988.128",
            "Service-Time": f"total={elapsed}, db={elapsed // 3}",
            "Cache-Control": "max-age=0, no-cache, no-store, must-revalidate, private",
            "Expires": "0",
            "Strict-Transport-Security": "max-age=15552000",
            "Server": "nginx",
        }

    def _ok(self, payload: dict[str, Any], started: float, *, xml: bool = False) -> Response:
        if xml:  # xmlfmt.py: asked for by `Accept: application/xml`
            body = xmlfmt.to_xml(payload, self.state.response_time())
            return Response(body, 200, headers=self._headers(started), media_type=xmlfmt.MEDIA_TYPE)
        # a report carries its time in Header.Time, with no envelope (report-entities/aragingsummary)
        stamped = payload if "Header" in payload else {**payload, "time": self.state.response_time()}
        body = jsonfmt.dumps(stamped).encode()
        return Response(body, 200, headers=self._headers(started), media_type=SUCCESS_TYPE)

    def fault_response(self, fault: QboFault, started: float, *, xml: bool = False) -> Response:
        if xml:
            body = xmlfmt.to_xml({"Fault": fault.fault_json()}, self.state.response_time())
            return Response(body, fault.status, headers=self._headers(started), media_type=xmlfmt.MEDIA_TYPE)
        body = jsonfmt.dumps({"Fault": fault.fault_json(), "time": self.state.response_time()}).encode()
        return Response(body, fault.status, headers=self._headers(started), media_type=FAULT_TYPE)

    def _unauthorized(self, detail: str, started: float) -> Response:
        epoch_ms = int(self.clock.now().timestamp() * 1000)
        headers = self._headers(started) | {"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
        body = jsonfmt.dumps(errors.auth_failure_body(detail, epoch_ms)).encode()
        return Response(body, 401, headers=headers, media_type=FAULT_TYPE)

    def _throttled(self, retry_after: str | None, started: float) -> Response:
        body, media = throttle_body("qbo", self.state.response_time(), json_qbo=self.limits.throttle_body == "json")
        headers = self._headers(started)
        if retry_after is not None:
            headers["Retry-After"] = retry_after
        return Response(body, 429, headers=headers, media_type=media)

    # -- entry point --------------------------------------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v3/company/{realm}/{rest:path}", self.handle, methods=["GET", "POST"]),
            Route("/v3/company/{realm}", self.handle, methods=["GET", "POST"]),
        ]

    async def handle(self, request: Request) -> Response:
        started = time.perf_counter()
        realm = request.path_params["realm"]
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        problem = self.intuit.access_problem(token.strip() if scheme.lower() == "bearer" else None, realm)
        if problem is not None:
            return self._unauthorized(problem, started)
        if self.intuit.lacks_accounting_scope(token.strip()):
            body = jsonfmt.dumps(errors.scope_failure_body(int(self.clock.now().timestamp() * 1000))).encode()
            return Response(body, 403, headers=self._headers(started), media_type=FAULT_TYPE)
        raw = await request.body()
        parts = [p for p in request.path_params.get("rest", "").split("/") if p]
        is_batch = request.method == "POST" and parts == ["batch"]
        parsed: Any = None
        cost = 1
        try:
            if request.method == "POST" and parts != ["query"]:
                xml_body = xmlfmt.wants_xml(request.headers.get("content-type"))
                parsed = self._parse_body(raw, parts[0] if parts else "", xml=xml_body)
            if is_batch:
                items = batch_items(parsed)
                if len(items) > self.limits.batch_max_items:
                    raise too_many(len(items), self.limits.batch_max_items)
                cost = max(1, len(items))
        except QboFault as fault:
            return self.fault_response(fault, started, xml=xmlfmt.wants_xml(request.headers.get("accept")))
        is_report = request.method == "GET" and len(parts) == 2 and parts[0] == "reports"
        refusal = self.throttle.admit(cost, batch=is_batch, report=is_report)
        if refusal is not None:
            retry = self.throttle.retry_after_header(refusal) if self.limits.retry_after else None
            return self._throttled(retry, started)
        self.throttle.in_flight += 1
        try:
            if self.limits.latency_seconds > 0:
                await asyncio.sleep(self.clock.to_wall(self.limits.latency_seconds))
            return self._dispatch(request, parts, raw, parsed, started)
        finally:
            self.throttle.in_flight -= 1

    def _parse_body(self, raw: bytes, entity: str, *, xml: bool = False) -> Any:
        """The request body as the JSON shape (an XML body, `Content-Type: application/xml`, is mapped onto it)."""
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise errors.unsupported("Operation Could not decode the request body as UTF-8 is not supported.") from None
        if not text.strip():
            raise errors.malformed_body(entity or "request", "the body is empty")
        try:
            return xmlfmt.from_xml(text) if xml else jsonfmt.loads(text)
        except ValueError as exc:
            raise errors.malformed_body(entity or "request", str(exc)) from None

    def _dispatch(self, request: Request, parts: list[str], raw: bytes, parsed: Any, started: float) -> Response:
        requestid = request.query_params.get("requestid")
        is_write = request.method == "POST" and parts[:1] != ["query"]
        key = None
        if is_write and requestid is not None:
            limit = MAX_BATCH_REQUESTID if parts == ["batch"] else MAX_REQUESTID
            if len(requestid) > limit:
                too_long = errors.string_length("requestid", limit, len(requestid))
                return self.fault_response(too_long, started, xml=xmlfmt.wants_xml(request.headers.get("accept")))
            key = requestid
            body_hash = hashlib.sha256(request.url.path.encode() + b"?" + request.url.query.encode() + raw).hexdigest()
            previous = self.answers.get(key)
            if previous is not None:
                if self.requestid_mode == "fault600" and previous.body_hash != body_hash:
                    return self.fault_response(
                        QboFault("600", "Duplicate Request ID", f"Duplicate Request ID : {requestid}"), started
                    )
                headers = self._headers(started)
                return Response(previous.body, previous.status, headers=headers, media_type=previous.content_type)
        response = self._execute(request, parts, raw, parsed, started, with_requestid=requestid is not None)
        if key is not None and response.status_code in (200, 400):
            if len(self.answers) >= MAX_REMEMBERED_REQUESTS:
                self.answers.pop(next(iter(self.answers)))
            self.answers[key] = StoredAnswer(
                body_hash, response.status_code, response.media_type or FAULT_TYPE, bytes(response.body)
            )
        return response

    def _execute(
        self, request: Request, parts: list[str], raw: bytes, parsed: Any, started: float, *, with_requestid: bool
    ) -> Response:
        xml = xmlfmt.wants_xml(request.headers.get("accept"))
        try:
            if request.method == "GET" and len(parts) == 3 and parts[2] == "pdf":
                return self._pdf(parts, started)
            return self._ok(self._route(request, parts, raw, parsed, with_requestid), started, xml=xml)
        except QboFault as fault:
            return self.fault_response(fault, started, xml=xml)

    def _pdf(self, parts: list[str], started: float) -> Response:
        """A sales form as PDF (pdf.py); other entities have no such resource (Fault 500, as any unknown path)."""
        spec = spec_for(parts[0])
        if spec is None or parts[0] != spec.path or spec.name not in PDF_FORMS:
            raise errors.unsupported(f"Operation pdf is not supported for {parts[0]}.")
        record = self.state.read(spec.name, parts[1])
        company = next(iter(self.state.records["CompanyInfo"].values()), {}).get("CompanyName", "")
        body = form_pdf(spec.name, record, str(company))
        return Response(body, 200, headers=self._headers(started), media_type="application/pdf")

    def _route(
        self, request: Request, parts: list[str], raw: bytes, parsed: Any, with_requestid: bool
    ) -> dict[str, Any]:
        method = request.method
        params = request.query_params
        head = parts[0].lower() if parts else ""
        if head == "query" and len(parts) == 1:
            if method == "GET":
                text = params.get("query")
            else:
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise errors.unsupported(
                        "Operation Could not decode the query as UTF-8 is not supported."
                    ) from None
            if not text:
                raise errors.required("query")
            return {"QueryResponse": run_query(self.state, text)}
        if head == "cdc" and len(parts) == 1 and method == "GET":
            return {
                "CDCResponse": run_cdc(
                    self.state, params.get("entities"), params.get("changedSince"), self.cdc_lookback_days
                )
            }
        if head == "exchangerate" and len(parts) == 1 and method == "GET":
            rate = exchange_rate_for(self.state, params.get("sourcecurrencycode"), params.get("asofdate"))
            return {"ExchangeRate": render(rate)}
        if head == "reports" and len(parts) == 2 and method == "GET":
            return run_report(self.state, parts[1], params)
        if head == "batch" and len(parts) == 1 and method == "POST":
            answers = run_batch(self.state, batch_items(parsed), with_requestid=with_requestid, write=self._batch_write)
            return {"BatchItemResponse": answers}
        spec = spec_for(head) if head else None
        if spec is None or parts[0] != spec.path:
            raise errors.unsupported_path(request.url.path, str(request.url))
        if spec.kind == "company":
            if len(parts) == 2 and method == "GET":
                # the company is read at /companyinfo/<realmId>, while its record's Id is "1"
                record_id = "1" if parts[1] == self.state.realm_id else parts[1]
                return {spec.name: self.state.read(spec.name, record_id)}
            if len(parts) == 1 and method == "POST":
                sparse = isinstance(parsed, dict) and parsed.get("sparse") is True
                return {spec.name: self.state.update(spec.name, self._object(parsed, spec.name), sparse=sparse)}
            raise errors.unsupported_path(request.url.path, str(request.url))
        if spec.kind == "settings":
            # one record per company at /preferences: read it, or send the sections to change with the
            # current SyncToken (reference example: no Id, no "sparse"); sections sent are merged
            if len(parts) == 1 and method == "GET":
                return {spec.name: self.state.read(spec.name, "1")}
            if len(parts) == 1 and method == "POST":
                body = {**self._object(parsed, spec.name), "Id": "1"}
                if body.get("SyncToken") in (None, ""):
                    raise errors.required("SyncToken")
                return {spec.name: self.state.update(spec.name, body, sparse=True)}
            raise errors.unsupported_path(request.url.path, str(request.url))
        if len(parts) == 2 and method == "GET":
            record = self.state.read(spec.name, parts[1])
            return {spec.name: without_api_custom_fields(spec.name, record, params.get("include"))}
        if len(parts) == 1 and method == "POST":
            operation = params.get("operation", "")
            if operation == "update" and params.get("include") == "void":
                operation = "void"
            body = self._object(parsed, spec.name)
            return {spec.name: self._write(spec.name, operation or ("update" if "Id" in body else "create"), body)}
        raise errors.unsupported_path(request.url.path, str(request.url))

    @staticmethod
    def _object(parsed: Any, entity: str) -> dict[str, Any]:
        if not isinstance(parsed, dict):
            raise errors.malformed_body(entity, "expected a JSON object")
        return parsed

    def _write(self, entity: str, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = spec_for(entity)
        assert spec is not None
        if spec.kind == "readonly" and operation in ("create", "update", ""):
            raise errors.unsupported(f"Operation {operation.capitalize()} is not supported for {spec.name}.")
        if operation == "create":
            if body.get("Id") not in (None, ""):
                raise errors.unsupported(f"Operation Create with an Id is not supported for {spec.name}.")
            return self.state.create(spec.name, body)
        if operation == "update":
            if body.get("SyncToken") in (None, ""):
                raise errors.required("SyncToken")
            return self.state.update(spec.name, body, sparse=body.get("sparse") is True)
        if operation in ("delete", "void"):
            if body.get("SyncToken") in (None, ""):
                raise errors.required("SyncToken")
            if operation == "delete":
                return self.state.delete(spec.name, body)
            return self.state.void(spec.name, body)
        raise errors.unsupported(f"Operation {operation} is not supported.")

    def _batch_write(self, entity: str, operation: str, body: dict[str, Any], options: str | None) -> dict[str, Any]:
        if operation == "update" and options == "void":
            operation = "void"
        if operation == "update" and "Id" not in body:
            raise errors.required("Id")
        return self._write(entity, operation, body)
