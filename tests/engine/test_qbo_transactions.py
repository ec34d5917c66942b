"""Issue 16 item 1 over the in-process sandbox: transactions entered in QuickBooks become CRM records or history
rows by the `[sync]` switches, payments deleted or voided in QuickBooks leave CRM (or stay marked void), and
invoice status comes back through Link Jobs.

One seeded sandbox serves the whole module (the suite's time budget); each test makes its own QuickBooks
transactions for customers the seed linked. Expected values come from the sandbox's QuickBooks state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS, DEFAULT_SCHEMA
from inolink_tui.domain.enums import EntityType, LinkStatus, Operation, RecordLinkStatus, Source
from inolink_tui.domain.invoice_status import INVOICE_STATUS_OPTIONS, InvoiceStatus
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.domain.transaction_history import RemovedPayments, TransactionPolicy, TransactionSync
from tests.engine.sandbox_stack import Stack, stack

pytestmark = [pytest.mark.timeout(240), pytest.mark.asyncio(loop_scope="module")]
LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.LINKED]
S = DEFAULT_SCHEMA
ON = TransactionPolicy(
    invoices=TransactionSync.RECORD,
    estimates=TransactionSync.RECORD,
    credit_memos=TransactionSync.HISTORY,
    sales_receipts=TransactionSync.HISTORY,
)
SWITCHES = """quickbooks_invoices = "record"
quickbooks_estimates = "record"
quickbooks_credit_memos = "history"
quickbooks_sales_receipts = "history"
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with stack(tmp_path_factory.mktemp("qbo-transactions"), records=16, sync=SWITCHES) as s:
        await s.run_once()  # link what the seed promoted: customers, products, some invoices
        yield s


async def engine(s: Stack, **overrides: Any) -> Any:
    e = await s.engine()
    options = replace(e.options, **overrides)
    e.options = e.processor.options = e.cycles.options = options
    return e


async def high_priority(s: Stack, **overrides: Any) -> None:
    e = await engine(s, **overrides)
    try:
        await e.cycles.high_priority()
    finally:
        await e.stop()


async def linked_customers(s: Stack) -> list[tuple[str, EntityType, str]]:
    """(QuickBooks customer Id, CRM table, CRM id) of customers linked in the store and in CRM."""
    out = []
    for et, entity_set, key in (
        (EntityType.ACCOUNT, "accounts", "accountid"),
        (EntityType.CONTACT, "contacts", "contactid"),
    ):
        for row in s.dv.rows(entity_set):
            qbo_id = row.get("ino_accountingid")
            if row.get("ino_linkstatus") != LINKED or not qbo_id or row.get("statecode") not in (None, 0):
                continue
            customer = s.qbo.get("Customer", str(qbo_id))
            if customer is None or customer.get("Active") is False:
                continue
            link = await s.store.find_link_by_qbo("Customer", str(qbo_id), s.settings.quickbooks.realm_id)
            if link is not None and link.crm_id.lower() == str(row[key]).lower():
                out.append((str(qbo_id), et, str(row[key])))
    assert out, "the seed links some customers"
    return out


def items(s: Stack) -> tuple[dict[str, Any], dict[str, Any]]:
    """A QuickBooks item linked to a CRM product, and one that is not."""
    linked_ids = {r["ino_accountingid"] for r in s.dv.rows("products") if r.get("ino_linkstatus") == LINKED}
    sellable = [i for i in s.qbo.all("Item") if i.get("Type") in ("Service", "NonInventory", "Inventory")]
    linked = next(i for i in sellable if i["Id"] in linked_ids and i.get("Active", True))
    new = s.qbo.create(
        "Item",
        {"Name": f"QB-only item {len(sellable)}", "Type": "Service", "IncomeAccountRef": linked["IncomeAccountRef"]},
    )
    return linked, new


