"""Conformance: the XML wire format on `Accept: application/xml`, over HTTP, one sandbox for the module.

Sources: reference §3 ("the API also speaks XML"), §10 (the captured `<IntuitResponse time=.. xmlns=..>` root);
"Error codes" (https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes: the Fault
as `<Fault type><Error code element><Message/><Detail/></Error></Fault>`). The mapping rule and what stays vague
are in inolink_tui/sandbox/quickbooks/xmlfmt.py.
"""

from __future__ import annotations

from xml.etree import ElementTree

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox
from tests.sandbox.conftest import Qbo, QboLimits, make_sandbox

NS = {"q": "http://schema.intuit.com/finance/v3"}
XML = {"Accept": "application/xml"}


@pytest.fixture(scope="module")
def shared() -> Sandbox:
    return make_sandbox(records=2, qbo_limits=QboLimits(requests_per_minute=0, requests_per_second=0))


def parsed(answer: httpx.Response) -> ElementTree.Element:
    assert answer.headers["content-type"].startswith("application/xml"), answer.text
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "{http://schema.intuit.com/finance/v3}IntuitResponse" and root.get("time")
    return root


async def test_a_read_in_xml(q: Qbo) -> None:
    made = await q.create("Customer", {"DisplayName": "Xml Reader", "BillAddr": {"City": "Bayshore"}})
    answer = await q.http.get(q.url(f"customer/{made['Id']}"), headers={**q.headers, **XML})
    assert answer.status_code == 200
    customer = parsed(answer).find("q:Customer", NS)
    assert customer is not None
    assert customer.get("domain") == "QBO" and customer.get("sparse") == "false"
    assert customer.findtext("q:Id", namespaces=NS) == made["Id"]
    assert customer.findtext("q:SyncToken", namespaces=NS) == "0"
    assert customer.findtext("q:DisplayName", namespaces=NS) == "Xml Reader"
    assert customer.findtext("q:Active", namespaces=NS) == "true"
    assert customer.findtext("q:BillAddr/q:City", namespaces=NS) == "Bayshore"
    currency = customer.find("q:CurrencyRef", NS)
    assert currency is not None and currency.text == "USD" and currency.get("name") == "United States Dollar"
    assert customer.findtext("q:MetaData/q:CreateTime", namespaces=NS) == made["MetaData"]["CreateTime"]


async def test_a_query_in_xml(q: Qbo) -> None:
    answer = await q.http.get(
        q.url("query"), params={"query": "select * from Customer maxresults 2"}, headers={**q.headers, **XML}
    )
    response = parsed(answer).find("q:QueryResponse", NS)
    assert response is not None
    assert response.get("startPosition") == "1" and response.get("maxResults") == "2"
    assert len(response.findall("q:Customer", NS)) == 2
    count = await q.http.get(
        q.url("query"), params={"query": "select count(*) from Customer"}, headers={**q.headers, **XML}
    )
    counted = parsed(count).find("q:QueryResponse", NS)
    assert counted is not None and int(counted.get("totalCount", "0")) >= 2


async def test_a_fault_in_xml(q: Qbo) -> None:
    answer = await q.http.get(q.url("customer/abc"), headers={**q.headers, **XML})
    assert answer.status_code == 400
    fault = parsed(answer).find("q:Fault", NS)
    assert fault is not None and fault.get("type") == "ValidationFault"
    error = fault.find("q:Error", NS)
    assert error is not None and error.get("code") == "2030" and error.get("element") == "Id"
    assert error.findtext("q:Message", namespaces=NS) == "Invalid ID"
    assert (error.findtext("q:Detail", namespaces=NS) or "").startswith("Id should be a valid number")


async def test_lines_repeat_and_json_stays_the_default(q: Qbo) -> None:
    customer = await q.create("Customer", {"DisplayName": "Xml Lines"})
    item = next(i["Id"] for i in q.sandbox.qbo.all("Item") if i["Name"] == "Write-In")
    line = {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": item}}}
    answer = await q.http.post(
        q.url("invoice"),
        json={"CustomerRef": {"value": customer["Id"]}, "Line": [line, {**line, "Amount": 5}]},
        headers={**q.headers, **XML},
    )
    invoice = parsed(answer).find("q:Invoice", NS)
    assert invoice is not None
    amounts = [ln.findtext("q:Amount", namespaces=NS) for ln in invoice.findall("q:Line", NS)]
    assert amounts == ["10.00", "5.00", "15.00"]  # two sales lines and the subtotal
    assert invoice.findtext("q:TotalAmt", namespaces=NS) == "15.00"
    for accept in ("application/json", "*/*", "application/json, application/xml"):
        plain = await q.http.get(q.url("companyinfo/1"), headers={**q.headers, "Accept": accept})
        assert plain.headers["content-type"] == "application/json;charset=utf-8", accept


async def test_xml_request_bodies(q: Qbo) -> None:
    # the entity pages print each request body in JSON and in XML; a sparse update names `sparse` as an attribute
    created = await q.http.post(
        q.url("customer"),
        content=b'<Customer xmlns="http://schema.intuit.com/finance/v3"><DisplayName>Xml Writer</DisplayName>'
        b"<BillAddr><City>Bayshore</City></BillAddr><Taxable>false</Taxable></Customer>",
        headers={**q.headers, "Content-Type": "application/xml"},
    )
    assert created.status_code == 200, created.text
    customer = created.json()["Customer"]
    assert customer["DisplayName"] == "Xml Writer" and customer["BillAddr"]["City"] == "Bayshore"
    assert customer["Taxable"] is False
    item = next(i["Id"] for i in q.sandbox.qbo.all("Item") if i["Name"] == "Write-In")
    invoice = await q.http.post(
        q.url("invoice"),
        content=(
            f'<Invoice xmlns="http://schema.intuit.com/finance/v3"><CustomerRef>{customer["Id"]}</CustomerRef>'
            f"<Line><Amount>12.50</Amount><DetailType>SalesItemLineDetail</DetailType><SalesItemLineDetail>"
            f"<ItemRef>{item}</ItemRef></SalesItemLineDetail></Line></Invoice>"
        ).encode(),
        headers={**q.headers, "Content-Type": "application/xml", **XML},
    )
    assert invoice.status_code == 200, invoice.text
    parsed_invoice = parsed(invoice).find("q:Invoice", NS)
    assert parsed_invoice is not None and parsed_invoice.findtext("q:TotalAmt", namespaces=NS) == "12.50"
    sparse = await q.http.post(
        q.url("customer"),
        content=(
            f'<Customer xmlns="http://schema.intuit.com/finance/v3" sparse="true"><Id>{customer["Id"]}</Id>'
            f"<SyncToken>0</SyncToken><Notes>by xml</Notes></Customer>"
        ).encode(),
        headers={**q.headers, "Content-Type": "application/xml"},
    )
    assert sparse.json()["Customer"]["Notes"] == "by xml" and sparse.json()["Customer"]["BillAddr"]["City"]
    broken = await q.http.post(
        q.url("customer"), content=b"<Customer><DisplayName>", headers={**q.headers, "Content-Type": "application/xml"}
    )
    assert broken.status_code == 400


async def test_a_report_in_xml(q: Qbo) -> None:
    answer = await q.http.get(q.url("reports/CustomerBalance"), headers={**q.headers, **XML})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "{http://schema.intuit.com/finance/v3}Report"
    assert root.findtext("q:Header/q:ReportName", namespaces=NS) == "CustomerBalance"
    titles = [c.findtext("q:ColTitle", namespaces=NS) for c in root.findall("q:Columns/q:Column", NS)]
    assert titles and titles[-1] == "Total"
