"""Reading the money for `reconcile`, in bulk: linked invoices against QuickBooks' invoices, payments of linked
customers against CRM's payment and application rows, and aging against QuickBooks' AgedReceivables report.

QuickBooks requests: one AgedReceivables report (for every customer at once), one Invoice query and one Payment
query (paged by the connector, about one request per 1,000 records): a handful, whatever the number of records,
far under QuickBooks' 500 requests a minute. CRM: one listing each of the linked invoices, the payment rows
(Accounting ID, amount, unapplied amount) and the application rows (key, amount applied), plus the account and
contact listings reconcile reads anyway. Money drifts a payment's Link Job repairs carry that payment's Id
(`Drift.fix_payment`); `--fix` queues the job (engine/reconcile.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

from inolink_tui.domain.aging import Aging, parse_aged_receivables
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping import record_name
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.domain.reconcile import Drift, DriftKind
from inolink_tui.domain.reconcile_amounts import fixable_by_payment, payment_amount_drift
from inolink_tui.domain.reconcile_history import history_drift
from inolink_tui.domain.reconcile_money import invoice_drift, payment_drift
from inolink_tui.domain.transaction_history import TRANSACTION_LABELS, TransactionSync, transaction_key
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.ports import RowReads
from inolink_tui.store.base import JobStore


@runtime_checkable
class ReportReader(Protocol):
    """A QuickBooks port that reads reports (engine/adapters.py QuickBooksAccounting)."""

    async def report(self, name: str, params: Mapping[str, str] | None = None) -> dict[str, Any]: ...


class MoneyReads(Protocol):
    async def linked_rows(self, entity_type: EntityType) -> list[dict[str, Any]]: ...

    async def column_values(self, entity_set: str, column: str) -> set[str]: ...


class QueryReader(Protocol):
    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]: ...


def now_utc() -> datetime:
    return datetime.now(UTC)


async def aging_report(qbo: object, now: datetime) -> dict[str, Aging]:
    """QuickBooks' AgedReceivables as of today, per customer Id, as the Low Priority service reads it."""
    if not isinstance(qbo, ReportReader):
        raise ValueError("this QuickBooks connection cannot read reports (AgedReceivables)")
    return parse_aged_receivables(await qbo.report("AgedReceivables", {"report_date": now.date().isoformat()}))


async def invoice_drifts(crm: MoneyReads, qbo: QueryReader, options: EngineOptions, now: datetime) -> list[Drift]:
    """Every linked CRM invoice against its QuickBooks invoice (one CRM listing, one Invoice query)."""
    schema = options.schema
    today = now.astimezone(options.timezone).date()
    invoices = {str(i["Id"]): i for i in await qbo.query("Invoice")}
    out: list[Drift] = []
    for row in await crm.linked_rows(EntityType.INVOICE):
        qbo_id = str(row.get(schema.accounting_id) or "")
        invoice = invoices.get(qbo_id)
        if invoice is None:
            continue  # a voided or deleted invoice: not a money drift (the link itself is for another check)
        crm_id = str(row.get(PRIMARY_KEY[EntityType.INVOICE]) or "")
        out += invoice_drift(schema, record_name(EntityType.INVOICE, row), crm_id, row, invoice, today)
    return invoice_fixes(out, invoices)


async def payment_drifts(
    crm: MoneyReads, qbo: QueryReader, options: EngineOptions, customers: Mapping[str, tuple[EntityType, str]]
) -> list[Drift]:
    """QuickBooks payments of linked customers missing in CRM or missing an application (one Payment query), and,
    where CRM can list its payment and application rows, their amounts against QuickBooks' (two CRM listings)."""
    schema = options.schema
    payments = await qbo.query("Payment")
    if not isinstance(crm, RowReads):
        recorded = await crm.column_values(schema.payments, schema.payment("accountingid"))
        applied = await crm.column_values(schema.applications, schema.application_key)
        return fixable_by_payment(payment_drift(payments, customers, recorded, applied))
    p = schema.payment
    payment_rows = {
        str(r[p("accountingid")]): r
        for r in await crm.table_rows(schema.payments, [p("accountingid"), p("amount"), p("unappliedamount")])
        if r.get(p("accountingid"))
    }
    application_rows = {
        str(r[schema.application_key]): r
        for r in await crm.table_rows(schema.applications, [schema.application_key, p("amountapplied")])
        if r.get(schema.application_key)
    }
    out = fixable_by_payment(payment_drift(payments, customers, set(payment_rows), set(application_rows)))
    return out + payment_amount_drift(schema, payments, customers, payment_rows, application_rows)


def invoice_fixes(drifts: Sequence[Drift], invoices: Mapping[str, Mapping[str, Any]]) -> list[Drift]:
    """An invoice drift is fixable when QuickBooks links a payment to the invoice: that payment's Link Job
    refreshes the status and balance of every linked invoice it paid (engine/money_back.py). An invoice with no
    payment (e.g. it became overdue) waits for the High Priority service, which rewrites it when it changes."""
    out: list[Drift] = []
    for d in drifts:
        invoice = invoices.get(d.qbo_id) or {}
        paid_by = sorted(
            (str(t.get("TxnId")) for t in invoice.get("LinkedTxn") or [] if t.get("TxnType") == "Payment"),
            key=lambda x: (len(x), x),
        )
        if d.kind is DriftKind.INVOICE and paid_by:
            detail = "the Payment Link Job of a payment of this invoice rewrites its status (--fix queues it)"
            d = replace(d, fixable=True, fix_payment=paid_by[-1], detail=detail)
        out.append(d)
    return out


async def history_drifts(
    crm: MoneyReads,
    qbo: QueryReader,
    store: JobStore,
    options: EngineOptions,
    customers: Mapping[str, tuple[EntityType, str]],
    now: datetime,
) -> list[Drift]:
    """The Sales Transaction history rows against QuickBooks, for the types `[sync]` switches to "history": one
    query per such type and one CRM listing of the rows (nothing read when no type is on "history")."""
    schema, policy = options.schema, options.transactions
    entities = [e for e in TRANSACTION_LABELS if policy.mode(e) is TransactionSync.HISTORY]
    if not entities or not isinstance(crm, RowReads):
        return []  # nothing kept as history, or a CRM port that cannot list the rows (a test double)
    transactions = {entity: await qbo.query(entity) for entity in entities}
    c = schema.sales_transaction
    columns = [schema.sales_transaction_id, schema.transaction_key, c("name"), c("amount"), c("balance")]
    listed = await crm.table_rows(schema.sales_transactions, [*columns, c("transactionstatus")])
    rows = {str(r[schema.transaction_key]): r for r in listed if r.get(schema.transaction_key)}
    linked: set[str] = set()
    for et, entity in ((EntityType.INVOICE, "Invoice"), (EntityType.QUOTE, "Estimate")):
        for link in await store.links(et, options.company):
            if link.qbo_id and link.qbo_entity in (None, entity):
                linked.add(transaction_key(entity, link.qbo_id))
    for row in await crm.linked_rows(EntityType.INVOICE):
        if qbo_id := str(row.get(schema.accounting_id) or ""):
            linked.add(transaction_key("Invoice", qbo_id))
    today = now.astimezone(options.timezone).date()
    return history_drift(schema, transactions, customers, rows, linked, today)
