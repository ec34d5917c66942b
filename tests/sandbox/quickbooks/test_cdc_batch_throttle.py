"""CDC, batch and per-realm throttling."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from inolink_tui.sandbox.options import QboLimits
from tests.sandbox.conftest import BASE, Qbo, make_sandbox, qbo_for


def _since(qbo: Qbo, seconds_ago: float = 1) -> str:
    moment = qbo.sandbox.clock.now() - timedelta(seconds=seconds_ago)
    return moment.astimezone(qbo.sandbox.qbo.company_tz).isoformat(timespec="seconds")


async def test_cdc_groups_orders_and_tombstones(qbo: Qbo) -> None:
    qbo.sandbox.clock.advance(5)
    since = _since(qbo)
    first = await qbo.create("Customer", {"DisplayName": "CDC One"})
    qbo.sandbox.clock.advance(5)
    second = await qbo.create("Customer", {"DisplayName": "CDC Two"})
    qbo.sandbox.clock.advance(5)
    await qbo.post("customer", {"Id": first["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    item = next(i["Id"] for i in qbo.sandbox.qbo.all("Item") if i["Name"] == "Write-In")
    line = {"Amount": 5, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": item}}}
    invoice = await qbo.create("Invoice", {"CustomerRef": {"value": second["Id"]}, "Line": [line]})
    kept = await qbo.create("Invoice", {"CustomerRef": {"value": second["Id"]}, "Line": [line]})
    await qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    response = await qbo.get("cdc", entities="customer,Invoice", changedSince=since)
    assert response.status_code == 200
    groups = response.json()["CDCResponse"][0]["QueryResponse"]
    customers = next(g for g in groups if "Customer" in g)["Customer"]
    assert [c["Id"] for c in customers] == [second["Id"], first["Id"]]  # by last update
    assert customers[1]["Active"] is False  # a deactivation is an update, not a tombstone
    invoices = next(g for g in groups if "Invoice" in g)
    assert invoices["Invoice"][0]["Id"] == kept["Id"]
    tombstone = invoices["Invoice"][-1]
    assert tombstone["status"] == "Deleted" and tombstone["Id"] == invoice["Id"]
    assert set(tombstone) == {"status", "domain", "Id", "MetaData"}
    assert invoices["maxResults"] == len(invoices["Invoice"]) and invoices["startPosition"] == 1


async def test_cdc_no_change_window_and_errors(qbo: Qbo) -> None:
    qbo.sandbox.clock.advance(5)
    quiet = await qbo.get("cdc", entities="Estimate,Customer", changedSince=_since(qbo, 1))
    assert quiet.json()["CDCResponse"] == [{"QueryResponse": [{}]}]
    too_old = await qbo.get("cdc", entities="Customer", changedSince=_since(qbo, 31 * 86400))
    assert too_old.status_code == 400
    assert "older than fixed days" in too_old.json()["Fault"]["Error"][0]["Detail"]
    unsupported = await qbo.get("cdc", entities="TaxCode", changedSince=_since(qbo))
    assert unsupported.status_code == 400


async def test_batch_items_answer_independently(qbo: Qbo) -> None:
    target = await qbo.create("Customer", {"DisplayName": "Batch Target"})
    body = {
        "BatchItemRequest": [
            {"bId": "b1", "operation": "create", "Customer": {"DisplayName": "Batch New"}},
            {"bId": "b2", "operation": "update", "Customer": {"Id": target["Id"], "SyncToken": "7", "sparse": True}},
            {"bId": "b3", "Query": "select count(*) from Customer"},
            {"bId": "b4", "operation": "create", "Customer": {"DisplayName": "Batch Target"}},
        ]
    }
    response = await qbo.post("batch", body)
    assert response.status_code == 200
    answers = {a["bId"]: a for a in response.json()["BatchItemResponse"]}
    assert answers["b1"]["Customer"]["DisplayName"] == "Batch New"
    assert answers["b2"]["Fault"]["Error"][0]["code"] == "5010" and "time" not in answers["b2"]
    assert answers["b3"]["QueryResponse"]["totalCount"] > 0
    assert answers["b4"]["Fault"]["Error"][0]["code"] == "6240"
    assert "time" in response.json()


async def test_batch_limits(qbo: Qbo) -> None:
    items = [{"bId": f"q{i}", "Query": "select * from Term"} for i in range(31)]
    too_big = await qbo.post("batch", {"BatchItemRequest": items})
    assert too_big.status_code == 400 and too_big.json()["Fault"]["Error"][0]["code"] == "1040"
    long_bid = [{"bId": "x" * 11, "Query": "select * from Term"}]
    with_requestid = await qbo.post("batch", {"BatchItemRequest": long_bid}, requestid="r" * 36)
    assert with_requestid.json()["BatchItemResponse"][0]["Fault"]["Error"][0]["code"] == "2050"
    too_long_id = await qbo.post("batch", {"BatchItemRequest": long_bid}, requestid="r" * 37)
    assert too_long_id.status_code == 400


async def test_throttle_per_minute_answers_429_xml_and_window_reopens() -> None:
    sandbox = make_sandbox(qbo_limits=QboLimits(requests_per_minute=5, requests_per_second=0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        qbo = qbo_for(sandbox, http)
        statuses = [(await qbo.get("companyinfo/1")).status_code for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        throttled = await qbo.get("companyinfo/1")
        assert throttled.headers["content-type"].startswith("application/xml")
        assert '<Error code="3001">' in throttled.text and "statusCode=429" in throttled.text
        assert "retry-after" not in throttled.headers and throttled.headers["intuit-tid"]
        sandbox.clock.advance(61)
        assert (await qbo.get("companyinfo/1")).status_code == 200
        assert sandbox.stats.throttled["qbo"] == 2


async def test_throttle_json_body_retry_after_and_batch_costs_per_item() -> None:
    limits = QboLimits(requests_per_minute=10, requests_per_second=0, throttle_body="json", retry_after=True)
    sandbox = make_sandbox(qbo_limits=limits, time_scale=60.0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        qbo = qbo_for(sandbox, http)
        items = [{"bId": f"q{i}", "Query": "select * from Term"} for i in range(8)]
        assert (await qbo.post("batch", {"BatchItemRequest": items})).status_code == 200
        assert (await qbo.post("batch", {"BatchItemRequest": items})).status_code == 429
        assert (await qbo.get("companyinfo/1")).status_code == 200
        assert (await qbo.get("companyinfo/1")).status_code == 200  # 9th and 10th requests fit
        throttled = await qbo.get("companyinfo/1")
        assert throttled.status_code == 429
        fault = throttled.json()["Fault"]
        assert fault["type"] == "SERVICE" and fault["Error"][0]["code"] == "3001"
        assert int(throttled.headers["retry-after"]) >= 1  # one service minute at 60x is about a wall second


async def test_throttle_concurrency_and_per_second() -> None:
    sandbox = make_sandbox(qbo_limits=QboLimits(requests_per_minute=0, requests_per_second=10, max_concurrency=10))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        qbo = qbo_for(sandbox, http)
        statuses = [r.status_code for r in await asyncio.gather(*(qbo.get("companyinfo/1") for _ in range(15)))]
        assert statuses.count(200) == 10 and statuses.count(429) == 5
    slow = QboLimits(requests_per_minute=0, requests_per_second=0, max_concurrency=10, latency_seconds=0.3)
    sandbox = make_sandbox(qbo_limits=slow)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        qbo = qbo_for(sandbox, http)
        statuses = [r.status_code for r in await asyncio.gather(*(qbo.get("companyinfo/1") for _ in range(14)))]
        assert statuses.count(200) == 10 and statuses.count(429) == 4  # ten in flight at once
        assert (await qbo.get("companyinfo/1")).status_code == 200


async def test_auth_failures_use_the_lower_case_401(qbo: Qbo) -> None:
    missing = await qbo.http.get(qbo.url("companyinfo/1"))
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    body = missing.json()
    assert body["fault"]["error"][0]["code"] == "3200" and body["fault"]["type"] == "AUTHENTICATION"
    assert isinstance(body["time"], int) and body["cdcresponse"] == [] and body["warnings"] is None
    other_realm = await qbo.http.get("/v3/company/123/companyinfo/1", headers=qbo.headers)
    assert other_realm.status_code == 401
    qbo.sandbox.clock.advance(3601)
    expired = await qbo.get("companyinfo/1")
    assert expired.status_code == 401 and "Token expired" in expired.json()["fault"]["error"][0]["detail"]


async def test_batch_items_cannot_see_records_created_in_the_same_batch(qbo: Qbo) -> None:
    predicted = str(qbo.sandbox.qbo.next_id["Customer"])
    item = next(i["Id"] for i in qbo.sandbox.qbo.all("Item") if i["Name"] == "Write-In")
    line = {"Amount": 5, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": item}}}
    body = {
        "BatchItemRequest": [
            {"bId": "c", "operation": "create", "Customer": {"DisplayName": "Batch Parent"}},
            {"bId": "i", "operation": "create", "Invoice": {"CustomerRef": {"value": predicted}, "Line": [line]}},
        ]
    }
    answers = {a["bId"]: a for a in (await qbo.post("batch", body)).json()["BatchItemResponse"]}
    assert answers["c"]["Customer"]["Id"] == predicted
    assert answers["i"]["Fault"]["Error"][0]["code"] == "2500"
    later = await qbo.post("invoice", {"CustomerRef": {"value": predicted}, "Line": [line]})
    assert later.status_code == 200  # visible once the batch is over
