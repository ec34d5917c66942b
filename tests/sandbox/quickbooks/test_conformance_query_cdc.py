"""Conformance: the query language, CDC and batch over HTTP (reference §7-§10, §13 items 13-16), one sandbox.

Sources: the reference notes' sections named on each test; "Data queries"
(https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries);
"Change data capture" (https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/
change-data-capture); "Batch" (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch).
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox
from tests.sandbox.conftest import BASE, Qbo, QboLimits, make_sandbox, qbo_for


@pytest.fixture(scope="module")
def shared() -> Sandbox:
    return make_sandbox(records=2, qbo_limits=QboLimits(requests_per_minute=0, requests_per_second=0))


async def rows(q: Qbo, text: str) -> dict[str, Any]:
    answer = await q.query(text)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()["QueryResponse"]
    return found


def fault_of(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 400, answer.text
    error: dict[str, Any] = answer.json()["Fault"]["Error"][0]
    return error


def since(q: Qbo, seconds_ago: float) -> str:
    moment = q.sandbox.clock.now() - timedelta(seconds=seconds_ago)
    return moment.astimezone(q.sandbox.qbo.company_tz).isoformat(timespec="seconds")


def item_line(q: Qbo, amount: float) -> dict[str, Any]:
    item = next(i["Id"] for i in q.sandbox.qbo.all("Item") if i["Name"] == "Write-In")
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": item}}}


# -- query (§7) ----------------------------------------------------------------------------------------------
async def test_keywords_entities_properties_and_values_ignore_case(q: Qbo) -> None:
    made = await q.create("Customer", {"DisplayName": "Case Blind Co"})
    found = await rows(q, "SELECT * FROM customer WHERE displayname = 'CASE BLIND CO'")
    assert [c["Id"] for c in found["Customer"]] == [made["Id"]]  # the answer keeps the entity's own spelling


async def test_numbers_may_be_quoted_and_refs_compare_by_id(q: Qbo) -> None:
    customer = await q.create("Customer", {"DisplayName": "Ref Compare"})
    invoice = await q.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 321.5)]})
    quoted = await rows(q, f"select * from Invoice where CustomerRef = '{customer['Id']}' and TotalAmt > '300.00'")
    bare = await rows(q, f"select * from Invoice where CustomerRef in ('{customer['Id']}') and TotalAmt >= 321.5")
    assert [i["Id"] for i in quoted["Invoice"]] == [i["Id"] for i in bare["Invoice"]] == [invoice["Id"]]
    assert await rows(q, f"select * from Invoice where CustomerRef = '{customer['Id']}' and TotalAmt < 300") == {}


async def test_dates_datetimes_and_current_date(q: Qbo) -> None:
    customer = await q.create("Customer", {"DisplayName": "Date Compare"})
    invoice = await q.create(
        "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 10)], "TxnDate": "2026-02-27"}
    )
    mine = f"CustomerRef = '{customer['Id']}'"
    on_day = await rows(q, f"select * from Invoice where {mine} and TxnDate = '2026-02-27'")
    assert [i["Id"] for i in on_day["Invoice"]] == [invoice["Id"]]
    assert await rows(q, f"select * from Invoice where {mine} and TxnDate > CURRENT_DATE") == {}
    created = invoice["MetaData"]["CreateTime"]  # in the company offset (-07:00)
    as_utc = q.sandbox.clock.now().astimezone(UTC).replace(microsecond=0) - timedelta(seconds=1)
    later = await rows(q, f"select * from Invoice where {mine} and MetaData.CreateTime >= '{as_utc.isoformat()}'")
    assert [i["Id"] for i in later["Invoice"]] == [invoice["Id"]], created  # instants, whatever the offset


async def test_count_counts_every_matching_row_whatever_the_page(q: Qbo) -> None:
    total = (await rows(q, "select count(*) from Customer"))["totalCount"]
    listed = await rows(q, "select * from Customer maxresults 1000")
    assert total == len(listed["Customer"]) == listed["maxResults"]
    assert set(await rows(q, "select count(*) from Customer maxresults 1")) == {"totalCount"}


async def test_maxresults_above_1000_is_capped(q: Qbo) -> None:
    # §7: maximum 1000 (behaviour above it is §14 unconfirmed: the sandbox caps rather than refusing)
    answer = await rows(q, "select * from Account maxresults 5000")
    assert answer["maxResults"] == len(answer["Account"]) <= 1000


async def test_unknown_property_and_operator_faults(q: Qbo) -> None:
    unknown = fault_of(await q.query("select * from Customer where Colour = 'red'"))
    assert unknown["code"] == "4001" and unknown["Message"] == "Invalid query"
    assert unknown["Detail"].startswith("QueryValidationError:") and "Colour" in unknown["Detail"]
    parse = fault_of(await q.query("select * from Customer where DisplayName = 'a' or DisplayName = 'b'"))
    assert parse["code"] == "4000" and parse["Message"] == "Error parsing query"
    assert parse["Detail"].startswith("QueryParserError: Encountered")
    assert fault_of(await q.query("select * from Customer where Id like '1%'"))["code"] == "4001"
    assert fault_of(await q.query("select * from Customer orderby Colour"))["code"] == "4001"


async def test_post_query_as_application_text(q: Qbo) -> None:
    # §3: POST /query with Content-Type application/text and the SQL as the body
    posted = await q.http.post(
        q.url("query"),
        params={"minorversion": "75"},
        content=b"select * from Term maxresults 2",
        headers={**q.headers, "Content-Type": "application/text"},
    )
    assert posted.status_code == 200 and posted.json()["QueryResponse"]["maxResults"] <= 2


# -- CDC (§8) ------------------------------------------------------------------------------------------------
async def test_cdc_window_is_thirty_days(q: Qbo) -> None:
    inside = await q.get("cdc", entities="Customer", changedSince=since(q, 29 * 86_400))
    assert inside.status_code == 200 and "CDCResponse" in inside.json()
    too_old = await q.get("cdc", entities="Customer", changedSince=since(q, 31 * 86_400))
    assert too_old.status_code == 400
    assert "older than fixed days is not supported" in fault_of(too_old)["Detail"]


async def test_cdc_answers_at_most_1000_objects(q: Qbo) -> None:
    q.sandbox.clock.advance(10)
    start = since(q, 1)
    state = q.sandbox.qbo
    for n in range(700):
        state.create("Customer", {"DisplayName": f"Bulk Customer {n:04d}"})
    for n in range(400):
        state.create("Term", {"Name": f"Net {n + 100}", "DueDays": n + 100})
    answer = await q.get("cdc", entities="Customer,Term", changedSince=start)
    groups = answer.json()["CDCResponse"][0]["QueryResponse"]
    counts = {name: len(group[name]) for group in groups for name in ("Customer", "Term") if name in group}
    assert sum(counts.values()) == 1000 and counts["Customer"] == 700


async def test_cdc_date_only_and_group_counters(q: Qbo) -> None:
    today = q.sandbox.qbo.today()
    answer = await q.get("cdc", entities="customer", changedSince=today)
    assert answer.status_code == 200
    group = answer.json()["CDCResponse"][0]["QueryResponse"][0]
    assert group["startPosition"] == 1 and group["maxResults"] == len(group["Customer"])
    assert "time" in answer.json()


# -- batch (§9) ----------------------------------------------------------------------------------------------
async def test_batch_delete_void_and_query_items(q: Qbo) -> None:
    customer = await q.create("Customer", {"DisplayName": "Batch Ops"})
    doomed = await q.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 8)]})
    voided = await q.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [item_line(q, 9)]})
    body = {
        "BatchItemRequest": [
            {"bId": "d", "operation": "delete", "Invoice": {"Id": doomed["Id"], "SyncToken": "0"}},
            {
                "bId": "v",
                "operation": "update",
                "optionsData": "void",
                "Invoice": {"Id": voided["Id"], "SyncToken": "0", "sparse": True},
            },
            {"bId": "q", "Query": f"select * from Invoice where CustomerRef = '{customer['Id']}'"},
        ]
    }
    answer = await q.post("batch", body)
    assert answer.status_code == 200 and set(answer.json()) == {"BatchItemResponse", "time"}
    items = {a["bId"]: a for a in answer.json()["BatchItemResponse"]}
    assert items["d"] == {"Invoice": {"domain": "QBO", "status": "Deleted", "Id": doomed["Id"]}, "bId": "d"}
    assert items["v"]["Invoice"]["TotalAmt"] == 0 and items["v"]["Invoice"]["PrivateNote"] == "Voided"
    assert "QueryResponse" in items["q"]


async def test_batch_of_exactly_thirty_is_allowed(q: Qbo) -> None:
    items = [{"bId": f"t{i}", "Query": "select count(*) from Term"} for i in range(30)]
    answer = await q.post("batch", {"BatchItemRequest": items})
    assert answer.status_code == 200 and len(answer.json()["BatchItemResponse"]) == 30
    over = await q.post("batch", {"BatchItemRequest": [*items, {"bId": "t30", "Query": "select * from Term"}]})
    error = fault_of(over)
    assert error["code"] == "1040" and error["Message"] == "Batch size exceeds allowed limit"


async def test_batch_calls_per_minute_are_limited() -> None:
    # §10: 40 batch calls per minute per realm (reference), 120 since 2025; throttled calls get 429 / 3001
    sandbox = make_sandbox(
        records=0, qbo_limits=QboLimits(requests_per_minute=0, requests_per_second=0, batch_per_minute=2)
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        client = qbo_for(sandbox, http)
        body = {"BatchItemRequest": [{"bId": "a", "Query": "select count(*) from Term"}]}
        statuses = [(await client.post("batch", body)).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert (await client.get("companyinfo/1")).status_code == 200  # other calls are not batch calls
        sandbox.clock.advance(61)
        assert (await client.post("batch", body)).status_code == 200


async def test_a_space_in_quotes_stands_for_null(q: Qbo) -> None:
    # Data queries: "Null is represented as the string ' ' (i.e. a space within single quotes)"
    bare = await q.create("Customer", {"DisplayName": "No Company Here"})
    named = await q.create("Customer", {"DisplayName": "Company Here", "CompanyName": "Here Inc"})
    nulls = await rows(q, "select * from Customer where CompanyName = ' ' and DisplayName like '%Company Here'")
    assert [c["Id"] for c in nulls["Customer"]] == [bare["Id"]]
    either = await rows(q, "select * from Customer where CompanyName in (' ', 'Here Inc') and DisplayName like '%Here'")
    assert {c["Id"] for c in either["Customer"]} == {bare["Id"], named["Id"]}


async def test_report_calls_per_minute_are_limited() -> None:
    # §10: reports endpoints 200 a minute per realm, on top of the general limits; throttled calls get 429 / 3001
    limits = QboLimits(requests_per_minute=0, requests_per_second=0, reports_per_minute=2, throttle_body="json")
    sandbox = make_sandbox(records=0, qbo_limits=limits)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        client = qbo_for(sandbox, http)
        statuses = [(await client.get("reports/CustomerBalance")).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        assert (await client.get("reports/AgedReceivables")).json()["Fault"]["Error"][0]["code"] == "3001"
        assert (await client.get("companyinfo/1")).status_code == 200  # other calls are not report calls
        sandbox.clock.advance(61)
        assert (await client.get("reports/CustomerBalance")).status_code == 200
    assert QboLimits().reports_per_minute == 200
