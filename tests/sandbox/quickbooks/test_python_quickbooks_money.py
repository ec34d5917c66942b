"""python-quickbooks, unchanged, reading and writing Payment, CreditMemo, SalesReceipt, CompanyCurrency and the
AgedReceivables / CustomerBalance reports against the sandbox (its objects and `get_report`, as documented)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from inolink_tui.sandbox.options import QboLimits, SandboxOptions
from inolink_tui.sandbox.server import run_sandbox

quickbooks = pytest.importorskip("quickbooks")
pytestmark = pytest.mark.timeout(60)


def _money_session(info: dict[str, str]) -> dict[str, Any]:
    from intuitlib.client import AuthClient
    from quickbooks import QuickBooks
    from quickbooks.objects.base import LinkedTxn
    from quickbooks.objects.companycurrency import CompanyCurrency
    from quickbooks.objects.creditmemo import CreditMemo
    from quickbooks.objects.customer import Customer
    from quickbooks.objects.detailline import SalesItemLine, SalesItemLineDetail
    from quickbooks.objects.invoice import Invoice
    from quickbooks.objects.item import Item
    from quickbooks.objects.payment import Payment, PaymentLine
    from quickbooks.objects.salesreceipt import SalesReceipt

    auth = AuthClient(
        info["qbo_client_id"], info["qbo_client_secret"], "http://localhost:8765/callback", info["intuit_discovery_url"]
    )
    client = QuickBooks(
        auth_client=auth, refresh_token=info["qbo_refresh_token"], company_id=info["realm_id"], minorversion=75
    )
    client.api_url_v3 = info["qbo_base_url"] + "/v3"
    seen: dict[str, Any] = {}
    customer = Customer()
    customer.DisplayName = "PyQB Payer"
    customer.save(qb=client)
    item = Item.filter(Name="Services", qb=client)[0]

    def line(amount: float) -> SalesItemLine:
        made = SalesItemLine()
        made.Amount = amount
        made.SalesItemLineDetail = SalesItemLineDetail()
        made.SalesItemLineDetail.ItemRef = item.to_ref()
        made.SalesItemLineDetail.Qty = 1  # the library sends Qty 0 and UnitPrice 0 otherwise (6070)
        made.SalesItemLineDetail.UnitPrice = amount
        return made

    invoice = Invoice()
    invoice.CustomerRef = customer.to_ref()
    invoice.Line = [line(100)]
    invoice.save(qb=client)
    memo = CreditMemo()
    memo.CustomerRef = customer.to_ref()
    memo.Line = [line(10)]
    memo.save(qb=client)
    payment = Payment()
    payment.CustomerRef = customer.to_ref()
    payment.TotalAmt = 50
    applied = PaymentLine()
    applied.Amount = 60
    applied.LinkedTxn = [LinkedTxn()]
    applied.LinkedTxn[0].TxnId, applied.LinkedTxn[0].TxnType = invoice.Id, "Invoice"
    credit = PaymentLine()
    credit.Amount = 10
    credit.LinkedTxn = [LinkedTxn()]
    credit.LinkedTxn[0].TxnId, credit.LinkedTxn[0].TxnType = memo.Id, "CreditMemo"
    payment.Line = [applied, credit]
    payment.save(qb=client)
    read = Payment.get(payment.Id, qb=client)
    seen["payment"] = (float(read.TotalAmt), float(read.UnappliedAmt), [ln.LinkedTxn[0].TxnType for ln in read.Line])
    seen["invoice_balance"] = float(Invoice.get(invoice.Id, qb=client).Balance)
    seen["credit_left"] = float(CreditMemo.get(memo.Id, qb=client).RemainingCredit)
    receipt = SalesReceipt()
    receipt.CustomerRef = customer.to_ref()
    receipt.Line = [line(7)]
    receipt.save(qb=client)
    seen["receipt"] = (float(SalesReceipt.get(receipt.Id, qb=client).TotalAmt), receipt.Balance)
    seen["payments"] = [p.Id for p in Payment.filter(CustomerRef=customer.Id, qb=client)]
    seen["currencies"] = [c.Code for c in CompanyCurrency.all(qb=client)]
    aging = client.get_report("AgedReceivables", qs={"customer": customer.Id})
    seen["aging"] = [c["value"] for c in aging["Rows"]["Row"][0]["ColData"]]
    balance = client.get_report("CustomerBalance", qs={"customer": customer.Id})
    seen["balance"] = [c["value"] for c in balance["Rows"]["Row"][0]["ColData"]]
    return seen


async def test_python_quickbooks_payments_credits_receipts_and_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    # all-entities/payment, creditmemo, salesreceipt, companycurrency; report-entities/aragingsummary and
    # customerbalance, through the library's own objects and QuickBooks.get_report.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    limits = QboLimits(requests_per_second=0)
    async with run_sandbox(SandboxOptions(records=0, qbo_limits=limits, qbo_multicurrency=True)) as handle:
        seen = await asyncio.to_thread(_money_session, handle.info())
    assert seen["payment"] == (50.0, 0.0, ["Invoice", "CreditMemo"])
    assert seen["invoice_balance"] == 40.0 and seen["credit_left"] == 0.0
    assert seen["receipt"] == (7.0, 0)
    assert len(seen["payments"]) == 1
    assert sorted(seen["currencies"]) == ["CAD", "EUR"]
    assert seen["aging"] == ["PyQB Payer", "40.00", "", "", "", "", "40.00"]
    assert seen["balance"] == ["PyQB Payer", "40.00"]
