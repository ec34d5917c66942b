"""`$batch`: multipart/mixed requests with change sets, parsed and answered by hand (CRLF on the wire).

Rules kept from the service (reference §12, §15.18): at most 1000 operations counting change-set
items; change sets are all-or-nothing (rolled back through `DataverseState.transaction`), may not
hold GETs, and may refer to earlier items by `Content-ID` as `$n` in the URL or in `@odata.bind`;
without `Prefer: odata.continue-on-error` processing stops at the first failure, whose status
becomes the batch's status and whose part is the only one returned; with it every operation gets
a part and the batch answers 200. A malformed batch is rejected whole with a plain JSON error.

Each part is run as the same request outside a batch would be, with its own headers only: its `Prefer`
(`odata.track-changes`, `odata.maxpagesize`, `return=representation`) applies to it alone and its answer carries
its own `Preference-Applied`, and a delta link given as its URL (relative or absolute) is followed as outside a
batch. Dataverse's batch page shows no change-tracking part (vague there); OData, which the page says it follows,
evaluates a batch's requests "according to the same semantics used when the request appears outside the context
of a batch request" and lets `track-changes` apply "to individual requests within a batch" (OData 4.01 Part 1,
§11.7 and §8.2.8: https://docs.oasis-open.org/odata/odata/v4.01/odata-v4.01-part1-protocol.html).
A batch is one request toward the request-count limit, whatever it holds ("Service protection API limits":
https://learn.microsoft.com/power-apps/developer/data-platform/api-limits): routes.py admits the HTTP request
once and nothing here admits the parts. The same page makes a batch's execution time the sum of its parts';
the sandbox's simulated latency (`DataverseLimits.latency_seconds`) is held once per HTTP request, so a batch
here is quicker than on the service by that latency times its parts less one (an approximation, not a rule).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.messages import JSON_TYPE, DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.state import API_PATH, DataverseState

MAX_OPERATIONS = 1000
REASON_PHRASES = {
    200: "OK",
    201: "Created",
    204: "No Content",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
"""The reason phrase of each inner status line: the standard HTTP/1.1 phrases, with their spaces.

Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
whose samples show `HTTP/1.1 200 OK`, `HTTP/1.1 204 No Content` and `HTTP/1.1 400 Bad Request` inside the
multipart body (only the *outer* status line of a failed batch reads `400 BadRequest`). The page shows no
other inner status; the others here are the standard phrases (RFC 9110, RFC 6585 for 429) as .NET's
HttpStatusCode spells them (hence 413 "Request Entity Too Large"): an inference, not a documented sample.
"""
Execute = Callable[[DvRequest], DvResponse]
_BOUNDARY = re.compile(r'boundary\s*=\s*"?([^";]+)"?', re.IGNORECASE)


@dataclass
class Operation:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    content_id: str | None


@dataclass
class ChangeSet:
    operations: list[Operation] = field(default_factory=list)


def _boundary(content_type: str) -> str:
    match = _BOUNDARY.search(content_type)
    if match is None or not content_type.lower().startswith("multipart/mixed"):
        raise errors.bad_request("The batch request must have a multipart/mixed Content-Type with a boundary.")
    return match.group(1).strip()


def _split(text: str, boundary: str) -> list[str]:
    """The parts between `--boundary` lines, up to `--boundary--`."""
    parts: list[str] = []
    current: list[str] | None = None
    for line in text.split("\n"):
        stripped = line.rstrip()
        if stripped == f"--{boundary}--":
            if current is not None:
                parts.append("\n".join(current))
            return parts
        if stripped == f"--{boundary}":
            if current is not None:
                parts.append("\n".join(current))
            current = []
        elif current is not None:
            current.append(line)
    raise errors.bad_request(f"The batch request is missing the closing boundary '--{boundary}--'.")


def _headers_and_rest(text: str) -> tuple[dict[str, str], str]:
    head, _, rest = text.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        if not line.strip():
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise errors.bad_request(f"The batch part header line '{line}' is malformed.")
        headers[name.strip().lower()] = value.strip()
    return headers, rest


def _operation(part: str) -> Operation:
    outer, inner = _headers_and_rest(part.lstrip("\n"))
    inner = inner.lstrip("\n")
    request_line, _, rest = inner.partition("\n")
    words = request_line.split()
    if len(words) < 2:
        raise errors.bad_request(f"The batch part request line '{request_line}' is malformed.")
    headers, body = _headers_and_rest(rest) if rest.strip() else ({}, "")
    content_id = outer.get("content-id") or headers.get("content-id")
    return Operation(words[0].upper(), words[1], headers, body.strip("\n").encode(), content_id)


def parse_batch(content_type: str, body: bytes) -> list[Operation | ChangeSet]:
    """The batch's items in order; raises a 400 DataverseError for anything malformed."""
    try:
        text = body.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as exc:
        raise errors.bad_request("The batch request body is not valid UTF-8.") from exc
    items: list[Operation | ChangeSet] = []
    for part in _split(text, _boundary(content_type)):
        headers, rest = _headers_and_rest(part.lstrip("\n"))
        part_type = headers.get("content-type", "")
        if part_type.lower().startswith("multipart/mixed"):
            changeset = ChangeSet()
            for inner in _split(rest, _boundary(part_type)):
                inner_headers, _ = _headers_and_rest(inner.lstrip("\n"))
                if inner_headers.get("content-type", "").lower().startswith("multipart/"):
                    raise errors.bad_request("Change sets cannot be nested.")
                operation = _operation(inner)
                if operation.method == "GET":
                    raise errors.bad_request("A GET request cannot be part of a change set.")
                changeset.operations.append(operation)
            items.append(changeset)
        else:
            items.append(_operation(part))
    count = sum(len(i.operations) if isinstance(i, ChangeSet) else 1 for i in items)
    if count > MAX_OPERATIONS:
        raise errors.bad_request(
            f"The number of requests in the batch ({count}) exceeded the limit of {MAX_OPERATIONS}.",
            errors.BATCH_TOO_LARGE,
        )
    return items


