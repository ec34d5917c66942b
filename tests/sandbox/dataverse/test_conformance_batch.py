"""Conformance: `$batch` as Microsoft documents it, one test per documented behaviour.

Written from the documentation, not from our connectors: each test builds the multipart body by hand and
sends it with httpx to the sandbox. Source for all tests here unless a test says otherwise:
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
"""

from __future__ import annotations

import re
import uuid

import httpx

from inolink_tui.sandbox.dataverse.batch import reason_phrase
from tests.sandbox.dataverse.harness import API, Sandbox

DOC = (
    "https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api"
)
MISSING = "00000000-0000-0000-0000-0000000000aa"


def _part(method: str, url: str, body: str | None = None, headers: dict[str, str] | None = None) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary", "", f"{method} {url} HTTP/1.1"]
    if body is not None:
        lines.append("Content-Type: application/json; type=entry")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines += ["", body or ""]
    return "\r\n".join(lines)


async def _batch(sb: Sandbox, parts: list[str], **headers: str) -> httpx.Response:
    boundary = f"batch_{uuid.uuid4()}"
    text = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts) + f"--{boundary}--\r\n"
    return await sb.client.post(
        f"{API}/$batch",
        content=text.encode(),
        headers=sb.headers(**{"Content-Type": f'multipart/mixed; boundary="{boundary}"', **headers}),
    )


def _status_lines(text: str) -> list[str]:
    return re.findall(r"^HTTP/1\.1 \d{3}[^\r\n]*", text, re.MULTILINE)


async def test_inner_status_lines_carry_the_spaced_reason_phrase(sb: Sandbox) -> None:
    # Source: DOC, "Batch responses": inner parts read `HTTP/1.1 204 No Content` and `HTTP/1.1 200 OK`.
    account = await sb.create("accounts", {"name": "Batch parent"})
    response = await _batch(
        sb,
        [
            _part("POST", "/api/data/v9.2/accounts", '{"name": "Created in batch"}'),
            _part("GET", f"/api/data/v9.2/accounts({account})?$select=name"),
        ],
    )
    assert response.status_code == 200
    assert _status_lines(response.text) == ["HTTP/1.1 204 No Content", "HTTP/1.1 200 OK"]


async def test_representation_create_inside_a_batch_reads_201_created(sb: Sandbox) -> None:
    # Source: DOC (status-line format) and
    # https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/create-entity-web-api
    # (`Prefer: return=representation` makes a create answer 201). The docs show no 201 *inside* a batch;
    # its phrase "Created" is the standard one, as for the documented 204/400 parts.
    response = await _batch(
        sb,
        [_part("POST", "/api/data/v9.2/accounts", '{"name": "R"}', {"Prefer": "return=representation"})],
    )
    assert _status_lines(response.text) == ["HTTP/1.1 201 Created"]


async def test_failed_part_reads_400_bad_request_and_becomes_the_batch_status(sb: Sandbox) -> None:
    # Source: DOC, "Handling errors": without continue-on-error the batch status is the failure's status and
    # the only part is `HTTP/1.1 400 Bad Request` with REQ_ID and the JSON error.
    response = await _batch(
        sb,
        [
            _part("POST", "/api/data/v9.2/accounts", '{"name": "' + "x" * 161 + '"}'),
            _part("POST", "/api/data/v9.2/accounts", '{"name": "never runs"}'),
        ],
    )
    assert response.status_code == 400
    assert _status_lines(response.text) == ["HTTP/1.1 400 Bad Request"]
    assert re.search(r"^REQ_ID: ", response.text, re.MULTILINE)


async def test_continue_on_error_answers_200_with_every_part(sb: Sandbox) -> None:
    # Source: DOC, "Handling errors": with `Prefer: odata.continue-on-error` the batch answers 200 OK and the
    # failed part (`400 Bad Request`) is followed by the later parts (`204 No Content`).
    response = await _batch(
        sb,
        [
            _part("POST", "/api/data/v9.2/accounts", '{"name": "' + "x" * 161 + '"}'),
            _part("POST", "/api/data/v9.2/accounts", '{"name": "runs"}'),
        ],
        Prefer="odata.continue-on-error",
    )
    assert response.status_code == 200
    assert _status_lines(response.text) == ["HTTP/1.1 400 Bad Request", "HTTP/1.1 204 No Content"]


async def test_not_found_part_reads_404_not_found(sb: Sandbox) -> None:
    # Source: DOC for the status-line format; the 404 for a missing row is documented in
    # https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
    # The batch page shows no 404 part: "Not Found" is the standard phrase, as for its 204/400 parts.
    response = await _batch(sb, [_part("GET", f"/api/data/v9.2/accounts({MISSING})")])
    assert response.status_code == 404
    assert _status_lines(response.text) == ["HTTP/1.1 404 Not Found"]


