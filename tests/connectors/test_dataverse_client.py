"""Dataverse client behaviour on edge cases produced with respx (no server needed)."""

from __future__ import annotations

import json
import random
from typing import Any

import httpx
import pytest
import respx

from inolink_tui.connectors import odata
from inolink_tui.connectors.dataverse import DataverseClient, part_error
from inolink_tui.connectors.dataverse_batch import BatchOperation, build_batch, parse_batch
from inolink_tui.connectors.errors import DataverseError, TransportError
from inolink_tui.connectors.events import Throttled
from inolink_tui.connectors.settings import DataverseSettings, RetrySettings
from inolink_tui.domain.enums import ErrorClass
from tests.connectors.conftest import FakeClock, StaticTokens

ORG = "https://org.example.test"
API = f"{ORG}/api/data/v9.2/"
GUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


def make_client(
    clock: FakeClock, tokens: StaticTokens, events: list[object] | None = None, **kw: Any
) -> DataverseClient:
    settings = DataverseSettings(
        url=ORG,
        tenant="t",
        client_id="c",
        client_secret="s",
        retry=RetrySettings(max_attempts=4, base_delay=1, max_delay=8),
        **kw,
    )
    return DataverseClient(
        settings, tokens=tokens, clock=clock, rng=random.Random(1), events=events.append if events is not None else None
    )


def err(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


@respx.mock
async def test_paging_follows_next_links_and_sends_headers(clock: FakeClock, tokens: StaticTokens) -> None:
    next1 = f"{API}accounts?$select=name&$skiptoken=abc%3D"
    next2 = f"{API}accounts?$select=name&$skiptoken=def"
    route = respx.get(url__startswith=f"{API}accounts").mock(
        side_effect=[
            httpx.Response(200, json={"value": [{"name": "a"}, {"name": "b"}], "@odata.nextLink": next1}),
            httpx.Response(200, json={"value": [{"name": "c"}], "@odata.nextLink": next2}),
            httpx.Response(200, json={"value": [{"name": "d"}]}),
        ]
    )
    async with make_client(clock, tokens) as client:
        rows = await client.list_rows("accounts", select=["name"], filter=odata.eq("name", "O'Neil & Co"), page_size=2)
    assert [r["name"] for r in rows] == ["a", "b", "c", "d"]
    first = route.calls[0].request
    assert first.url.params["$filter"] == "name eq 'O''Neil & Co'"
    assert first.headers["Prefer"] == "odata.maxpagesize=2"
    assert first.headers["Authorization"] == "Bearer token-1"
    assert first.headers["OData-Version"] == "4.0"
    assert str(route.calls[1].request.url) == next1  # the link is used exactly as given
    assert route.calls[1].request.headers["Prefer"] == "odata.maxpagesize=2"


@respx.mock
async def test_a_repeated_next_link_stops_paging(clock: FakeClock, tokens: StaticTokens) -> None:
    link = f"{API}accounts?$skiptoken=same"
    respx.get(url__startswith=f"{API}accounts").mock(
        return_value=httpx.Response(200, json={"value": [{}], "@odata.nextLink": link})
    )
    async with make_client(clock, tokens) as client:
        with pytest.raises(Exception, match="repeated a nextLink"):
            await client.list_rows("accounts")


@respx.mock
async def test_429_closes_the_gate_for_retry_after(clock: FakeClock, tokens: StaticTokens) -> None:
    sent_at: list[float] = []
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "30"}, json=err("0x80072322", "Number of requests exceeded")),
            httpx.Response(200, json={"UserId": GUID}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        sent_at.append(clock.now)
        return next(answers)

    respx.get(f"{API}WhoAmI").mock(side_effect=handler)
    events: list[object] = []
    async with make_client(clock, tokens, events) as client:
        assert (await client.who_am_i())["UserId"] == GUID
    assert sent_at[1] - sent_at[0] >= 30
    assert any(isinstance(e, Throttled) and e.seconds == 30 for e in events)


@respx.mock
async def test_a_429_that_outlasts_the_retries_carries_retry_after(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.get(f"{API}WhoAmI").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "7"}, json=err("0x80072326", "too many at once"))
    )
    async with make_client(clock, tokens) as client:
        with pytest.raises(DataverseError) as info:
            await client.who_am_i()
    assert info.value.retry_after == 7 and info.value.error_class is ErrorClass.TRANSIENT