def _to_request(operation: Operation, user_id: str, references: dict[str, str]) -> DvRequest:
    url = operation.url
    if url.startswith("$"):
        name, sep, tail = url[1:].partition("/")
        ref = references.get(name)
        if ref is None:
            raise errors.bad_request(f"Content-ID Reference: '${name}' does not exist in the batch context.")
        url = ref + (sep + tail if sep else "")
    split = urlsplit(url)
    path = split.path
    index = path.find(API_PATH)
    if index >= 0:
        path = path[index + len(API_PATH) :]
    body = operation.body
    if body and b'"$' in body:  # a `$n` value: resolved, or the documented 400 when undeclared
        body = _substitute(body, references)
    return DvRequest(
        method=operation.method,
        path=path.lstrip("/"),
        params=parse_qsl(split.query, keep_blank_values=True),
        headers=operation.headers,
        body=body,
        user_id=user_id,
        in_batch=True,
    )


def _substitute(body: bytes, references: dict[str, str]) -> bytes:
    """Replace `"$n"` values of `@odata.bind` properties with the entity they refer to."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    for key, value in data.items():
        if key.endswith("@odata.bind") and isinstance(value, str) and value.startswith("$"):
            ref = references.get(value[1:])
            if ref is None:
                raise errors.bad_request(f"Content-ID Reference: '{value}' does not exist in the batch context.")
            data[key] = ref
    return json.dumps(data).encode()


@dataclass
class _Part:
    response: DvResponse
    content_id: str | None = None


def run_batch(state: DataverseState, request: DvRequest, execute: Execute) -> DvResponse:
    """Execute a parsed batch and build its multipart answer (or raise for whole-batch rejection)."""
    items = parse_batch(request.header("content-type") or "", request.body)
    continue_on_error = request.prefer.continue_on_error
    output: list[_Part | list[_Part]] = []
    for item in items:
        if isinstance(item, Operation):
            part = _Part(_run_one(request, item, {}, execute), item.content_id)
            if part.response.status >= 400 and not continue_on_error:
                return _emit([part], status=part.response.status)
            output.append(part)
            continue
        parts, failure = _run_changeset(state, request, item, execute)
        if failure is not None:
            if not continue_on_error:
                return _emit([failure], status=failure.response.status)
            output.append(failure)
        else:
            output.append(parts)
    return _emit(output, status=200)


def _run_one(request: DvRequest, operation: Operation, references: dict[str, str], execute: Execute) -> DvResponse:
    try:
        return execute(_to_request(operation, request.user_id, references))
    except errors.DataverseError as exc:
        return DvResponse.error(exc)


def _run_changeset(
    state: DataverseState, request: DvRequest, changeset: ChangeSet, execute: Execute
) -> tuple[list[_Part], _Part | None]:
    parts: list[_Part] = []
    references: dict[str, str] = {}
    failure: _Part | None = None

    class _Rollback(Exception):
        pass

    try:
        with state.transaction():
            for operation in changeset.operations:
                response = _run_one(request, operation, references, execute)
                if response.status >= 400:
                    failure = _Part(response, operation.content_id)
                    raise _Rollback
                entity = response.headers.get("OData-EntityId")
                if entity is None and response.body and operation.method == "POST":
                    entity = _entity_from_body(state, response)
                if operation.content_id and entity:
                    references[operation.content_id] = entity
                parts.append(_Part(response, operation.content_id))
    except _Rollback:
        return [], failure
    return parts, None


def _entity_from_body(state: DataverseState, response: DvResponse) -> str | None:
    """With return=representation a create has no OData-EntityId; rebuild it from the body's context and key."""
    try:
        data = json.loads(response.body)
        context = str(data["@odata.context"])
        entity_set = context.split("#", 1)[1].split("(", 1)[0].split("/", 1)[0]
        table = state.tables[entity_set]
        return state.entity_url(table, str(data[table.primary_key]))
    except (ValueError, KeyError, IndexError):
        return None


