"""Async client for the QuickBooks Online Accounting API (v3): reads, queries, idempotent writes, batch, CDC.

Every write carries a `requestid` (see `requestid.py`): a retried write is replayed by QuickBooks,
never executed twice. Errors arrive as `Fault` bodies, as the lower-case `fault` of a 401, or as XML
for a 429; all become `QuickBooksError` with code, detail and element.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from inolink_tui.connectors import requestid
from inolink_tui.connectors.errors import ProtocolError, QuickBooksError
from inolink_tui.connectors.events import EventSink
from inolink_tui.connectors.limits import ApiLimiter, Clock
from inolink_tui.connectors.qbo_auth import QuickBooksTokenProvider, TokenStorage
from inolink_tui.connectors.qbo_query import IN_CHUNK, MAX_RESULTS, QboQuery, entity_name
from inolink_tui.connectors.retry import Backoff
from inolink_tui.connectors.settings import QuickBooksClientSettings
from inolink_tui.connectors.transport import ApiTransport, OwnedClientLifecycle, TokenSource, shared_tls
from inolink_tui.domain.errors import ErrorFacts, Service

log = logging.getLogger(__name__)

BASE_HEADERS = {"Accept": "application/json"}
STALE_OBJECT = "5010"
MAX_BATCH = 30
MAX_BATCH_REQUESTID = 36
MAX_BID = 10
MAX_QUERY_PAGES = 10_000


def _ci_get(mapping: Mapping[str, Any], key: str) -> Any:
    """QuickBooks spells the same key `Fault`/`fault`, `Error`/`error`, `Detail`/`detail`."""
    if key in mapping:
        return mapping[key]
    wanted = key.lower()
    for name, value in mapping.items():
        if name.lower() == wanted:
            return value
    return None


def fault_facts(body: Any, status: int | None) -> ErrorFacts | None:
    """Facts of the first error in a `Fault`/`fault` object (None when the body holds no fault)."""
    if not isinstance(body, Mapping):
        return None
    fault = _ci_get(body, "Fault")
    if not isinstance(fault, Mapping):
        return None
    errors = _ci_get(fault, "Error")
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
    code = _ci_get(first, "code")
    element = _ci_get(first, "element")
    return ErrorFacts(
        Service.QUICKBOOKS,
        status,
        str(code) if code is not None else None,
        str(_ci_get(first, "Message") or _ci_get(fault, "type") or ""),
        str(_ci_get(first, "Detail") or ""),
        str(element) if element else None,
    )


_XML_CODE = re.compile(r"<Error[^>]*\bcode=\"(\d+)\"", re.IGNORECASE)
_XML_TAG = {name: re.compile(rf"<{name}>(.*?)</{name}>", re.IGNORECASE | re.DOTALL) for name in ("Message", "Detail")}


def parse_error(response: httpx.Response) -> QuickBooksError:
    """Decide on the HTTP status first, then read whatever body came (JSON either case, XML, or nothing)."""
    status = response.status_code
    trace = response.headers.get("intuit_tid") or response.headers.get("Intuit-Tid")
    facts: ErrorFacts | None = None
    try:
        facts = fault_facts(response.json(), status)
    except ValueError:
        text = response.text
        code = _XML_CODE.search(text)
        if code:
            message, detail = (_XML_TAG[n].search(text) for n in ("Message", "Detail"))
            facts = ErrorFacts(
                Service.QUICKBOOKS,
                status,
                code.group(1),
                message.group(1).strip() if message else "",
                detail.group(1).strip() if detail else "",
            )
        elif text.strip():
            facts = ErrorFacts(Service.QUICKBOOKS, status, None, text.strip()[:500])
    if facts is None:
        facts = ErrorFacts(Service.QUICKBOOKS, status, None, f"HTTP {status} without an error body")
    return QuickBooksError(facts, trace_id=trace)


@dataclass(frozen=True, slots=True)
class BatchItemResult:
    bid: str
    entity: str | None
    """The entity key of a success (e.g. "Customer"), "QueryResponse" for a query item."""
    body: Any
    error: QuickBooksError | None


@dataclass(frozen=True, slots=True)
class CdcResult:
    changed: dict[str, list[dict[str, Any]]]
    deleted: dict[str, list[str]]
    time: str | None
    """The server's time of the answer: use it as the next `changedSince` (not the local clock)."""