def line(item: dict[str, Any], qty: int, price: str) -> dict[str, Any]:
    detail = {"ItemRef": {"value": item["Id"], "name": item["Name"]}, "Qty": qty, "UnitPrice": price}
    return {"Amount": f"{qty * float(price):.2f}", "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}


def accounting_jobs(jobs: list[LinkJob], qbo_id: str, entity: str) -> list[LinkJob]:
    return [j for j in jobs if j.source is Source.ACCOUNTING and j.accounting_id == qbo_id and j.qbo_entity == entity]


def rows_for(s: Stack, entity_set: str, qbo_id: str) -> list[dict[str, Any]]:
    return [r for r in s.dv.rows(entity_set) if r.get("ino_accountingid") == qbo_id]


async def test_quickbooks_invoice_and_estimate_become_linked_crm_records_with_lines(world: Stack) -> None:
    s = world
    customer, _, crm_customer = (await linked_customers(s))[0]
    product_item, new_item = items(s)
    invoice = s.qbo.create(
        "Invoice",
        {"CustomerRef": {"value": customer}, "Line": [line(product_item, 2, "40.00"), line(new_item, 1, "15.50")]},
    )
    estimate = s.qbo.create("Estimate", {"CustomerRef": {"value": customer}, "Line": [line(product_item, 3, "9.00")]})
    await high_priority(s, create_from_quickbooks=False)  # the new item stays out of CRM: a write-in line
    jobs = await s.jobs()
    (invoice_job,) = accounting_jobs(jobs, invoice["Id"], "Invoice")
    assert invoice_job.entity_type is EntityType.INVOICE and invoice_job.link_status is LinkStatus.SUCCESS, invoice_job
    (row,) = rows_for(s, "invoices", invoice["Id"])
    assert row["ino_linkstatus"] == LINKED and row["ino_accountingref"] == invoice["DocNumber"]
    assert str(row["_customerid_value"]).lower() == crm_customer.lower()
    assert invoice_job.crm_record_id == row["invoiceid"]
    assert row["ino_balance"] == pytest.approx(float(invoice["Balance"]))
    assert row["ino_invoicestatus"] == INVOICE_STATUS_OPTIONS[InvoiceStatus.OPEN]
    lines = [d for d in s.dv.rows("invoicedetails") if str(d.get("_invoiceid_value")).lower() == row["invoiceid"]]
    assert sorted((d["quantity"], d["priceperunit"]) for d in lines) == [(1, 15.5), (2, 40.0)]
    product = next(d for d in lines if d["quantity"] == 2)
    write_in = next(d for d in lines if d["quantity"] == 1)
    product_row = next(r for r in s.dv.rows("products") if r.get("ino_accountingid") == product_item["Id"])
    assert str(product["_productid_value"]).lower() == str(product_row["productid"]).lower()
    assert write_in["isproductoverridden"] is True and write_in["productdescription"] == new_item["Name"]
    (estimate_job,) = accounting_jobs(jobs, estimate["Id"], "Estimate")
    assert estimate_job.entity_type is EntityType.QUOTE and estimate_job.link_status is LinkStatus.SUCCESS
    (quote,) = rows_for(s, "quotes", estimate["Id"])
    assert quote["ino_accountingref"] == estimate["DocNumber"] and quote["ino_linkstatus"] == LINKED
    assert len([d for d in s.dv.rows("quotedetails") if str(d.get("_quoteid_value")).lower() == quote["quoteid"]]) == 1

    # The same jobs again (a restart, a requeue): the same rows, never a second invoice or line.
    e = await engine(s)
    try:
        again = await e.store.enqueue(
            [replace_job(invoice_job), replace_job(estimate_job)], now=invoice_job.submitted_at
        )
        await e.cycles.high_priority()  # (create_from_quickbooks: the new item may now become a CRM product)
        rerun = await e.store.get_many(list(again.created))
        assert rerun and all(j.link_status is LinkStatus.SUCCESS for j in rerun), rerun
    finally:
        await e.stop()
    assert len(rows_for(s, "invoices", invoice["Id"])) == 1 and len(rows_for(s, "quotes", estimate["Id"])) == 1
    assert (
        len([d for d in s.dv.rows("invoicedetails") if str(d.get("_invoiceid_value")).lower() == row["invoiceid"]]) == 2
    )

    # A payment in QuickBooks: the invoice's status comes back through an Invoice Link Job.
    s.qbo.create(
        "Payment",
        {
            "CustomerRef": {"value": customer},
            "TotalAmt": 20,
            "Line": [{"Amount": 20, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )
    before = {j.id for j in await s.jobs()}
    await high_priority(s)
    status_jobs = [
        j
        for j in accounting_jobs(await s.jobs(), invoice["Id"], "Invoice")
        if j.id not in before and j.operation is Operation.UPDATE
    ]
    assert status_jobs and status_jobs[0].crm_record_id == row["invoiceid"], status_jobs
    assert all(j.link_status is LinkStatus.SUCCESS for j in status_jobs)
    (row,) = rows_for(s, "invoices", invoice["Id"])
    paid = s.qbo.get("Invoice", invoice["Id"])
    assert row["ino_balance"] == pytest.approx(float(paid["Balance"])) and row["ino_amountpaid"] == pytest.approx(20)
    assert row["ino_invoicestatus"] == INVOICE_STATUS_OPTIONS[InvoiceStatus.PARTIALLY_PAID]
    # CRM change tracking sees the recorded invoice and quote: ours, so no CRM job pushes them back.
    e = await engine(s)
    try:
        await e.run_once()
    finally:
        await e.stop()
    mine = {row["invoiceid"], quote["quoteid"]}
    assert not [j for j in await s.jobs() if j.source is Source.CRM and j.crm_record_id.lower() in mine]


async def test_an_item_entered_with_the_invoice_becomes_the_lines_product_first(world: Stack) -> None:
    """The invoice's job waits for the new item's job (same CDC answer), so its line is the product's."""
    s = world
    customer, _, _ = (await linked_customers(s))[0]
    linked_item, _ = items(s)
    new_item = s.qbo.create(
        "Item", {"Name": "Gravel (new)", "Type": "Service", "IncomeAccountRef": linked_item["IncomeAccountRef"]}
    )
    invoice = s.qbo.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [line(new_item, 4, "2.50")]})
    await high_priority(s)
    (row,) = rows_for(s, "invoices", invoice["Id"])
    (detail,) = [d for d in s.dv.rows("invoicedetails") if str(d.get("_invoiceid_value")).lower() == row["invoiceid"]]
    (product,) = [r for r in s.dv.rows("products") if r.get("ino_accountingid") == new_item["Id"]]
    assert str(detail["_productid_value"]).lower() == str(product["productid"]).lower()
    assert detail["isproductoverridden"] is False


def replace_job(job: LinkJob) -> Any:
    from inolink_tui.domain.jobs import NewJob

    return NewJob(
        entity_type=job.entity_type,
        source=job.source,
        crm_record_id="",
        record_name=job.record_name,
        company=job.company,
        operation=Operation.CREATE,
        submitted_by="QuickBooks",
        submitted_at=job.submitted_at,
        qbo_entity=job.qbo_entity,
        qbo_id=job.accounting_id,
    )


async def test_credit_memos_sales_receipts_and_history_invoices_become_history_rows(world: Stack) -> None:
    s = world
    customers = await linked_customers(s)
    customer, et, crm_customer = customers[-1]
    product_item, _ = items(s)
    memo = s.qbo.create("CreditMemo", {"CustomerRef": {"value": customer}, "Line": [line(product_item, 1, "12.00")]})
    receipt = s.qbo.create(
        "SalesReceipt", {"CustomerRef": {"value": customer}, "Line": [line(product_item, 2, "5.00")]}
    )
    invoice = s.qbo.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [line(product_item, 1, "7.00")]})
    linked_ids = {c[0] for c in customers}
    stranger = next(c for c in s.qbo.all("Customer") if c["Id"] not in linked_ids and c.get("Active", True))
    theirs = s.qbo.create(
        "CreditMemo", {"CustomerRef": {"value": stranger["Id"]}, "Line": [line(product_item, 1, "3.00")]}
    )
    await high_priority(s, transactions=replace(ON, invoices=TransactionSync.HISTORY))
    history = {(r["ino_transactiontype"], r["ino_accountingid"]): r for r in s.dv.rows("ino_salestransactions")}
    lookup = "_ino_accountid_value" if et is EntityType.ACCOUNT else "_ino_contactid_value"
    for label, txn in (("Credit Memo", memo), ("Sales Receipt", receipt), ("Invoice", invoice)):
        row = history[(label, txn["Id"])]
        assert str(row[lookup]).lower() == crm_customer.lower()
        assert row["ino_transactionnumber"] == txn.get("DocNumber")
        assert row["ino_transactiondate"][:10] == txn["TxnDate"]
        assert row["ino_amount"] == pytest.approx(float(txn["TotalAmt"]))
        assert row["ino_transactionkey"] == f"{label.replace(' ', '')}|{txn['Id']}"
    assert history[("Credit Memo", memo["Id"])]["ino_balance"] == pytest.approx(float(memo["RemainingCredit"]))
    assert history[("Credit Memo", memo["Id"])]["ino_transactionstatus"] == "Unapplied"
    assert history[("Sales Receipt", receipt["Id"])]["ino_transactionstatus"] == "Paid"
    assert history[("Invoice", invoice["Id"])]["ino_balance"] == pytest.approx(float(invoice["Balance"]))
    assert history[("Invoice", invoice["Id"])]["ino_transactionstatus"] == "Open"
    assert not rows_for(s, "invoices", invoice["Id"]), "history, not a CRM invoice"
    assert ("Credit Memo", theirs["Id"]) not in history, "an unlinked customer's transactions stay in QuickBooks"
    jobs = await s.jobs()
    assert not accounting_jobs(jobs, theirs["Id"], "CreditMemo")
    for txn, entity in ((memo, "CreditMemo"), (receipt, "SalesReceipt"), (invoice, "Invoice")):
        (job,) = accounting_jobs(jobs, txn["Id"], entity)
        assert job.entity_type is EntityType.SALES_TRANSACTION and job.link_status is LinkStatus.SUCCESS, job
        assert job.operation is Operation.CREATE

    # Deleted in QuickBooks (CDC: status "Deleted"): the history row goes, through a Sales Transaction job.
    s.qbo.delete(
        "SalesReceipt", {"Id": receipt["Id"], "SyncToken": s.qbo.get("SalesReceipt", receipt["Id"])["SyncToken"]}
    )
    await high_priority(s, transactions=replace(ON, invoices=TransactionSync.HISTORY))
    rows = s.dv.rows("ino_salestransactions")
    assert [r for r in rows if r["ino_transactionkey"] == f"SalesReceipt|{receipt['Id']}"] == []
    assert len(rows) == len(history) - 1
    removal = [
        j for j in accounting_jobs(await s.jobs(), receipt["Id"], "SalesReceipt") if j.operation is Operation.UPDATE
    ]
    assert len(removal) == 1 and removal[0].link_status is LinkStatus.SUCCESS
    assert removal[0].entity_type is EntityType.SALES_TRANSACTION


