"""$batch: multipart parsing with CRLF, change sets, Content-ID references, failure handling, limits."""

from __future__ import annotations

import json
import re
import uuid

from tests.sandbox.dataverse.harness import API, Sandbox

PATH = "/api/data/v9.2"


def _request(method: str, url: str, body: dict | None = None, content_id: int | None = None, **headers: str) -> str:  # type: ignore[type-arg]
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id is not None:
        lines.append(f"Content-ID: {content_id}")
    lines += ["", f"{method} {url} HTTP/1.1"]
    if body is not None:
        lines.append("Content-Type: application/json; type=entry")
    lines += [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    lines += ["", json.dumps(body) if body is not None else ""]
    return "\r\n".join(lines)


def _batch(items: list[str | list[str]]) -> tuple[str, str]:
    boundary = f"batch_{uuid.uuid4()}"
    out: list[str] = []
    for item in items:
        out.append(f"--{boundary}")
        if isinstance(item, str):
            out.append(item)
            continue
        changeset = f"changeset_{uuid.uuid4()}"
        out += [f'Content-Type: multipart/mixed; boundary="{changeset}"', ""]
        for part in item:
            out += [f"--{changeset}", part]
        out.append(f"--{changeset}--")
    out += [f"--{boundary}--", ""]
    return boundary, "\r\n".join(out)


async def _send(sb: Sandbox, items: list[str | list[str]], **headers: str):  # type: ignore[no-untyped-def]
    boundary, body = _batch(items)
    return await sb.client.post(
        f"{API}/$batch",
        content=body.encode(),
        headers=sb.headers(**{"Content-Type": f'multipart/mixed; boundary="{boundary}"', **headers}),
    )


def _statuses(text: str) -> list[int]:
    return [int(s) for s in re.findall(r"^HTTP/1\.1 (\d{3})", text, re.MULTILINE)]


async def test_changeset_with_content_id_references(sb: Sandbox) -> None:
    response = await _send(
        sb,
        [
            [
                _request("POST", f"{PATH}/accounts", {"name": "Batch Co"}, 1),
                _request(
                    "POST", f"{PATH}/contacts", {"lastname": "Ref", "parentcustomerid_account@odata.bind": "$1"}, 2
                ),
                _request("PATCH", "$1", {"telephone1": "555"}, 3),
            ],
            _request("GET", f"{PATH}/accounts?$select=name,telephone1"),
        ],
    )
    assert response.status_code == 200
    content_type = response.headers["content-type"]
    assert content_type.startswith("multipart/mixed; boundary=batchresponse_")
    text = response.text
    assert "\r\n" in text and "changesetresponse_" in text
    assert _statuses(text) == [204, 204, 204, 200]
    assert "Content-ID: 1" in text and "OData-EntityId: " in text and "Location: " in text
    assert "REQ_ID: " not in text  # the batch docs show REQ_ID on failed parts only
    account = sb.state.rows("accounts")[0]
    assert account["telephone1"] == "555"
    contact = sb.state.rows("contacts")[0]
    assert contact["_parentcustomerid_value"] == account["accountid"]
    assert '"name":"Batch Co"' in text


async def test_failed_changeset_rolls_back_and_stops_the_batch(sb: Sandbox) -> None:
    response = await _send(
        sb,
        [
            [
                _request("POST", f"{PATH}/accounts", {"name": "Rolled back"}, 1),
                _request("POST", f"{PATH}/accounts", {"name": "Bad", "nonsense": 1}, 2),
            ],
            _request("POST", f"{PATH}/accounts", {"name": "Never run"}),
        ],
    )
    assert response.status_code == 400  # the failure's status becomes the batch's status
    assert _statuses(response.text) == [400]
    assert "HTTP/1.1 400 Bad Request" in response.text  # inner status line, as the batch docs show it
    assert "nonsense" in response.text
    assert sb.state.rows("accounts") == []


async def test_continue_on_error_runs_every_operation(sb: Sandbox) -> None:
    missing = uuid.uuid4()
    response = await _send(
        sb,
        [
            _request("POST", f"{PATH}/accounts", {"name": "One"}),
            _request("PATCH", f"{PATH}/accounts({missing})", {"name": "x"}, If_Match="*"),
            _request("POST", f"{PATH}/accounts", {"name": "Two"}),
        ],
        Prefer="odata.continue-on-error",
    )
    assert response.status_code == 200
    assert _statuses(response.text) == [204, 404, 204]
    assert "0x80040217" in response.text
    assert sorted(r["name"] for r in sb.state.rows("accounts")) == ["One", "Two"]


async def test_undeclared_content_id_reference(sb: Sandbox) -> None:
    response = await _send(sb, [[_request("PATCH", "$9", {"name": "x"}, 1)]])
    assert response.status_code == 400
    assert "Content-ID Reference: '$9' does not exist in the batch context." in response.text


async def test_get_in_changeset_and_malformed_batches_are_rejected_whole_with_json(sb: Sandbox) -> None:
    response = await _send(sb, [[_request("GET", f"{PATH}/accounts", None, 1)]])
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["code"]
    bad = await sb.client.post(
        f"{API}/$batch", content=b"{}", headers=sb.headers(**{"Content-Type": "application/json"})
    )
    assert bad.status_code == 400 and bad.json()["error"]
    unterminated = await sb.client.post(
        f"{API}/$batch",
        content=b"--b\r\nContent-Type: application/http\r\n\r\nGET accounts HTTP/1.1\r\n\r\n",
        headers=sb.headers(**{"Content-Type": "multipart/mixed; boundary=b"}),
    )
    assert unterminated.status_code == 400 and "closing boundary" in unterminated.json()["error"]["message"]


async def test_more_than_1000_operations_is_rejected(sb: Sandbox) -> None:
    parts = [_request("POST", f"{PATH}/accounts", {"name": f"n{i}"}) for i in range(1001)]
    response = await _send(sb, list(parts))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    assert "1000" in response.json()["error"]["message"]
    assert sb.state.rows("accounts") == []
    ok = await _send(sb, list(parts[:1000]))
    assert ok.status_code == 200
    assert len(sb.state.rows("accounts")) == 1000


async def test_representation_and_absolute_urls_inside_batch(sb: Sandbox) -> None:
    response = await _send(
        sb,
        [
            [
                _request("POST", f"{API}/accounts?$select=name", {"name": "Abs"}, 1, Prefer="return=representation"),
                _request("POST", f"{PATH}/contacts", {"lastname": "C", "parentcustomerid_account@odata.bind": "$1"}, 2),
            ]
        ],
    )
    assert response.status_code == 200
    assert _statuses(response.text) == [201, 204]
    contact = sb.state.rows("contacts")[0]
    assert contact["_parentcustomerid_value"] == sb.state.rows("accounts")[0]["accountid"]


async def test_batch_counts_as_one_request_for_throttling(sb: Sandbox) -> None:
    before = (await sb.get("WhoAmI")).headers["x-ms-ratelimit-burst-remaining-xrm-requests"]
    response = await _send(sb, [_request("GET", f"{PATH}/WhoAmI") for _ in range(5)])
    after = response.headers["x-ms-ratelimit-burst-remaining-xrm-requests"]
    assert int(before) - int(after) == 1


async def test_continue_on_error_reports_a_failed_changeset_and_keeps_going(sb: Sandbox) -> None:
    response = await _send(
        sb,
        [
            [
                _request("POST", f"{PATH}/accounts", {"name": "Undone"}, 1),
                _request("POST", f"{PATH}/accounts", {"name": "x" * 500}, 2),
            ],
            _request("POST", f"{PATH}/accounts", {"name": "Kept"}),
        ],
        Prefer="odata.continue-on-error",
    )
    assert response.status_code == 200
    assert _statuses(response.text) == [400, 204]
    assert [r["name"] for r in sb.state.rows("accounts")] == ["Kept"]


async def test_nested_batch_is_refused(sb: Sandbox) -> None:
    response = await _send(sb, [_request("POST", f"{PATH}/$batch", {})])
    assert response.status_code == 400
    assert "cannot contain another batch" in response.text