def reason_phrase(status: int) -> str:
    """The reason phrase for an inner status line (see REASON_PHRASES)."""
    if status in REASON_PHRASES:
        return REASON_PHRASES[status]
    return HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""


def _part_headers(response: DvResponse) -> dict[str, str]:
    """An inner response's headers in the order the batch docs print them.

    Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
    - a create's 204: `OData-Version`, `Location`, `OData-EntityId` (no REQ_ID);
    - a collection GET's 200: `Content-Type: application/json; odata.metadata=minimal; odata.streaming=true`,
      `OData-Version`;
    - a failure's 400: `REQ_ID`, `Content-Type: application/json; odata.metadata=minimal`, `OData-Version`.
    The docs show no single-row GET inside a batch; it keeps the plain JSON content type.
    """
    extra = dict(response.headers)
    headers: dict[str, str] = {}
    if response.status >= 400:
        headers["REQ_ID"] = str(uuid.uuid4())
    content_type = extra.pop("Content-Type", None)
    if content_type is not None:
        if content_type == JSON_TYPE and response.status == 200 and _is_collection(response.body):
            content_type += "; odata.streaming=true"
        headers["Content-Type"] = content_type
    headers["OData-Version"] = "4.0"
    if "OData-EntityId" in extra:
        headers["Location"] = extra["OData-EntityId"]
    headers.update(extra)
    return headers


def _is_collection(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except ValueError:
        return False
    return isinstance(data, dict) and isinstance(data.get("value"), list) and "@odata.context" in data


def _http_part(part: _Part) -> list[str]:
    response = part.response
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if part.content_id:
        lines.append(f"Content-ID: {part.content_id}")
    lines += ["", f"HTTP/1.1 {response.status} {reason_phrase(response.status)}".rstrip()]
    lines += [f"{name}: {value}" for name, value in _part_headers(response).items()]
    lines += ["", response.body.decode("utf-8")]
    return lines


def _emit(output: list[_Part | list[_Part]], *, status: int) -> DvResponse:
    boundary = f"batchresponse_{uuid.uuid4()}"
    lines: list[str] = []
    for item in output:
        lines.append(f"--{boundary}")
        if isinstance(item, _Part):
            lines += _http_part(item)
            continue
        inner = f"changesetresponse_{uuid.uuid4()}"
        lines += [f"Content-Type: multipart/mixed; boundary={inner}", ""]
        for part in item:
            lines.append(f"--{inner}")
            lines += _http_part(part)
        lines.append(f"--{inner}--")
    lines.append(f"--{boundary}--")
    lines.append("")
    return DvResponse(status, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, "\r\n".join(lines).encode())