@respx.mock
async def test_503_backs_off_then_gives_up_typed(clock: FakeClock, tokens: StaticTokens) -> None:
    route = respx.get(f"{API}WhoAmI").mock(return_value=httpx.Response(503, json=err("", "Service Unavailable")))
    async with make_client(clock, tokens) as client:
        with pytest.raises(DataverseError) as info:
            await client.who_am_i()
    assert route.call_count == 4
    assert info.value.status == 503 and info.value.error_class is ErrorClass.TRANSIENT
    assert len(clock.sleeps) == 3 and clock.sleeps[0] < clock.sleeps[2]


@respx.mock
async def test_timeouts_are_retried_then_raised_as_transport_errors(clock: FakeClock, tokens: StaticTokens) -> None:
    route = respx.get(f"{API}WhoAmI").mock(side_effect=httpx.ReadTimeout("slow"))
    async with make_client(clock, tokens) as client:
        with pytest.raises(TransportError) as info:
            await client.who_am_i()
    assert route.call_count == 4
    assert info.value.code == "timeout" and info.value.retryable


@respx.mock
async def test_401_gets_one_new_token_and_one_retry(clock: FakeClock, tokens: StaticTokens) -> None:
    route = respx.get(f"{API}WhoAmI").mock(
        side_effect=[httpx.Response(401), httpx.Response(200, json={"UserId": GUID})]
    )
    async with make_client(clock, tokens) as client:
        await client.who_am_i()
    assert [c.request.headers["Authorization"] for c in route.calls] == ["Bearer token-1", "Bearer token-2"]
    assert tokens.invalidated == ["token-1"]


