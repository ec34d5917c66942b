"""QuickBooks client behaviour on edge cases produced with respx (XML 429s, lower-case faults, stale objects)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from inolink_tui.connectors import requestid
from inolink_tui.connectors.errors import ProtocolError, QuickBooksError
from inolink_tui.connectors.qbo_query import QboQuery
from inolink_tui.connectors.quickbooks import QuickBooksClient, parse_error
from inolink_tui.connectors.settings import QuickBooksClientSettings, RetrySettings
from inolink_tui.domain.enums import ErrorClass
from tests.connectors.conftest import FakeClock, StaticTokens

BASE = "https://qbo.example.test"
CO = f"{BASE}/v3/company/123"

XML_429 = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<IntuitResponse time="2026-01-01T00:00:00.000-08:00" xmlns="http://schema.intuit.com/finance/v3">
  <Fault type="SERVICE"><Error code="3001">
    <Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>
    <Detail>The request limit was reached.  Try again later</Detail></Error></Fault></IntuitResponse>"""

LOWER_401 = {
    "warnings": None,
    "fault": {
        "error": [
            {
                "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                "detail": "Token expired: abc",
                "code": "3200",
                "element": None,
            }
        ],
        "type": "AUTHENTICATION",
    },
    "time": 1601391072830,
}


def fault(code: str, message: str, detail: str = "", element: str = "") -> dict[str, Any]:
    return {
        "Fault": {
            "Error": [{"Message": message, "Detail": detail, "code": code, "element": element}],
            "type": "ValidationFault",
        },
        "time": "2026-01-01T00:00:00.000-08:00",
    }


def make_client(clock: FakeClock, tokens: StaticTokens) -> QuickBooksClient:
    settings = QuickBooksClientSettings(
        environment="sandbox",
        client_id="c",
        client_secret="s",
        realm_id="123",
        api_base_url=BASE,
        retry=RetrySettings(max_attempts=4, base_delay=1, max_delay=8),
    )
    return QuickBooksClient(settings, tokens=tokens, clock=clock, rng=random.Random(3))


def test_parse_error_reads_xml_lowercase_and_plain_bodies() -> None:
    xml = parse_error(httpx.Response(429, text=XML_429, headers={"Content-Type": "application/xml"}))
    assert xml.code == "3001" and "ThrottleExceeded" in xml.message and xml.error_class is ErrorClass.TRANSIENT
    lower = parse_error(httpx.Response(401, json=LOWER_401, headers={"intuit_tid": "tid-1"}))
    assert lower.code == "3200" and lower.detail == "Token expired: abc" and lower.trace_id == "tid-1"
    assert lower.error_class is ErrorClass.AUTH
    upper = parse_error(httpx.Response(400, json=fault("6240", "Duplicate Name Exists Error", "exists", "DisplayName")))
    assert (upper.code, upper.element, upper.error_class) == ("6240", "DisplayName", ErrorClass.DUPLICATE)
    plain = parse_error(httpx.Response(502, text="<html>bad gateway</html>"))
    assert plain.code is None and plain.status == 502 and plain.error_class is ErrorClass.TRANSIENT
    empty = parse_error(httpx.Response(500))
    assert "without an error body" in empty.message


@respx.mock
async def test_xml_429_storm_waits_at_the_gate_then_succeeds(clock: FakeClock, tokens: StaticTokens) -> None:
    sent: list[float] = []
    answers = iter([httpx.Response(429, text=XML_429)] * 2 + [httpx.Response(200, json={"CompanyInfo": {"Id": "1"}})])

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now)
        return next(answers)

    respx.get(f"{CO}/companyinfo/123").mock(side_effect=handler)
    async with make_client(clock, tokens) as client:
        assert (await client.company_info())["Id"] == "1"
    assert len(sent) == 3 and sent[1] > sent[0] and sent[2] - sent[1] >= sent[1] - sent[0] - 1e-9


@respx.mock
async def test_create_sends_requestid_and_minorversion(clock: FakeClock, tokens: StaticTokens) -> None:
    rid = requestid.request_id(7, "create-customer")
    route = respx.post(f"{CO}/customer").mock(
        side_effect=[
            httpx.Response(500, json=fault("10000", "System Failure Error")),
            httpx.Response(200, json={"Customer": {"Id": "9", "SyncToken": "0"}}),
        ]
    )
    async with make_client(clock, tokens) as client:
        created = await client.create("Customer", {"DisplayName": "A"}, request_id=rid)
    assert created["Id"] == "9"
    assert [c.request.url.params["requestid"] for c in route.calls] == [rid, rid]  # a retry reuses the id
    assert route.calls[0].request.url.params["minorversion"] == "75"
    assert json.loads(route.calls[0].request.content) == {"DisplayName": "A"}


@respx.mock
async def test_stale_object_rereads_and_retries_once(clock: FakeClock, tokens: StaticTokens) -> None:
    rid = requestid.request_id(8, "update-customer")
    update = respx.post(f"{CO}/customer").mock(
        side_effect=[
            httpx.Response(400, json=fault("5010", "Stale Object Error")),
            httpx.Response(200, json={"Customer": {"Id": "9", "SyncToken": "3"}}),
        ]
    )
    respx.get(f"{CO}/customer/9").mock(
        return_value=httpx.Response(200, json={"Customer": {"Id": "9", "SyncToken": "2"}})
    )
    async with make_client(clock, tokens) as client:
        result = await client.sparse_update("Customer", "9", "1", {"Notes": "n"}, request_id=rid)
    assert result["SyncToken"] == "3"
    bodies = [json.loads(c.request.content) for c in update.calls]
    assert [b["SyncToken"] for b in bodies] == ["1", "2"] and all(b["sparse"] is True for b in bodies)
    ids = [c.request.url.params["requestid"] for c in update.calls]
    assert ids[0] == rid and ids[1] == requestid.derived(rid, "stale-retry")


