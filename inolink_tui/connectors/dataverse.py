"""Async client for the Dataverse Web API (Dynamics 365): the calls the sync engine makes, nothing more.

Everything goes through `ApiTransport` (budget, concurrency, throttle gate, retries, one re-auth on
401). Updates send `If-Match: *` because a PATCH without it silently creates the row; concurrency-
checked updates send the row's ETag and re-read/re-apply on 412 `0x80060882`.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from inolink_tui.connectors.dataverse_auth import DataverseTokenProvider
from inolink_tui.connectors.dataverse_batch import BatchOperation, BatchPart, build_batch, parse_batch
from inolink_tui.connectors.errors import DataverseError, ProtocolError
from inolink_tui.connectors.events import EventSink
from inolink_tui.connectors.limits import ApiLimiter, Clock
from inolink_tui.connectors.odata import Filter, prop, record_path
from inolink_tui.connectors.retry import Backoff
from inolink_tui.connectors.settings import DataverseSettings
from inolink_tui.connectors.transport import ApiTransport, OwnedClientLifecycle, TokenSource, shared_tls
from inolink_tui.domain.errors import ErrorFacts, Service

log = logging.getLogger(__name__)

BASE_HEADERS = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
CONCURRENCY_MISMATCH = "0x80060882"
MAX_PAGES = 100_000
"""A guard against a server that never stops paging (each page is up to 5,000 rows)."""
BATCH_ERROR_STATUSES = frozenset({400, 403, 404, 405, 409, 412, 413})


def parse_error(response: httpx.Response) -> DataverseError:
    """`{"error": {"code": "0x8004...", "message": ...}}`, or whatever text came back."""
    code: str | None = None
    message = ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = str(body["error"].get("code") or "") or None
        message = str(body["error"].get("message") or "")
    elif response.text:
        message = response.text.strip()[:500]
    if not message and response.status_code == 401:
        message = response.headers.get("WWW-Authenticate", "unauthorized")
    trace = response.headers.get("REQ_ID") or response.headers.get("x-ms-service-request-id")
    return DataverseError(ErrorFacts(Service.DATAVERSE, response.status_code, code, message), trace_id=trace)


@dataclass(frozen=True, slots=True)
class Changes:
    """One round of change tracking: rows new or updated since the last delta link, deleted ids, next link."""

    upserted: list[dict[str, Any]]
    deleted: list[str]
    delta_link: str
    full: bool = False
    """True when this is a complete set (first call, or a resync after the old link expired)."""


DELTA_EXPIRED_CODES = frozenset({"0x80044352"})


def is_delta_expired(error: DataverseError) -> bool:
    """The change-tracking token is too old: only a full resync helps (the real code is undocumented)."""
    return error.status in (400, 410) and (
        (error.code or "").lower() in DELTA_EXPIRED_CODES or "version stamp" in error.message.lower()
    )


@dataclass(slots=True)
class WriteResult:
    id: str | None
    row: dict[str, Any] | None = None
    created: bool | None = None
    etag: str | None = field(default=None)


def _entity_id(response: httpx.Response) -> str | None:
    ref = response.headers.get("OData-EntityId")
    if not ref:
        return None
    found = re.search(r"\(([0-9a-fA-F-]{36})\)\s*$", ref)
    return found.group(1) if found else None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise ProtocolError(
            ErrorFacts(Service.DATAVERSE, response.status_code, "bad_json", f"not JSON: {response.text[:200]!r}")
        ) from exc


class DataverseClient(OwnedClientLifecycle):
    def __init__(
        self,
        settings: DataverseSettings,
        *,
        tokens: TokenSource | None = None,
        http: httpx.AsyncClient | None = None,
        limiter: ApiLimiter | None = None,
        events: EventSink | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.settings = settings
        self.token_provider = tokens if tokens is not None else DataverseTokenProvider(settings, events=events)
        self._owns_http = http is None
        self.http = http or httpx.AsyncClient(
            base_url=settings.api_root,
            timeout=httpx.Timeout(settings.timeout_seconds),
            headers=BASE_HEADERS,
            verify=shared_tls(),
        )
        self.limiter = limiter or ApiLimiter(
            requests=settings.requests_per_window,
            window=settings.window_seconds,
            concurrency=settings.max_concurrency,
            execution_seconds=settings.execution_seconds or None,
            clock=clock,
        )
        self.transport = ApiTransport(
            service=Service.DATAVERSE,
            client=self.http,
            limiter=self.limiter,
            backoff=Backoff(settings.retry, rng),
            tokens=self.token_provider,
            parse_error=parse_error,
            events=events,
        )

    def _url(self, path: str) -> str:
        return self.settings.api_root + path.lstrip("/")

    async def _send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: str | None = None,
        ok_statuses: frozenset[int] = frozenset(),
    ) -> httpx.Response:
        url = path_or_url if path_or_url.startswith(("http://", "https://")) else self._url(path_or_url)
        return await self.transport.send(
            method,
            url,
            params=params,
            headers={**BASE_HEADERS, **(headers or {})},
            json=json_body,
            content=content,
            ok_statuses=ok_statuses,
        )

    # --- reads ---
    async def who_am_i(self) -> dict[str, Any]:
        """`UserId`, `BusinessUnitId`, `OrganizationId` of the application user (the cheapest auth check)."""
        body = _json(await self._send("GET", "WhoAmI"))
        if not isinstance(body, dict) or "UserId" not in body:
            raise ProtocolError(ErrorFacts(Service.DATAVERSE, 200, "bad_body", "WhoAmI answered without UserId"))
        return body

    async def get(
        self, entity_set: str, record_id: str, *, select: list[str] | None = None, expand: str | None = None
    ) -> dict[str, Any]:
        params: dict[str, str] = {}
        if select:
            params["$select"] = ",".join(prop(s) for s in select)
        if expand:
            params["$expand"] = expand
        body = _json(await self._send("GET", record_path(entity_set, record_id), params=params))
        if not isinstance(body, dict):
            raise ProtocolError(ErrorFacts(Service.DATAVERSE, 200, "bad_body", "a record read returned no object"))
        return body

    async def iter_rows(
        self,
        entity_set: str,
        *,
        filter: Filter | None = None,
        select: list[str] | None = None,
        orderby: list[str] | None = None,
        expand: str | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching row, page by page, following `@odata.nextLink` exactly as given."""
        params: dict[str, str] = {}
        if filter is not None:
            params["$filter"] = filter.text
        if select:
            params["$select"] = ",".join(prop(s) for s in select)
        if orderby:
            params["$orderby"] = ",".join(_order(o) for o in orderby)
        if expand:
            params["$expand"] = expand
        size = page_size or self.settings.page_size
        headers = {"Prefer": f"odata.maxpagesize={size}"}
        url: str | None = self._url(prop(entity_set))
        seen: set[str] = set()
        first = True
        for _ in range(MAX_PAGES):
            if url is None:
                return
            response = await self._send("GET", url, params=params if first else None, headers=headers)
            first = False
            body = _json(response)
            rows = body.get("value", []) if isinstance(body, dict) else None
            url = body.get("@odata.nextLink") if isinstance(body, dict) else None
            if not isinstance(rows, list) or not isinstance(url, str | None):
                raise ProtocolError(ErrorFacts(Service.DATAVERSE, 200, "bad_body", "a page without a value list"))
            for row in rows:
                yield row
            if url is not None:
                if url in seen:
                    raise ProtocolError(
                        ErrorFacts(Service.DATAVERSE, 200, "paging_loop", "the server repeated a nextLink")
                    )
                seen.add(url)
        raise ProtocolError(ErrorFacts(Service.DATAVERSE, 200, "paging_loop", f"more than {MAX_PAGES} pages"))

    async def list_rows(self, entity_set: str, **kwargs: Any) -> list[dict[str, Any]]:
        return [row async for row in self.iter_rows(entity_set, **kwargs)]

    # --- writes ---
    async def create(
        self, entity_set: str, body: Mapping[str, Any], *, return_representation: bool = False
    ) -> WriteResult:
        headers = {"Content-Type": "application/json"}
        if return_representation:
            headers["Prefer"] = "return=representation"
        response = await self._send("POST", prop(entity_set), headers=headers, json_body=dict(body))
        row = _json(response) if response.status_code == 201 and response.content else None
        record_id = _entity_id(response)
        if record_id is None and isinstance(row, dict):
            record_id = _primary_key(entity_set, row)
        return WriteResult(record_id, row, True, response.headers.get("ETag"))

    async def update(
        self,
        entity_set: str,
        record_id: str,
        changes: Mapping[str, Any],
        *,
        etag: str = "*",
        return_representation: bool = False,
    ) -> WriteResult:
        """Update-only PATCH: `If-Match: *` (404 if the row is gone) or the row's ETag (412 if it changed)."""
        headers = {"Content-Type": "application/json", "If-Match": etag}
        if return_representation:
            headers["Prefer"] = "return=representation"
        response = await self._send(
            "PATCH", record_path(entity_set, record_id), headers=headers, json_body=dict(changes)
        )
        row = _json(response) if response.status_code == 200 and response.content else None
        return WriteResult(_entity_id(response) or record_id, row, False, response.headers.get("ETag"))

    async def upsert(
        self, entity_set: str, record_id: str, body: Mapping[str, Any], *, create_only: bool = False
    ) -> WriteResult:
        """PATCH without If-Match: creates the row with this id or updates it (safe to replay).

        `create_only` sends `If-None-Match: *`: an existing row is refused with 412 0x80040237 (duplicate).
        """
        headers = {"Content-Type": "application/json", "Prefer": "return=representation"}
        if create_only:
            headers["If-None-Match"] = "*"
        response = await self._send("PATCH", record_path(entity_set, record_id), headers=headers, json_body=dict(body))
        row = _json(response) if response.content else None
        created = response.status_code == 201 if response.status_code in (200, 201) else None
        return WriteResult(_entity_id(response) or record_id, row, created, response.headers.get("ETag"))

    async def update_checked(
        self,
        entity_set: str,
        record_id: str,
        apply: Callable[[dict[str, Any]], Mapping[str, Any] | None],
        *,
        select: list[str] | None = None,
        attempts: int = 3,
    ) -> WriteResult | None:
        """Read, compute the change from the current row, PATCH with its ETag; on 412 re-read and re-apply.

        `apply` returns the columns to change, or None when nothing needs changing any more.
        """
        for attempt in range(1, attempts + 1):
            row = await self.get(entity_set, record_id, select=select)
            changes = apply(row)
            if not changes:
                return None
            etag = str(row.get("@odata.etag") or "*")
            try:
                return await self.update(entity_set, record_id, changes, etag=etag)
            except DataverseError as exc:
                if exc.status != 412 or exc.code != CONCURRENCY_MISMATCH or attempt == attempts:
                    raise
                log.info("%s(%s) changed meanwhile; re-reading (attempt %d)", entity_set, record_id, attempt)
        return None

    async def delete(self, entity_set: str, record_id: str) -> None:
        await self._send("DELETE", record_path(entity_set, record_id))

    # --- change tracking ---
    async def track_changes(
        self,
        entity_set: str,
        *,
        select: list[str] | None = None,
        delta_link: str | None = None,
        resync_on_expiry: bool = False,
    ) -> Changes:
        """First call (no link): every row plus a delta link. Later calls: what changed since, and the next link.

        Keep the returned `delta_link` (e.g. in the store's cursors). An expired link raises a
        `DataverseError` (`is_delta_expired()` tells it apart); with `resync_on_expiry` the answer is a
        full resync instead (`full=True`; deletions in between cannot be reported).
        """
        if delta_link:
            try:
                return await self._track(entity_set, select, delta_link)
            except DataverseError as exc:
                if not resync_on_expiry or not is_delta_expired(exc):
                    raise
                log.warning("%s: change-tracking link expired; resynchronising in full", entity_set)
                select = select or _select_of(delta_link)
        return await self._track(entity_set, select, None)

    async def _track(self, entity_set: str, select: list[str] | None, delta_link: str | None) -> Changes:
        headers = {"Prefer": f"odata.track-changes,odata.maxpagesize={self.settings.page_size}"}
        url: str | None
        params: dict[str, str] | None = None
        if delta_link:
            check_same_origin(delta_link, self.settings.org_url)
            url = delta_link
        else:
            url = self._url(prop(entity_set))
            if select:
                params = {"$select": ",".join(prop(s) for s in select)}
        upserted: list[dict[str, Any]] = []
        deleted: list[str] = []
        for _ in range(MAX_PAGES):
            if url is None:
                break
            body = _json(await self._send("GET", url, params=params, headers=headers))
            params = None
            for row in body.get("value", []):
                if row.get("reason") == "deleted" or str(row.get("@odata.context", "")).endswith("$deletedEntity"):
                    deleted.append(str(row.get("id")))
                else:
                    upserted.append(row)
            if "@odata.deltaLink" in body:
                return Changes(upserted, deleted, str(body["@odata.deltaLink"]), full=delta_link is None)
            url = body.get("@odata.nextLink")
        raise ProtocolError(ErrorFacts(Service.DATAVERSE, 200, "no_delta_link", "change tracking gave no delta link"))

    # --- batch ---
    async def batch(
        self, operations: list[BatchOperation], *, atomic: bool = True, continue_on_error: bool = False
    ) -> list[BatchPart]:
        """Send up to 1,000 operations as one request (one request against the budget).

        Atomic batches put everything in one changeset: all succeed or none does. The parts come
        back in request order; failed parts carry a `DataverseError` via `part_error()`.
        """
        api_path = urlsplit(self.settings.api_root).path
        content_type, body = build_batch(operations, api_path, atomic=atomic)
        headers = {"Content-Type": content_type}
        if continue_on_error:
            headers["Prefer"] = "odata.continue-on-error"
        response = await self._send("POST", "$batch", headers=headers, content=body, ok_statuses=BATCH_ERROR_STATUSES)
        answer_type = response.headers.get("Content-Type", "")
        if not answer_type.lower().startswith("multipart/"):
            if response.status_code >= 400:
                raise parse_error(response)
            raise ProtocolError(
                ErrorFacts(Service.DATAVERSE, response.status_code, "bad_body", "batch answer is not multipart")
            )
        try:
            return parse_batch(answer_type, response.text)
        except ValueError as exc:
            raise ProtocolError(ErrorFacts(Service.DATAVERSE, response.status_code, "bad_body", str(exc))) from exc