async def test_stale_if_match_part_reads_412_precondition_failed(sb: Sandbox) -> None:
    # Source: DOC for the format; the 412 for a stale If-Match is documented in
    # https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
    account = await sb.create("accounts", {"name": "Versioned"})
    response = await _batch(
        sb,
        [_part("PATCH", f"/api/data/v9.2/accounts({account})", '{"name": "v2"}', {"If-Match": 'W/"1"'})],
    )
    assert response.status_code == 412
    assert _status_lines(response.text) == ["HTTP/1.1 412 Precondition Failed"]


async def test_conditional_get_part_reads_304_not_modified(sb: Sandbox) -> None:
    # Source: DOC for the format; 304 for an unchanged row is documented in
    # https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
    account = await sb.create("accounts", {"name": "Unchanged"})
    etag = (await sb.get(f"accounts({account})?$select=name")).headers["ETag"]
    response = await _batch(
        sb, [_part("GET", f"/api/data/v9.2/accounts({account})?$select=name", None, {"If-None-Match": etag})]
    )
    assert _status_lines(response.text) == ["HTTP/1.1 304 Not Modified"]


def test_reason_phrases_of_every_status_the_sandbox_emits() -> None:
    # Source: DOC shows 200 OK, 204 No Content, 400 Bad Request; the rest are the standard HTTP/1.1 phrases
    # (RFC 9110; RFC 6585 for 429). A 429 cannot occur *inside* a batch in the sandbox (a batch is throttled
    # as one request and answered with a plain JSON error, per
    # https://learn.microsoft.com/en-us/power-apps/developer/data-platform/api-limits), so it is checked here.
    expected = {
        200: "OK",
        201: "Created",
        204: "No Content",
        304: "Not Modified",
        400: "Bad Request",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        412: "Precondition Failed",
        429: "Too Many Requests",
        500: "Internal Server Error",
    }
    assert {status: reason_phrase(status) for status in expected} == expected


async def test_forward_reference_to_an_undeclared_content_id_is_a_400(sb: Sandbox) -> None:
    # Source: DOC, note under "Reference URIs in an operation": referencing a Content-ID before it is declared
    # answers 400 "Content-ID Reference: '$1' does not exist in the batch context."
    boundary, changeset = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    inner = (
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 2\r\n\r\n"
        "POST /api/data/v9.2/contacts HTTP/1.1\r\nContent-Type: application/json;type=entry\r\n\r\n"
        '{"firstname": "x", "parentcustomerid_account@odata.bind": "$1"}'
    )
    text = (
        f"--{boundary}\r\nContent-Type: multipart/mixed; boundary={changeset}\r\n\r\n"
        f"--{changeset}\r\n{inner}\r\n--{changeset}--\r\n--{boundary}--\r\n"
    )
    response = await sb.client.post(
        f"{API}/$batch",
        content=text.encode(),
        headers=sb.headers(**{"Content-Type": f"multipart/mixed; boundary={boundary}"}),
    )
    assert response.status_code == 400
    assert "Content-ID Reference: '$1' does not exist in the batch context." in response.text


def _parts(text: str) -> list[str]:
    """Each inner HTTP response (status line onwards) in order."""
    return [chunk for chunk in re.split(r"\r\n--[^\r\n]+", text) if "HTTP/1.1 " in chunk]


def _headers_of(part: str) -> list[str]:
    head = part.split("HTTP/1.1 ", 1)[1].split("\r\n\r\n", 1)[0]
    return [line.split(":", 1)[0] for line in head.split("\r\n")[1:]]


async def test_part_headers_as_the_docs_print_them(sb: Sandbox) -> None:
    # Source: DOC, "Batch responses" and "Handling errors": a create's 204 part carries OData-Version, Location
    # and OData-EntityId; a collection GET's 200 part `Content-Type: application/json; odata.metadata=minimal;
    # odata.streaming=true` and OData-Version; a failed part REQ_ID, Content-Type and OData-Version.
    account = await sb.create("accounts", {"name": "Parent"})
    response = await _batch(
        sb,
        [
            _part("POST", "/api/data/v9.2/contacts", '{"lastname": "Task 1 in batch"}'),
            _part("GET", f"/api/data/v9.2/accounts({account})/contact_customer_accounts?$select=lastname"),
            _part("POST", "/api/data/v9.2/accounts", '{"nonsense": 1}'),
        ],
        Prefer="odata.continue-on-error",
    )
    created, listed, failed = _parts(response.text)
    assert _headers_of(created) == ["OData-Version", "Location", "OData-EntityId"]
    assert _headers_of(listed) == ["Content-Type", "OData-Version"]
    assert "Content-Type: application/json; odata.metadata=minimal; odata.streaming=true" in listed
    assert _headers_of(failed) == ["REQ_ID", "Content-Type", "OData-Version"]
    assert "Content-Type: application/json; odata.metadata=minimal\r\n" in failed