@respx.mock
async def test_stale_object_is_raised_when_policy_forbids_retry(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.post(f"{CO}/customer").mock(return_value=httpx.Response(400, json=fault("5010", "Stale Object Error")))
    async with make_client(clock, tokens) as client:
        with pytest.raises(QuickBooksError) as info:
            await client.sparse_update("Customer", "9", "1", {"Notes": "n"}, request_id="r", retry_stale=False)
    assert info.value.error_class is ErrorClass.CONFLICT


@respx.mock
async def test_query_pages_with_startposition(clock: FakeClock, tokens: StaticTokens) -> None:
    pages = [
        {"QueryResponse": {"Customer": [{"Id": "1"}, {"Id": "2"}], "startPosition": 1, "maxResults": 2}},
        {"QueryResponse": {"Customer": [{"Id": "3"}, {"Id": "4"}], "startPosition": 3, "maxResults": 2}},
        {"QueryResponse": {}},
    ]
    route = respx.get(f"{CO}/query").mock(side_effect=[httpx.Response(200, json=p) for p in pages])
    async with make_client(clock, tokens) as client:
        rows = await client.query_all(QboQuery("Customer").where("Active", "=", True), page_size=2)
    assert [r["Id"] for r in rows] == ["1", "2", "3", "4"]
    queries = [c.request.url.params["query"] for c in route.calls]
    assert [q.rsplit("STARTPOSITION", 1)[1] for q in queries] == [
        " 1 MAXRESULTS 2",
        " 3 MAXRESULTS 2",
        " 5 MAXRESULTS 2",
    ]


@respx.mock
async def test_find_by_values_chunks_in_lists(clock: FakeClock, tokens: StaticTokens) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params["query"]
        rows = [{"Id": "1", "DisplayName": "ACME"}] if "'acme'" in q else []
        return httpx.Response(200, json={"QueryResponse": {"Customer": rows} if rows else {}})

    route = respx.get(f"{CO}/query").mock(side_effect=handler)
    names = ["acme"] + [f"n{i}" for i in range(150)]
    async with make_client(clock, tokens) as client:
        found = await client.find_by_values("Customer", "DisplayName", names)
    assert route.call_count == 2
    assert found["acme"] == [{"Id": "1", "DisplayName": "ACME"}] and found["n1"] == []


@respx.mock
async def test_batch_correlates_by_bid(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.post(f"{CO}/batch").mock(
        return_value=httpx.Response(
            200,
            json={
                "BatchItemResponse": [
                    {
                        "bId": "b2",
                        **{k: v for k, v in fault("6240", "Duplicate Name Exists Error").items() if k != "time"},
                    },
                    {"bId": "b1", "Customer": {"Id": "5"}},
                ]
            },
        )
    )
    items = [
        {"bId": "b1", "operation": "create", "Customer": {"DisplayName": "a"}},
        {"bId": "b2", "operation": "create", "Customer": {"DisplayName": "b"}},
    ]
    async with make_client(clock, tokens) as client:
        results = await client.batch(items)
        with pytest.raises(ValueError):
            await client.batch(items * 16)
        with pytest.raises(ValueError):
            await client.batch([items[0], items[0]])
        with pytest.raises(ValueError, match="bId 10"):
            await client.batch([{"bId": "b" * 11, "Query": "select * from Item"}], request_id="r")
    assert [r.bid for r in results] == ["b1", "b2"]
    assert results[0].body == {"Id": "5"} and results[0].error is None
    assert results[1].error is not None and results[1].error.error_class is ErrorClass.DUPLICATE


@respx.mock
async def test_batch_answer_missing_an_item_is_a_protocol_error(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.post(f"{CO}/batch").mock(return_value=httpx.Response(200, json={"BatchItemResponse": []}))
    async with make_client(clock, tokens) as client:
        with pytest.raises(ProtocolError):
            await client.batch([{"bId": "b1", "Query": "select * from Customer"}])


@respx.mock
async def test_cdc_splits_changes_and_tombstones(clock: FakeClock, tokens: StaticTokens) -> None:
    route = respx.get(f"{CO}/cdc").mock(
        return_value=httpx.Response(
            200,
            json={
                "CDCResponse": [
                    {
                        "QueryResponse": [
                            {"Customer": [{"Id": "1", "Active": False}], "startPosition": 1, "maxResults": 1},
                            {"Invoice": [{"Id": "7", "status": "Deleted", "domain": "QBO"}], "maxResults": 1},
                        ]
                    }
                ],
                "time": "2026-01-01T00:00:00.000-08:00",
            },
        )
    )
    async with make_client(clock, tokens) as client:
        result = await client.cdc(["Customer", "Invoice"], datetime(2025, 12, 31, tzinfo=UTC))
        with pytest.raises(ValueError):
            await client.cdc(["Customer"], datetime(2025, 12, 31))
    assert result.changed == {"Customer": [{"Id": "1", "Active": False}]}
    assert result.deleted == {"Invoice": ["7"]}
    assert result.time == "2026-01-01T00:00:00.000-08:00"
    params = route.calls[0].request.url.params
    assert params["entities"] == "Customer,Invoice" and params["changedSince"] == "2025-12-31T00:00:00+00:00"


@respx.mock
async def test_non_json_success_is_a_protocol_error(clock: FakeClock, tokens: StaticTokens) -> None:
    respx.get(f"{CO}/customer/1").mock(return_value=httpx.Response(200, text="<xml/>"))
    async with make_client(clock, tokens) as client:
        with pytest.raises(ProtocolError):
            await client.read("Customer", "1")
        with pytest.raises(ValueError):
            await client.read("Customer", "1 or 1")