def part_error(part: BatchPart) -> DataverseError | None:
    """The typed error of a failed batch part (None for a success)."""
    if part.ok:
        return None
    code: str | None = None
    message = ""
    if isinstance(part.body, dict) and isinstance(part.body.get("error"), dict):
        code = str(part.body["error"].get("code") or "") or None
        message = str(part.body["error"].get("message") or "")
    elif part.body is not None:
        message = part.body if isinstance(part.body, str) else json.dumps(part.body)
    return DataverseError(
        ErrorFacts(Service.DATAVERSE, part.status, code, message), trace_id=part.headers.get("req_id")
    )


def _order(clause: str) -> str:
    name, _, direction = clause.strip().partition(" ")
    direction = direction.strip().lower()
    if direction not in ("", "asc", "desc"):
        raise ValueError(f"bad $orderby direction in {clause!r}")
    return f"{prop(name)} {direction}".strip()


def _primary_key(entity_set: str, row: Mapping[str, Any]) -> str | None:
    singular = entity_set[:-1] if entity_set.endswith("s") else entity_set
    value = row.get(f"{singular}id")
    return str(value) if value else None


def _select_of(link: str) -> list[str] | None:
    values = parse_qs(urlsplit(link).query).get("$select")
    return [v for v in values[0].split(",") if v] if values else None


def check_same_origin(link: str, org_url: str) -> None:
    """A delta link read back from storage must point at our org (the bearer token goes with it)."""
    a, b = urlsplit(link), urlsplit(org_url)
    if (a.scheme, a.netloc) != (b.scheme, b.netloc):
        raise ValueError(f"delta link {link[:80]!r} does not belong to {org_url}")