async def test_with_the_default_switches_quickbooks_transactions_stay_in_quickbooks(world: Stack) -> None:
    s = world
    customer, _, _ = (await linked_customers(s))[0]
    product_item, _ = items(s)
    invoice = s.qbo.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [line(product_item, 1, "1.00")]})
    memo = s.qbo.create("CreditMemo", {"CustomerRef": {"value": customer}, "Line": [line(product_item, 1, "1.00")]})
    history_before = len(s.dv.rows("ino_salestransactions"))
    await high_priority(s, transactions=TransactionPolicy())
    jobs = await s.jobs()
    assert not accounting_jobs(jobs, invoice["Id"], "Invoice") and not accounting_jobs(jobs, memo["Id"], "CreditMemo")
    assert not rows_for(s, "invoices", invoice["Id"]) and len(s.dv.rows("ino_salestransactions")) == history_before


async def test_low_priority_backfills_what_was_entered_while_switched_off(world: Stack) -> None:
    s = world
    customer, _, _ = (await linked_customers(s))[0]
    product_item, _ = items(s)
    memo = s.qbo.create("CreditMemo", {"CustomerRef": {"value": customer}, "Line": [line(product_item, 1, "4.00")]})
    await high_priority(s, transactions=TransactionPolicy())  # switched off: nothing
    assert not [r for r in s.dv.rows("ino_salestransactions") if r["ino_transactionkey"] == f"CreditMemo|{memo['Id']}"]
    history = TransactionPolicy(credit_memos=TransactionSync.HISTORY)
    e = await engine(s, transactions=history)
    try:
        await e.cycles.low_priority()
        keys = [r["ino_transactionkey"] for r in s.dv.rows("ino_salestransactions")]
        assert f"CreditMemo|{memo['Id']}" in keys and len(keys) == len(set(keys))
        jobs = len(await s.jobs())
        await e.cycles.low_priority()  # nothing missing any more: no job
        assert len(await s.jobs()) == jobs and len(s.dv.rows("ino_salestransactions")) == len(keys)
    finally:
        await e.stop()


