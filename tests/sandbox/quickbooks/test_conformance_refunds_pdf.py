"""Conformance: RefundReceipt and sales forms as PDF, over HTTP, one sandbox for the module.

REFUND = https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/refundreceipt (Line and
DepositToAccountRef required, a Bank or Other Current Asset account; Balance read-only); PDF = the "Get an invoice
as PDF" operation (.../most-commonly-used/invoice: `GET .../invoice/<Id>/pdf`, `Accept: application/pdf`, the raw
PDF bytes). The readings the pages leave open are in inolink_tui/sandbox/quickbooks/rules/refunds.py and pdf.py.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox
from tests.sandbox.conftest import Qbo, QboLimits, make_sandbox
from tests.sandbox.quickbooks.test_conformance_reports import report, rows


@pytest.fixture(scope="module")
def shared() -> Sandbox:
    return make_sandbox(records=0, qbo_limits=QboLimits(requests_per_minute=0, requests_per_second=0))


def account(q: Qbo, account_type: str) -> str:
    return next(a["Id"] for a in q.sandbox.qbo.all("Account") if a.get("AccountType") == account_type)


def line(q: Qbo, amount: str) -> dict[str, Any]:
    item = next(i["Id"] for i in q.sandbox.qbo.all("Item") if i["Name"] == "Services")
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": item}}}


def fault(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["Fault"]["Error"][0]
    return error


async def test_refund_receipt_is_created_settled_and_named(q: Qbo) -> None:
    customer = await q.create("Customer", {"DisplayName": "Refunded Customer"})
    bank = account(q, "Bank")
    refund = await q.create(
        "RefundReceipt",
        {"CustomerRef": {"value": customer["Id"]}, "DepositToAccountRef": {"value": bank}, "Line": [line(q, "87.50")]},
    )
    assert refund["TotalAmt"] == 87.5 and refund["Balance"] == 0 and refund["SyncToken"] == "0"
    assert refund["DepositToAccountRef"]["value"] == bank and refund["DepositToAccountRef"]["name"]
    assert refund["CustomerRef"] == {"value": customer["Id"], "name": "Refunded Customer"}
    assert refund["Line"][-1]["DetailType"] == "SubTotalLineDetail" and refund["DocNumber"]
    read = (await q.get(f"refundreceipt/{refund['Id']}")).json()["RefundReceipt"]
    assert read["Id"] == refund["Id"]
    found = await q.query(f"select * from RefundReceipt where CustomerRef = '{customer['Id']}'")
    assert [r["Id"] for r in found.json()["QueryResponse"]["RefundReceipt"]] == [refund["Id"]]
    after = (await q.get(f"customer/{customer['Id']}")).json()["Customer"]
    assert after["Balance"] == 0  # nothing stays open on a refund receipt


async def test_refund_receipt_needs_lines_and_a_refund_account(q: Qbo) -> None:
    bank = {"value": account(q, "Bank")}
    no_account = fault(await q.post("refundreceipt", {"Line": [line(q, "5")]}))
    assert no_account["code"] == "2020" and no_account["element"] == "DepositToAccountRef"
    no_lines = fault(await q.post("refundreceipt", {"DepositToAccountRef": bank}))
    assert no_lines["code"] == "2020" and no_lines["element"] == "Line"
    income = {"value": account(q, "Income")}
    wrong = fault(await q.post("refundreceipt", {"DepositToAccountRef": income, "Line": [line(q, "5")]}))
    assert wrong["element"] == "DepositToAccountRef"
    unknown = fault(await q.post("refundreceipt", {"DepositToAccountRef": {"value": "999"}, "Line": [line(q, "5")]}))
    assert unknown["code"] == "2500"


async def test_refund_receipt_update_delete_and_cdc(q: Qbo) -> None:
    q.sandbox.clock.advance(5)
    since = q.sandbox.qbo.metadata_time(q.sandbox.clock.now())
    bank = {"value": account(q, "Bank")}
    refund = await q.create("RefundReceipt", {"DepositToAccountRef": bank, "Line": [line(q, "20")]})
    changed = await q.post(
        "refundreceipt", {"Id": refund["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "returned goods"}
    )
    assert changed.json()["RefundReceipt"]["SyncToken"] == "1"
    kept = await q.create("RefundReceipt", {"DepositToAccountRef": bank, "Line": [line(q, "3")]})
    gone = await q.post("refundreceipt", {"Id": refund["Id"], "SyncToken": "1"}, operation="delete")
    assert gone.json()["RefundReceipt"] == {"domain": "QBO", "status": "Deleted", "Id": refund["Id"]}
    cdc = await q.get("cdc", entities="RefundReceipt", changedSince=since)
    group = cdc.json()["CDCResponse"][0]["QueryResponse"][0]["RefundReceipt"]
    assert [r["Id"] for r in group] == [kept["Id"], refund["Id"]] and group[-1]["status"] == "Deleted"


async def test_customer_sales_counts_a_refund_receipt_as_a_negative_sale(q: Qbo) -> None:
    buyer = await q.create("Customer", {"DisplayName": "Sales Less Refunds"})
    mine = {"value": buyer["Id"]}
    await q.create("Invoice", {"CustomerRef": mine, "TxnDate": "2026-02-01", "Line": [line(q, "100.00")]})
    refund = {"CustomerRef": mine, "DepositToAccountRef": {"value": account(q, "Bank")}, "Line": [line(q, "30")]}
    await q.create("RefundReceipt", {**refund, "TxnDate": "2026-02-15"})
    body = await report(q, "CustomerSales", start_date="2026-01-01", end_date="2026-03-02", customer=buyer["Id"])
    assert rows(body) == {buyer["Id"]: ["70.00"], "TOTAL": ["70.00"]}


def _check_pdf(data: bytes) -> str:
    """Structure of a PDF file: header, trailer, and a cross-reference table whose offsets hit their objects."""
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    start = int(re.findall(rb"startxref\s+(\d+)", data)[-1])
    assert data[start:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n ", data[start:])
    for number, offset in enumerate(entries, start=1):
        assert data[int(offset) :].startswith(f"{number} 0 obj".encode())
    return data.decode("latin-1")


async def test_sales_forms_come_as_pdf(q: Qbo) -> None:
    customer = await q.create("Customer", {"DisplayName": "Pdf Reader"})
    invoice = await q.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line(q, "42.00")]})
    answer = await q.http.get(q.url(f"invoice/{invoice['Id']}/pdf"), headers={**q.headers, "Accept": "application/pdf"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["intuit-tid"]
    text = _check_pdf(answer.content)
    assert f"Invoice {invoice['DocNumber']}" in text and "Pdf Reader" in text
    estimate = await q.create("Estimate", {"CustomerRef": {"value": customer["Id"]}, "Line": [line(q, "9")]})
    assert (await q.get(f"estimate/{estimate['Id']}/pdf")).headers["content-type"] == "application/pdf"


async def test_pdf_of_a_missing_form_or_a_name_list_is_a_fault(q: Qbo) -> None:
    missing = fault(await q.get("invoice/987654/pdf"))
    assert missing["code"] == "610"
    assert fault(await q.get("invoice/abc/pdf"))["code"] == "2030"
    customer = await q.create("Customer", {"DisplayName": "No Pdf For Me"})
    assert fault(await q.get(f"customer/{customer['Id']}/pdf"))["code"] == "500"