class QuickBooksClient(OwnedClientLifecycle):
    def __init__(
        self,
        settings: QuickBooksClientSettings,
        *,
        tokens: TokenSource | None = None,
        store: TokenStorage | None = None,
        http: httpx.AsyncClient | None = None,
        limiter: ApiLimiter | None = None,
        events: EventSink | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        """One client per realm: its limiter is the realm's budget, so share the client rather than make two.

        Pass `tokens`, or a token `store` from which a `QuickBooksTokenProvider` is built.
        """
        if tokens is None:
            if store is None:
                raise ValueError("QuickBooksClient needs tokens or a token store")
            tokens = QuickBooksTokenProvider(settings, store, events=events)
        self.settings = settings
        self.token_provider = tokens
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_seconds), headers=BASE_HEADERS, verify=shared_tls()
        )
        self.limiter = limiter or ApiLimiter(
            requests=settings.requests_per_minute,
            window=60.0,
            per_second=settings.requests_per_second,
            concurrency=settings.max_concurrency,
            clock=clock,
        )
        self.transport = ApiTransport(
            service=Service.QUICKBOOKS,
            client=self.http,
            limiter=self.limiter,
            backoff=Backoff(settings.retry, rng),
            tokens=self.token_provider,
            parse_error=parse_error,
            events=events,
        )

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: str | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        query = {"minorversion": str(self.settings.minor_version), **(params or {})}
        headers = dict(BASE_HEADERS)
        if content_type:
            headers["Content-Type"] = content_type
        response = await self.transport.send(
            method,
            f"{self.settings.company_url}/{path}",
            params=query,
            headers=headers,
            json=json_body,
            content=content,
        )
        try:
            body = response.json()
        except ValueError as exc:
            raise ProtocolError(
                ErrorFacts(Service.QUICKBOOKS, response.status_code, "bad_json", f"not JSON: {response.text[:200]!r}")
            ) from exc
        if not isinstance(body, dict):
            raise ProtocolError(ErrorFacts(Service.QUICKBOOKS, response.status_code, "bad_body", "not a JSON object"))
        facts = fault_facts(body, response.status_code)
        if facts is not None:  # a 200 that still carries a fault: treat it as the error it is
            raise QuickBooksError(facts, trace_id=response.headers.get("intuit_tid"))
        return body

    @staticmethod
    def _entity(body: Mapping[str, Any], entity: str) -> dict[str, Any]:
        value = body.get(entity)
        if not isinstance(value, dict):
            raise ProtocolError(ErrorFacts(Service.QUICKBOOKS, 200, "bad_body", f"answer holds no {entity}"))
        return value

    # --- reads ---
    async def company_info(self) -> dict[str, Any]:
        body = await self._call("GET", f"companyinfo/{self.settings.realm_id}")
        return self._entity(body, "CompanyInfo")

    async def read(self, entity: str, entity_id: str) -> dict[str, Any]:
        if not entity_id.isdigit():
            raise ValueError(f"{entity_id!r} is not a QuickBooks Id")
        # Customer and Vendor custom fields of the Custom Fields API come back only when asked for (Intuit, "Custom
        # Fields API" use cases: `?minorversion=70&include=enhancedAllCustomFields`).
        params = {"include": "enhancedAllCustomFields"} if entity in ("Customer", "Vendor") else None
        body = await self._call("GET", f"{entity_name(entity).lower()}/{entity_id}", params=params)
        return self._entity(body, entity)

    async def query(self, text: str) -> dict[str, Any]:
        """Run one query (text from `QboQuery`); returns the `QueryResponse` object."""
        body = await self._call("GET", "query", params={"query": text})
        response = body.get("QueryResponse")
        if not isinstance(response, dict):
            raise ProtocolError(ErrorFacts(Service.QUICKBOOKS, 200, "bad_body", "answer holds no QueryResponse"))
        return response

    async def report(self, name: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        """One Reports API report (GET reports/<name>), e.g. AgedReceivables; the body as QuickBooks sends it."""
        if not name.isalnum():
            raise ValueError(f"{name!r} is not a report name")
        body = await self._call("GET", f"reports/{name}", params=dict(params or {}))
        if not isinstance(body, dict) or "Header" not in body:
            raise ProtocolError(ErrorFacts(Service.QUICKBOOKS, 200, "bad_body", f"answer holds no {name} report"))
        return body

    async def exchange_rate(self, source_currency: str, as_of: str | None = None) -> dict[str, Any]:
        """The rate in force for a currency (GET exchangerate?sourcecurrencycode=&asofdate=, all-entities/exchangerate):
        home-currency units per one unit of `source_currency`."""
        params = {"sourcecurrencycode": source_currency, **({"asofdate": as_of} if as_of else {})}
        return self._entity(await self._call("GET", "exchangerate", params=params), "ExchangeRate")

    async def iter_query(self, query: QboQuery, *, page_size: int = MAX_RESULTS) -> AsyncIterator[dict[str, Any]]:
        """Every matching row, STARTPOSITION page by page; stops on an empty or short page."""
        start = 1
        for _ in range(MAX_QUERY_PAGES):
            page = await self.query(query.text(start=start, max_results=page_size))
            rows = page.get(query.entity) or []
            for row in rows:
                yield row
            if len(rows) < page_size:
                return
            start += len(rows)
        raise ProtocolError(ErrorFacts(Service.QUICKBOOKS, 200, "paging_loop", f"more than {MAX_QUERY_PAGES} pages"))

    async def query_all(self, query: QboQuery, *, page_size: int = MAX_RESULTS) -> list[dict[str, Any]]:
        return [row async for row in self.iter_query(query, page_size=page_size)]

    async def count(self, query: QboQuery) -> int:
        page = await self.query(query.count_text())
        return int(page.get("totalCount", 0))

    async def find_by_values(
        self, entity: str, field: str, values: Iterable[str], *, include_inactive: bool = False
    ) -> dict[str, list[dict[str, Any]]]:
        """Bulk lookup with IN (...), chunked: {value: rows whose field equals it (case-insensitively)}."""
        wanted = list(dict.fromkeys(values))
        found: dict[str, list[dict[str, Any]]] = {v: [] for v in wanted}
        by_fold: dict[str, list[str]] = {}
        for value in wanted:
            by_fold.setdefault(value.casefold(), []).append(value)
        for chunk_start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[chunk_start : chunk_start + IN_CHUNK]
            query = QboQuery(entity).where_in(field, chunk)
            if include_inactive:
                query = query.include_inactive()
            async for row in self.iter_query(query):
                key = str(row.get(field, "")).casefold()
                for original in by_fold.get(key, []):
                    found[original].append(row)
        return found

    # --- writes ---
    async def create(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        """Create with an idempotency key: the same `request_id` returns the first answer again."""
        answer = await self._call(
            "POST",
            entity_name(entity).lower(),
            params={"requestid": requestid.check(request_id)},
            json_body=dict(body),
            content_type="application/json",
        )
        return self._entity(answer, entity)

    async def sparse_update(
        self,
        entity: str,
        entity_id: str,
        sync_token: str,
        changes: Mapping[str, Any],
        *,
        request_id: str,
        retry_stale: bool = True,
    ) -> dict[str, Any]:
        """Change only `changes`. On Stale Object (5010), if allowed, re-read for the current SyncToken and retry once.

        The retry uses a derived requestid: the first id is bound to the stale answer.
        """
        body = {**dict(changes), "Id": entity_id, "SyncToken": sync_token, "sparse": True}
        try:
            return await self._post_update(entity, body, request_id)
        except QuickBooksError as exc:
            if exc.code != STALE_OBJECT or not retry_stale:
                raise
        current = await self.read(entity, entity_id)
        log.info(
            "%s %s was stale (SyncToken %s); retrying with %s", entity, entity_id, sync_token, current.get("SyncToken")
        )
        body["SyncToken"] = str(current.get("SyncToken", sync_token))
        return await self._post_update(entity, body, requestid.derived(request_id, "stale-retry"))

    async def _post_update(self, entity: str, body: dict[str, Any], request_id: str) -> dict[str, Any]:
        answer = await self._call(
            "POST",
            entity_name(entity).lower(),
            params={"requestid": requestid.check(request_id)},
            json_body=body,
            content_type="application/json",
        )
        return self._entity(answer, entity)

    async def batch(self, items: list[dict[str, Any]], *, request_id: str | None = None) -> list[BatchItemResult]:
        """Up to 30 independent items (`bId`, `operation`, entity object or `Query`), correlated by bId."""
        if not items:
            return []
        if len(items) > MAX_BATCH:
            raise ValueError(f"a QuickBooks batch holds at most {MAX_BATCH} items, got {len(items)}")
        bids = [str(item.get("bId", "")) for item in items]
        if any(not b for b in bids) or len(set(bids)) != len(bids):
            raise ValueError("every batch item needs a unique bId")
        if request_id is not None and (len(request_id) > MAX_BATCH_REQUESTID or any(len(b) > MAX_BID for b in bids)):
            raise ValueError(
                f"with a requestid, a batch's id is at most {MAX_BATCH_REQUESTID} characters and each bId {MAX_BID}"
            )
        params = {"requestid": requestid.check(request_id)} if request_id else None
        answer = await self._call(
            "POST", "batch", params=params, json_body={"BatchItemRequest": items}, content_type="application/json"
        )
        by_bid: dict[str, BatchItemResult] = {}
        for item in answer.get("BatchItemResponse", []):
            if not isinstance(item, dict):
                continue
            bid = str(item.get("bId", ""))
            facts = fault_facts(item, None)
            if facts is not None:
                by_bid[bid] = BatchItemResult(bid, None, item, QuickBooksError(facts))
                continue
            key = next((k for k in item if k != "bId"), None)
            by_bid[bid] = BatchItemResult(bid, key, item.get(key) if key else None, None)
        missing = [b for b in bids if b not in by_bid]
        if missing:
            raise ProtocolError(ErrorFacts(Service.QUICKBOOKS, 200, "bad_body", f"batch answer lacks bId {missing}"))
        return [by_bid[b] for b in bids]

    async def cdc(self, entities: Iterable[str], changed_since: datetime) -> CdcResult:
        """Changes since `changed_since` (at most 30 days back, at most 1,000 objects per answer)."""
        if changed_since.tzinfo is None:
            raise ValueError("changed_since must be timezone-aware")
        names = [entity_name(e) for e in entities]
        if not names:
            raise ValueError("cdc needs at least one entity")
        answer = await self._call(
            "GET",
            "cdc",
            params={"entities": ",".join(names), "changedSince": changed_since.isoformat(timespec="seconds")},
        )
        changed: dict[str, list[dict[str, Any]]] = {}
        deleted: dict[str, list[str]] = {}
        for block in answer.get("CDCResponse", []):
            for group in (block or {}).get("QueryResponse", []):
                for key, rows in (group or {}).items():
                    if not isinstance(rows, list):
                        continue
                    for row in rows:
                        if isinstance(row, dict) and str(row.get("status", "")).lower() == "deleted":
                            deleted.setdefault(key, []).append(str(row.get("Id")))
                        elif isinstance(row, dict):
                            changed.setdefault(key, []).append(row)
        time = answer.get("time")
        return CdcResult(changed, deleted, str(time) if time is not None else None)