async def paid_linked_invoice(s: Stack, amount: float) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A payment on an invoice linked to CRM, recorded in CRM by the High Priority service."""
    links = {r["ino_accountingid"]: r for r in s.dv.rows("invoices") if r.get("ino_linkstatus") == LINKED}
    invoice = next(
        i
        for i in s.qbo.all("Invoice")
        if i["Id"] in links and float(i["Balance"]) >= amount and float(i["TotalAmt"]) > 0
    )
    payment = s.qbo.create(
        "Payment",
        {
            "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
            "TotalAmt": amount,
            "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )
    await high_priority(s)
    assert rows_for(s, "ino_payments", payment["Id"]), "the payment was recorded"
    assert applications(s, payment["Id"])
    return invoice, payment, links[invoice["Id"]]


def applications(s: Stack, payment_id: str) -> list[dict[str, Any]]:
    return [a for a in s.dv.rows("ino_paymentapplications") if a["ino_applicationkey"].startswith(f"{payment_id}|")]


def crm_invoice(s: Stack, invoice_id: str) -> dict[str, Any]:
    (row,) = [r for r in rows_for(s, "invoices", invoice_id) if r.get("ino_linkstatus") == LINKED]
    return row


async def test_a_payment_deleted_in_quickbooks_leaves_crm_and_its_invoice_shows_the_balance_again(world: Stack) -> None:
    s = world
    invoice, payment, _ = await paid_linked_invoice(s, 5.0)
    paid_balance = float(s.qbo.get("Invoice", invoice["Id"])["Balance"])
    assert crm_invoice(s, invoice["Id"])["ino_balance"] == pytest.approx(paid_balance)
    s.qbo.delete("Payment", {"Id": payment["Id"], "SyncToken": s.qbo.get("Payment", payment["Id"])["SyncToken"]})
    await high_priority(s)
    assert rows_for(s, "ino_payments", payment["Id"]) == [] and applications(s, payment["Id"]) == []
    restored = float(s.qbo.get("Invoice", invoice["Id"])["Balance"])
    assert restored == pytest.approx(paid_balance + 5.0)
    assert crm_invoice(s, invoice["Id"])["ino_balance"] == pytest.approx(restored)
    removal = [j for j in accounting_jobs(await s.jobs(), payment["Id"], "Payment") if j.operation is Operation.UPDATE]
    assert len(removal) == 1 and removal[0].entity_type is EntityType.PAYMENT
    assert removal[0].link_status is LinkStatus.SUCCESS and "Payment" in removal[0].record_name
    # The same removal again (CDC's overlap, a requeue): nothing left to remove, still a Success.
    from inolink_tui.engine.payment_jobs import removed_payment_job

    e = await engine(s)
    try:
        again = await e.store.enqueue(
            [removed_payment_job(payment["Id"], e.options.company, removal[0].submitted_at, None)],
            now=removal[0].submitted_at,
        )
        await e.cycles.high_priority()
        (rerun,) = await e.store.get_many(list(again.created))
        assert rerun.link_status is LinkStatus.SUCCESS
    finally:
        await e.stop()
    assert crm_invoice(s, invoice["Id"])["ino_balance"] == pytest.approx(restored)


async def test_a_voided_payment_stays_marked_void_by_default_and_goes_with_delete(world: Stack) -> None:
    s = world
    invoice, payment, _ = await paid_linked_invoice(s, 3.0)
    s.qbo.void("Payment", {"Id": payment["Id"], "SyncToken": s.qbo.get("Payment", payment["Id"])["SyncToken"]})
    await high_priority(s)  # removed_payments = "mirror": QuickBooks keeps a voided payment, so does CRM
    (row,) = rows_for(s, "ino_payments", payment["Id"])
    assert row["ino_voidedon"] and row["ino_amount"] == 0
    assert applications(s, payment["Id"]) == []
    assert crm_invoice(s, invoice["Id"])["ino_balance"] == pytest.approx(
        float(s.qbo.get("Invoice", invoice["Id"])["Balance"])
    )

    invoice, payment, _ = await paid_linked_invoice(s, 2.0)
    s.qbo.void("Payment", {"Id": payment["Id"], "SyncToken": s.qbo.get("Payment", payment["Id"])["SyncToken"]})
    await high_priority(s, transactions=replace(ON, removed_payments=RemovedPayments.DELETE))
    assert rows_for(s, "ino_payments", payment["Id"]) == [] and applications(s, payment["Id"]) == []
    assert crm_invoice(s, invoice["Id"])["ino_balance"] == pytest.approx(
        float(s.qbo.get("Invoice", invoice["Id"])["Balance"])
    )


async def test_a_payment_voided_before_crm_saw_it_is_recorded_void(world: Stack) -> None:
    s = world
    links = {r["ino_accountingid"] for r in s.dv.rows("invoices") if r.get("ino_linkstatus") == LINKED}
    invoice = next(i for i in s.qbo.all("Invoice") if i["Id"] in links and float(i["Balance"]) >= 1)
    payment = s.qbo.create(
        "Payment",
        {
            "CustomerRef": {"value": invoice["CustomerRef"]["value"]},
            "TotalAmt": 1,
            "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
        },
    )
    s.qbo.void("Payment", {"Id": payment["Id"], "SyncToken": payment["SyncToken"]})
    await high_priority(s)  # "mirror": as QuickBooks' customer card lists it, voided, amount 0
    (row,) = rows_for(s, "ino_payments", payment["Id"])
    assert row["ino_voidedon"] and row["ino_amount"] == 0 and applications(s, payment["Id"]) == []


async def test_the_sandbox_activity_shows_these_jobs_as_demo_does(world: Stack) -> None:
    """Last in the module: the simulated users also deactivate and delete records of the shared sandbox."""
    from inolink_tui.sandbox.activity import ActivityRunner

    s = world
    runner = ActivityRunner(s.handle.sandbox, 1.0, seed=11)
    events = [runner.step() for _ in range(120)]
    kinds = {e["event"] for e in events if "refused" not in e and "skipped" not in e}
    assert {"qbo_estimate", "qbo_sales_receipt", "qbo_credit_memo", "qbo_remove_payment"} <= kinds, kinds
    before = {j.id for j in await s.jobs()}
    await high_priority(s)
    new = [j for j in await s.jobs() if j.id not in before and j.source is Source.ACCOUNTING]
    done = {(j.entity_type, j.qbo_entity) for j in new if j.link_status is LinkStatus.SUCCESS}
    assert {(EntityType.QUOTE, "Estimate"), (EntityType.SALES_TRANSACTION, "SalesReceipt")} <= done, done
    assert (EntityType.PAYMENT, "Payment") in done
    keys = [r["ino_transactionkey"] for r in s.dv.rows("ino_salestransactions")]
    assert len(keys) == len(set(keys)), "no transaction kept twice"
    recorded = [r["ino_accountingid"] for r in s.dv.rows("ino_payments")]
    assert len(recorded) == len(set(recorded)), "no payment recorded twice"
    gone = [str(e["payment"]) for e in events if e["event"] == "qbo_remove_payment" and e.get("removed") == "deleted"]
    assert not set(gone) & set(recorded), "payments deleted in QuickBooks are not in CRM"
