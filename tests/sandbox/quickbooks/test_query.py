"""The query language: parser errors, filters, default Active filter, paging shapes, counts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.query_parser import parse_query
from tests.sandbox.conftest import Qbo


def test_parser_reads_every_clause_in_either_paging_order() -> None:
    query = parse_query(
        "SeLeCt * FROM customer WHERE DisplayName = 'Amy\\'s Bird' AND Balance >= '10.5' AND Id IN ('1', '2') "
        "ORDERBY MetaData.LastUpdatedTime DESC MAXRESULTS 5 STARTPOSITION 6"
    )
    assert query.entity == "customer" and not query.count
    assert [(c.prop, c.op, c.values) for c in query.where] == [
        ("DisplayName", "=", ["Amy's Bird"]),
        ("Balance", ">=", ["10.5"]),
        ("Id", "IN", ["1", "2"]),
    ]
    assert query.order == [("MetaData.LastUpdatedTime", True)]
    assert (query.start_position, query.max_results) == (6, 5)
    assert parse_query("select count(*) from Item where Active = true").where[0].values == [True]
    assert parse_query("select *, Sku from Item").entity == "Item"
    assert parse_query("select * from Invoice where TotalAmt > 300").where[0].values == [Decimal(300)]


@pytest.mark.parametrize(
    "text",
    [
        "select * from Customer where A = '1' or B = '2'",
        "select * form Customer",
        "select Name from Item",
        "select * from Customer where DisplayName = 'open",
        "select * from Customer where DisplayName",
        "select * from Customer maxresults ten",
    ],
)
def test_parser_errors_are_fault_4000(text: str) -> None:
    with pytest.raises(QboFault) as caught:
        parse_query(text)
    assert caught.value.code == "4000"
    assert "QueryParserError" in caught.value.detail


async def _rows(qbo: Qbo, text: str) -> dict:
    response = await qbo.query(text)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    return response.json()["QueryResponse"]


async def test_like_is_case_insensitive_with_percent_and_escaped_quotes(qbo: Qbo) -> None:
    await qbo.create("Customer", {"DisplayName": "Amy's Bird Sanctuary"})
    await qbo.create("Customer", {"DisplayName": "Robertson & Associates"})
    exact = await _rows(qbo, "select * from Customer where DisplayName = 'amy\\'s bird sanctuary'")
    assert [c["DisplayName"] for c in exact["Customer"]] == ["Amy's Bird Sanctuary"]
    like = await _rows(qbo, "select * from Customer where DisplayName like '%BIRD%'")
    assert "Amy's Bird Sanctuary" in [c["DisplayName"] for c in like["Customer"]]
    amp = await _rows(qbo, "select * from Customer where DisplayName like 'Robertson &%'")
    assert amp["Customer"][0]["DisplayName"] == "Robertson & Associates"
    underscore = await _rows(qbo, "select * from Customer where DisplayName like 'Amy_s%'")
    assert underscore == {}  # only % is a wildcard


async def test_active_filter_default_and_override(qbo: Qbo) -> None:
    gone = await qbo.create("Customer", {"DisplayName": "Hidden One"})
    await qbo.post("customer", {"Id": gone["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    default = await _rows(qbo, "select * from Customer where DisplayName like 'Hidden%'")
    assert default == {}
    both = await _rows(qbo, "select * from Customer where Active IN (true, false) and DisplayName like 'Hidden%'")
    assert [c["Id"] for c in both["Customer"]] == [gone["Id"]]
    inactive = await _rows(qbo, "select * from Customer where Active = false")
    assert gone["Id"] in [c["Id"] for c in inactive["Customer"]]
    active_total = (await _rows(qbo, "select count(*) from Customer"))["totalCount"]
    all_total = (await _rows(qbo, "select count(*) from Customer where Active in (true,false)"))["totalCount"]
    assert all_total == active_total + len(inactive["Customer"])


async def test_paging_shapes(qbo: Qbo) -> None:
    total = (await _rows(qbo, "select count(*) from Customer"))["totalCount"]
    assert total > 5
    first = await _rows(qbo, "select * from Customer startposition 1 maxresults 5")
    assert first["startPosition"] == 1 and first["maxResults"] == 5 and len(first["Customer"]) == 5
    rest = await _rows(qbo, "select * from Customer maxresults 1000 startposition 6")
    assert rest["maxResults"] == total - 5 == len(rest["Customer"])  # rows returned, not the limit asked
    ids = [c["Id"] for c in first["Customer"] + rest["Customer"]]
    assert len(set(ids)) == total
    past = await qbo.query(f"select * from Customer startposition {total + 1}")
    assert past.json()["QueryResponse"] == {}
    default_page = await _rows(qbo, "select * from Customer")
    assert default_page["maxResults"] == min(total, 100)


async def test_orderby_refs_numbers_and_metadata(qbo: Qbo) -> None:
    ordered = await _rows(qbo, "select * from Customer orderby DisplayName desc maxresults 1000")
    names = [c["DisplayName"].casefold() for c in ordered["Customer"]]
    assert names == sorted(names, reverse=True)
    invoices = await _rows(qbo, "select * from Invoice maxresults 1000")
    customer_id = invoices["Invoice"][0]["CustomerRef"]["value"]
    by_ref = await _rows(qbo, f"select * from Invoice where CustomerRef = '{customer_id}' maxresults 1000")
    assert all(i["CustomerRef"]["value"] == customer_id for i in by_ref["Invoice"])
    big = await _rows(qbo, "select * from Invoice where TotalAmt > '100.00' maxresults 1000")
    assert all(i["TotalAmt"] > 100 for i in big.get("Invoice", []))
    qbo.sandbox.clock.advance(600)
    fresh = await qbo.create("Customer", {"DisplayName": "Fresh Customer"})
    since = fresh["MetaData"]["CreateTime"]
    recent = await _rows(qbo, f"select * from Customer where MetaData.LastUpdatedTime >= '{since}'")
    assert [c["Id"] for c in recent["Customer"]] == [fresh["Id"]]
    by_id = await _rows(qbo, f"select * from Customer where Id in ('{fresh['Id']}', '999999')")
    assert [c["Id"] for c in by_id["Customer"]] == [fresh["Id"]]


async def test_query_validation_errors_and_post_form(qbo: Qbo) -> None:
    entity = await qbo.query("select * from Widget")
    assert entity.status_code == 400
    assert entity.json()["Fault"]["Error"][0]["code"] == "4001"
    assert "invalid context declaration" in entity.json()["Fault"]["Error"][0]["Detail"]
    prop = await qbo.query("select * from Customer where Colour = 'red'")
    assert prop.json()["Fault"]["Error"][0]["code"] == "4001"
    id_range = await qbo.query("select * from Customer where Id > '5'")
    assert id_range.json()["Fault"]["Error"][0]["code"] == "4001"
    syntax = await qbo.query("select * from Customer where DisplayName = 'a' or DisplayName = 'b'")
    assert syntax.json()["Fault"]["Error"][0]["code"] == "4000"
    posted = await qbo.http.post(
        qbo.url("query"),
        content=b"select count(*) from Item",
        headers={**qbo.headers, "Content-Type": "application/text"},
    )
    assert posted.status_code == 200 and posted.json()["QueryResponse"]["totalCount"] > 0