@respx.mock
async def test_a_second_401_is_an_auth_error(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.get(f"{API}WhoAmI").mock(return_value=httpx.Response(401, headers={"WWW-Authenticate": "Bearer x"}))
    async with make_client(clock, tokens) as client:
        with pytest.raises(DataverseError) as info:
            await client.who_am_i()
    assert info.value.error_class is ErrorClass.AUTH
    assert tokens.invalidated == ["token-1"]


@respx.mock
async def test_update_is_update_only_and_errors_are_typed(clock: FakeClock, tokens: StaticTokens) -> None:
    route = respx.patch(f"{API}accounts({GUID})").mock(
        return_value=httpx.Response(404, json=err("0x80040217", f"Entity 'account' With Id = {GUID} Does Not Exist"))
    )
    async with make_client(clock, tokens) as client:
        with pytest.raises(DataverseError) as info:
            await client.update("accounts", GUID, {"name": "x"})
    assert route.calls[0].request.headers["If-Match"] == "*"
    assert json.loads(route.calls[0].request.content) == {"name": "x"}
    assert info.value.code == "0x80040217" and info.value.error_class is ErrorClass.REFERENCE
    assert "account" in info.value.hint


@respx.mock
async def test_update_checked_rereads_on_412(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.get(url__startswith=f"{API}accounts({GUID})").mock(
        side_effect=[
            httpx.Response(200, json={"@odata.etag": 'W/"1"', "name": "a", "creditlimit": 1}),
            httpx.Response(200, json={"@odata.etag": 'W/"2"', "name": "a", "creditlimit": 5}),
        ]
    )
    patch = respx.patch(f"{API}accounts({GUID})").mock(
        side_effect=[
            httpx.Response(412, json=err("0x80060882", "The version of the existing record doesn't match")),
            httpx.Response(204, headers={"OData-EntityId": f"{API}accounts({GUID})"}),
        ]
    )
    async with make_client(clock, tokens) as client:
        result = await client.update_checked("accounts", GUID, lambda row: {"creditlimit": row["creditlimit"] + 1})
    assert result is not None and result.id == GUID
    assert [c.request.headers["If-Match"] for c in patch.calls] == ['W/"1"', 'W/"2"']
    assert json.loads(patch.calls[1].request.content) == {"creditlimit": 6}


@respx.mock
async def test_create_reads_the_id_from_odata_entityid(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.post(f"{API}accounts").mock(
        return_value=httpx.Response(204, headers={"OData-EntityId": f"{API}accounts({GUID})"})
    )
    async with make_client(clock, tokens) as client:
        assert (await client.create("accounts", {"name": "n"})).id == GUID


@respx.mock
async def test_change_tracking_splits_upserts_and_deletes(clock: FakeClock, tokens: StaticTokens) -> None:
    delta1 = f"{API}accounts?$select=name&$deltatoken=1"
    delta2 = f"{API}accounts?$select=name&$deltatoken=2"
    route = respx.get(url__startswith=f"{API}accounts").mock(
        side_effect=[
            httpx.Response(200, json={"value": [{"name": "a", "accountid": GUID}], "@odata.deltaLink": delta1}),
            httpx.Response(
                200,
                json={
                    "value": [
                        {"name": "b", "accountid": GUID},
                        {
                            "@odata.context": f"{ORG}/$metadata#accounts/$deletedEntity",
                            "id": "dead",
                            "reason": "deleted",
                        },
                    ],
                    "@odata.deltaLink": delta2,
                },
            ),
        ]
    )
    async with make_client(clock, tokens) as client:
        first = await client.track_changes("accounts", select=["name"])
        second = await client.track_changes("accounts", delta_link=first.delta_link)
        with pytest.raises(ValueError):
            await client.track_changes("accounts", delta_link="https://evil.test/api/data/v9.2/accounts?$deltatoken=1")
    assert route.calls[0].request.headers["Prefer"].startswith("odata.track-changes")
    assert first.delta_link == delta1 and [r["name"] for r in first.upserted] == ["a"]
    assert [r["name"] for r in second.upserted] == ["b"] and second.deleted == ["dead"]
    assert second.delta_link == delta2


def test_batch_round_trip_of_the_multipart_format() -> None:
    ops = [
        BatchOperation("POST", "accounts", {"name": "a\r\n--batch_x"}),
        BatchOperation("PATCH", f"accounts({GUID})", {"name": "b"}, {"If-Match": "*"}),
    ]
    content_type, body = build_batch(ops, "/api/data/v9.2/", atomic=True)
    assert content_type.startswith("multipart/mixed; boundary=batch_")
    assert "Content-ID: 1" in body and "PATCH /api/data/v9.2/accounts(" in body and "If-Match: *" in body
    answer = (
        "--batchresponse_1\r\nContent-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n"
        "--changesetresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        "Content-ID: 1\r\n\r\nHTTP/1.1 204 No Content\r\nOData-Version: 4.0\r\n"
        f"OData-EntityId: {API}accounts({GUID})\r\n\r\n\r\n"
        "--changesetresponse_2\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        "Content-ID: 2\r\n\r\nHTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n\r\n"
        '{"error":{"code":"0x80060882","message":"stale"}}\r\n'
        "--changesetresponse_2--\r\n--batchresponse_1--\r\n"
    )
    parts = parse_batch("multipart/mixed; boundary=batchresponse_1", answer)
    assert [(p.status, p.content_id) for p in parts] == [(204, "1"), (412, "2")]
    assert parts[0].entity_id == GUID and part_error(parts[0]) is None
    error = part_error(parts[1])
    assert error is not None and error.error_class is ErrorClass.CONFLICT


def test_batch_limits() -> None:
    with pytest.raises(ValueError):
        build_batch([], "/api/", atomic=False)
    with pytest.raises(ValueError):
        build_batch([BatchOperation("GET", "accounts")], "/api/", atomic=True)
    with pytest.raises(ValueError):
        build_batch([BatchOperation("POST", "accounts", {})] * 1001, "/api/", atomic=False)


@respx.mock
async def test_batch_error_status_with_multipart_body_is_parsed(clock: FakeClock, tokens: StaticTokens) -> None:
    answer = (
        "--batchresponse_9\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n"
        '{"error":{"code":"0x80044331","message":"A validation error occurred."}}\r\n--batchresponse_9--\r\n'
    )
    respx.post(f"{API}$batch").mock(
        return_value=httpx.Response(
            400, headers={"Content-Type": "multipart/mixed; boundary=batchresponse_9"}, text=answer
        )
    )
    async with make_client(clock, tokens) as client:
        parts = await client.batch([BatchOperation("POST", "accounts", {"name": "x"})], atomic=False)
    assert parts[0].status == 400
    assert part_error(parts[0]) is not None


@respx.mock
async def test_whole_batch_rejection_is_json(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.post(f"{API}$batch").mock(return_value=httpx.Response(400, json=err("0x80060888", "bad batch")))
    async with make_client(clock, tokens) as client:
        with pytest.raises(DataverseError, match="bad batch"):
            await client.batch([BatchOperation("POST", "accounts", {"name": "x"})])
