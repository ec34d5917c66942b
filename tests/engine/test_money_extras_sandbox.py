"""Issue 16 items 2 and 6 over the in-process sandbox (one seeded stack for the module): last transaction date
and year-to-date sales written by the Low Priority pass, checked against the sandbox's own figures.

The expected sales come from the sandbox's CustomerSales computation (sandbox/quickbooks/reports_sales.py), the
expected dates from its records, never from what the engine wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.enums import RecordLinkStatus
from inolink_tui.engine.adapters import DataverseCrm, QuickBooksAccounting
from inolink_tui.engine.money_services import MoneyBack
from inolink_tui.sandbox.quickbooks.reports_sales import fiscal_year_start, sales_by_customer
from tests.engine.sandbox_stack import Stack, stack

pytestmark = [pytest.mark.timeout(180), pytest.mark.asyncio(loop_scope="module")]
LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED]
POSTING = ("Invoice", "SalesReceipt", "CreditMemo", "Payment")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def s(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with stack(Path(tmp_path_factory.mktemp("totals")), records=16) as s:
        engine = await s.engine()
        try:
            await engine.run_once()  # links what the seed promoted
        finally:
            await engine.stop()
        yield s


def linked(s: Stack, entity_set: str) -> list[dict[str, Any]]:
    return [r for r in s.dv.rows(entity_set) if r.get("ino_linkstatus") == LINKED and r.get("ino_accountingid")]


async def money(s: Stack) -> tuple[Any, MoneyBack]:
    engine = await s.engine()
    assert isinstance(engine.crm, DataverseCrm) and isinstance(engine.qbo, QuickBooksAccounting)
    return engine, MoneyBack(engine.crm, engine.qbo, s.store, engine.options, lambda: datetime.now(UTC))


def service_item(s: Stack) -> str:
    return str(next(i["Id"] for i in s.qbo.all("Item") if i.get("Type") == "Service" and i.get("Active", True)))


def line(item: str, amount: str) -> dict[str, Any]:
    return {"Amount": amount, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": item}}}


async def test_last_transaction_date_and_ytd_sales_equal_the_sandbox_figures(s: Stack) -> None:
    account = next(r for r in linked(s, "accounts") if s.qbo.get("Customer", r["ino_accountingid"]) is not None)
    customer = str(account["ino_accountingid"])
    item, today = service_item(s), date.fromisoformat(s.qbo.today())
    start = fiscal_year_start(s.qbo, today)
    before = sales_by_customer(s.qbo, start, today).get(customer, 0)
    ref = {"value": customer}
    s.qbo.create("Invoice", {"CustomerRef": ref, "TxnDate": today.isoformat(), "Line": [line(item, "120.00")]})
    s.qbo.create("SalesReceipt", {"CustomerRef": ref, "TxnDate": start.isoformat(), "Line": [line(item, "30.00")]})
    s.qbo.create("CreditMemo", {"CustomerRef": ref, "TxnDate": today.isoformat(), "Line": [line(item, "20.00")]})
    truth = sales_by_customer(s.qbo, start, today)
    assert truth[customer] - before == 130, "the sandbox counts invoice + receipt - credit memo"
    engine, back = await money(s)
    try:
        asked: list[str] = []
        real = back.qbo.report

        async def counted(name: str, params: Any = None) -> dict[str, Any]:
            asked.append(name)
            return await real(name, params)

        back.qbo.report = counted  # type: ignore[method-assign]
        assert await back.aging() >= 1
        assert sorted(asked) == ["AgedReceivables", "CustomerSales"], "two report requests for every customer"
        checked = 0
        for entity_set in ("accounts", "contacts"):
            for row in linked(s, entity_set):
                qbo_id = str(row["ino_accountingid"])
                dates = [
                    t["TxnDate"]
                    for e in POSTING
                    for t in s.qbo.all(e)
                    if t.get("CustomerRef", {}).get("value") == qbo_id
                ]
                assert float(row.get("ino_ytdsales") or 0) == pytest.approx(float(truth.get(qbo_id, 0))), qbo_id
                got = row.get("ino_lasttransactiondate")
                assert (got[:10] if got else None) == (max(dates) if dates else None), qbo_id
                checked += bool(dates)
        assert checked >= 1
        mine = next(r for r in s.dv.rows("accounts") if r["accountid"] == account["accountid"])
        assert mine["ino_lasttransactiondate"][:10] == today.isoformat()
        assert await back.aging() == 0, "a second run writes nothing when nothing changed"
    finally:
        await engine.stop()


async def test_reconcile_compares_payment_amounts_and_fix_queues_the_payment_job(s: Stack) -> None:
    from inolink_tui.domain.enums import EntityType
    from inolink_tui.engine.reconcile import queue_repairs, reconcile

    customers = {r["ino_accountingid"] for r in linked(s, "accounts") + linked(s, "contacts")}
    invoices = [s.qbo.get("Invoice", r["ino_accountingid"]) for r in linked(s, "invoices")]
    invoice = next(i for i in invoices if i and float(i["Balance"]) > 1 and i["CustomerRef"]["value"] in customers)
    part = round(float(invoice["Balance"]) / 2, 2)
    payment = s.qbo.create(
        "Payment",
        {
            "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
            "TotalAmt": part + 5,  # 5 left unapplied
            "Line": [{"Amount": part, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )
    pid = payment["Id"]
    engine = await s.engine()
    try:
        await engine.cycles.high_priority()  # CDC reports the payment: its Link Job records it in CRM

        async def mine() -> list[Any]:
            drifts = await reconcile(s.store, engine.crm, engine.qbo, engine.options, [EntityType.INVOICE])
            return [d for d in drifts if d.qbo_id in (pid, invoice["Id"])]

        assert await mine() == [], "recorded with QuickBooks' figures"
        row = next(r for r in s.dv.rows("ino_payments") if r["ino_accountingid"] == pid)
        app = next(
            r for r in s.dv.rows("ino_paymentapplications") if r["ino_applicationkey"] == f"{pid}|{invoice['Id']}"
        )
        crm_invoice = next(r for r in linked(s, "invoices") if r["ino_accountingid"] == invoice["Id"])
        # Someone edits the money rows in CRM by hand.
        s.dv.update_row("ino_payments", row["ino_paymentid"], {"ino_amount": 1.0, "ino_unappliedamount": 0.0})
        s.dv.update_row("ino_paymentapplications", app["ino_paymentapplicationid"], {"ino_amountapplied": 0.01})
        s.dv.update_row("invoices", crm_invoice["invoiceid"], {"ino_balance": 0.0})
        found = {(d.kind.value, d.field, d.crm_value, d.qbo_value) for d in await mine()}
        assert {
            ("payment", "amount", "1.00", f"{part + 5:.2f}"),
            ("payment", "unapplied amount", "0.00", "5.00"),
            ("application", f"invoice {invoice['Id']} applied", "0.01", f"{part:.2f}"),
        } <= found, found
        assert ("invoice", "ino_balance", "0.00", f"{float(invoice['Balance']) - part:.2f}") in found, found
        drifts = await mine()
        assert all(d.fixable and d.fix_payment == pid for d in drifts), drifts
        queued = await queue_repairs(s.store, drifts, engine.options.company, "tester")
        assert len(queued.created) == 1, "one Payment Link Job repairs the payment, its application and invoice"
        job = next(j for j in await s.jobs() if j.id == queued.created[0])
        assert job.entity_type is EntityType.PAYMENT and job.accounting_id == pid and job.submitted_by == "tester"
        await engine.run_once()
        assert await mine() == [], "the repair job rewrote QuickBooks' figures"
    finally:
        await engine.stop()


async def test_payment_terms_come_back_to_accounts_and_invoices(s: Stack) -> None:
    terms = {t["Name"]: t["Id"] for t in s.qbo.all("Term")}
    customers = [r for r in linked(s, "accounts") if s.qbo.get("Customer", r["ino_accountingid"]) is not None]
    net30, net15 = customers[-1], customers[-2]
    invoice_row = next(
        r
        for r in linked(s, "invoices")
        if (i := s.qbo.get("Invoice", r["ino_accountingid"])) is not None and float(i["Balance"]) > 0
    )
    s.dv.update_row("accounts", net15["accountid"], {"paymenttermscode": 4})  # set in CRM before
    for row, term in ((net30, "Net 30"), (net15, "Net 15")):
        current = s.qbo.get("Customer", row["ino_accountingid"])
        s.qbo.update(
            "Customer",
            {
                "Id": current["Id"],
                "SyncToken": current["SyncToken"],
                "Notes": "terms",
                "SalesTermRef": {"value": terms[term]},
            },
        )
    invoice = s.qbo.get("Invoice", invoice_row["ino_accountingid"])
    s.qbo.update(
        "Invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"], "SalesTermRef": {"value": terms["Net 30"]}}
    )
    engine = await s.engine()
    try:
        await engine.cycles.high_priority()  # CDC: the customers' pull jobs, the invoice's money refresh
    finally:
        await engine.stop()
    assert s.dv.get_row("accounts", net30["accountid"])["paymenttermscode"] == 1, "Net 30 is CRM's Net 30"
    assert s.dv.get_row("accounts", net15["accountid"])["paymenttermscode"] == 4, "no CRM option: left alone"
    assert s.dv.get_row("invoices", invoice_row["invoiceid"])["paymenttermscode"] == 1


async def test_reconcile_compares_sales_and_last_transaction_date(s: Stack) -> None:
    from inolink_tui.domain.enums import EntityType
    from inolink_tui.engine.reconcile import reconcile

    engine, back = await money(s)
    try:
        await back.aging()  # the Low Priority pass writes QuickBooks' figures

        async def totals_drift() -> list[Any]:
            drifts = await reconcile(s.store, engine.crm, engine.qbo, engine.options, [EntityType.ACCOUNT])
            return [d for d in drifts if d.field in ("ino_ytdsales", "ino_lasttransactiondate")]

        assert await totals_drift() == []
        row = next(r for r in linked(s, "accounts") if r.get("ino_ytdsales"))
        s.dv.update_row("accounts", row["accountid"], {"ino_ytdsales": 1.0, "ino_lasttransactiondate": None})
        found = {(d.crm_id, d.field, d.crm_value) for d in await totals_drift()}
        assert found == {
            (row["accountid"], "ino_ytdsales", "1.00"),
            (row["accountid"], "ino_lasttransactiondate", None),
        }
        await back.aging()
        assert await totals_drift() == []
    finally:
        await engine.stop()


async def test_an_account_s_payment_terms_go_to_its_customer(s: Stack) -> None:
    terms = {t["Name"]: t["Id"] for t in s.qbo.all("Term")}
    customers = [r for r in linked(s, "accounts") if s.qbo.get("Customer", r["ino_accountingid"]) is not None]
    assert len(customers) >= 4, "the other tests of the module use the first and the last two"
    row = customers[1]
    s.dv.update_row("accounts", row["accountid"], {"paymenttermscode": 4})  # a CRM user sets Net 60
    engine = await s.engine()
    try:
        await engine.run_once()  # CRM change tracking: the account's CRM -> QuickBooks update job
    finally:
        await engine.stop()
    customer = s.qbo.get("Customer", row["ino_accountingid"])
    assert customer["SalesTermRef"]["value"] == terms["Net 60"]
    assert s.dv.get_row("accounts", row["accountid"])["paymenttermscode"] == 4, "and it does not come back changed"
