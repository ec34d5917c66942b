"""Money back to CRM (issue 16): payments with their applications, invoice status and balance, and aging.

The High Priority service hands `record_money` what QuickBooks' CDC returned for Payment and Invoice; the Low
Priority service calls `write_aging` once per run (one AgedReceivables request for every customer, not one per
customer). Both write only to linked records: a payment of a customer not linked when CDC reports it is counted
as waiting and logged; the Low Priority service's `missing_payments` records it once the customer is linked.

No payment is recorded twice: a CRM payment's id is derived from the QuickBooks company and payment Id (a name
based UUID), and it is written with an upsert (PATCH without If-Match), so a second run, or a run after the
engine was killed between the payment and its applications, updates the same rows. The payment's Accounting ID
alternate key makes the org refuse a second row however it was written. The same holds for each application
("<payment Id>|<invoice Id>").
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from inolink_tui.domain.aging import NO_BALANCE, parse_aged_receivables
from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.customer_totals import NO_TOTALS, CustomerTotals
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.invoice_status import INVOICE_STATUS_OPTIONS, amount, invoice_status, qbo_date
from inolink_tui.domain.mapping.money import PAYMENT_TERMS_COLUMN, CompanyMoney, MoneyPolicy, company_money
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.domain.mapping.terms import terms_columns
from inolink_tui.domain.payments import application_key, applications, payment_columns
from inolink_tui.engine.ports import Written

log = logging.getLogger(__name__)

MONEY_NAMESPACE = uuid.UUID("6f1d2c1e-6a53-4f0e-9a55-3c5e1e0b9a16")
"""Namespace of the name-based ids of CRM payment rows (fixed: changing it would record payments twice)."""

Remember = Callable[[EntityType, Written], Awaitable[None]]
"""Called with each engine write to a linked record, so change tracking does not take it for a user's edit."""


@runtime_checkable
class MoneyCrm(Protocol):
    """What money back needs of CRM (engine/adapters.py DataverseCrm has it)."""

    schema: CrmSchema

    async def linked_with(self, entity_type: EntityType, columns: Sequence[str]) -> list[dict[str, Any]]: ...

    async def upsert_row(self, entity_set: str, record_id: str, columns: Mapping[str, Any]) -> bool: ...

    async def column_values(self, entity_set: str, column: str) -> set[str]: ...

    async def update(self, entity_type: EntityType, record_id: str, columns: Mapping[str, Any]) -> Written: ...

    async def update_many(
        self, entity_type: EntityType, changes: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[Written]: ...


@runtime_checkable
class MoneyAccounting(Protocol):
    """What money back needs of QuickBooks (engine/adapters.py QuickBooksAccounting has it)."""

    async def read(self, entity: str, entity_id: str) -> dict[str, Any] | None: ...

    async def report(self, name: str, params: Mapping[str, str] | None = None) -> dict[str, Any]: ...

    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]: ...


def payment_row_id(company: str, payment_id: str) -> str:
    return str(uuid.uuid5(MONEY_NAMESPACE, f"{company}|Payment|{payment_id}"))


def application_row_id(company: str, payment_id: str, invoice_id: str) -> str:
    return str(uuid.uuid5(MONEY_NAMESPACE, f"{company}|PaymentApplication|{payment_id}|{invoice_id}"))


@dataclass(frozen=True)
class MoneyResult:
    payments_created: int = 0
    payments_updated: int = 0
    payments_waiting: int = 0
    """Payments whose customer is not linked (recorded once it is)."""
    applications: int = 0
    invoices_updated: int = 0

    @property
    def written(self) -> int:
        """CRM records written: payments created or updated and invoices refreshed."""
        return self.payments_created + self.payments_updated + self.invoices_updated


async def _by_accounting_id(crm: MoneyCrm, et: EntityType, columns: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    rows = await crm.linked_with(et, columns)
    return {str(r[crm.schema.accounting_id]): r for r in rows if r.get(crm.schema.accounting_id)}


def invoice_columns(
    schema: CrmSchema, invoice: Mapping[str, Any], today: date, last_payment: date | None
) -> dict[str, object]:
    """What the linked CRM invoice shows of its QuickBooks invoice."""
    total, balance = amount(invoice.get("TotalAmt")), amount(invoice.get("Balance"))
    due = qbo_date(invoice.get("DueDate"))
    return {
        schema.invoice_status: INVOICE_STATUS_OPTIONS[invoice_status(invoice, today)],
        schema.amount_paid: float(total - balance),
        schema.invoice_balance: float(balance),
        schema.accounting_due_date: f"{due.isoformat()}T00:00:00Z" if due else None,
        schema.last_payment_date: f"{last_payment.isoformat()}T00:00:00Z" if last_payment else None,
    }


def totals_columns(schema: CrmSchema, totals: CustomerTotals) -> dict[str, object]:
    """The last transaction date (a date at midnight UTC, as the due dates) and year-to-date sales columns."""
    last = totals.last_transaction
    return {
        schema.last_transaction_date: f"{last.isoformat()}T00:00:00Z" if last else None,
        schema.ytd_sales: float(totals.ytd_sales),
    }


def _same(row: Mapping[str, Any], wanted: Mapping[str, object]) -> bool:
    for column, value in wanted.items():
        have = row.get(column)
        if isinstance(value, float):
            if have is None or abs(float(have) - value) > 0.004:
                return False
        elif isinstance(value, str) and isinstance(have, str) and column.endswith("date"):
            if have[:10] != value[:10]:
                return False
        elif have != value:
            return False
    return True


async def record_money(
    crm: MoneyCrm,
    qbo: MoneyAccounting,
    company: str,
    changed: Mapping[str, Sequence[Mapping[str, Any]]],
    today: date,
    remember: Remember | None = None,
    *,
    record_payments: bool = True,
    refresh_invoices: bool = True,
    terms: MoneyPolicy | None = None,
) -> MoneyResult:
    """Record changed payments (with applications) and refresh the status of every invoice they touch (and its
    Payment Terms from the QuickBooks invoice's SalesTermRef when `terms`, the `[sync]` policy, is given)."""
    schema, p = crm.schema, crm.schema.payment
    payments = [dict(x) for x in changed.get("Payment") or [] if x.get("status") != "Deleted"]
    if not record_payments:
        payments = []
    invoice_ids = {str(i["Id"]) for i in changed.get("Invoice") or [] if i.get("status") != "Deleted"}
    for payment in payments:
        invoice_ids |= {a.invoice_id for a in applications(payment)}
    accounts = await _by_accounting_id(crm, EntityType.ACCOUNT)
    contacts = await _by_accounting_id(crm, EntityType.CONTACT)
    crm_invoices = await _by_accounting_id(
        crm,
        EntityType.INVOICE,
        [
            schema.invoice_status,
            schema.amount_paid,
            schema.invoice_balance,
            schema.accounting_due_date,
            schema.last_payment_date,
            *([PAYMENT_TERMS_COLUMN] if terms is not None else []),
        ],
    )
    created = updated = waiting = applied = 0
    for payment in payments:
        customer_id = str((payment.get("CustomerRef") or {}).get("value") or "")
        columns = payment_columns(schema, payment)
        if customer_id in accounts:
            columns[f"{p('accountid')}@odata.bind"] = f"/accounts({accounts[customer_id]['accountid']})"
        elif customer_id in contacts:
            columns[f"{p('contactid')}@odata.bind"] = f"/contacts({contacts[customer_id]['contactid']})"
        else:
            waiting += 1
            continue
        pid = str(payment["Id"])
        row_id = payment_row_id(company, pid)
        if await crm.upsert_row(schema.payments, row_id, columns):
            created += 1
        else:
            updated += 1
        for application in applications(payment):
            crm_invoice = crm_invoices.get(application.invoice_id)
            app_columns: dict[str, object] = {
                p("name"): f"{columns[p('name')]} -> invoice {application.invoice_id}"[:200],
                schema.application_key: application_key(pid, application.invoice_id),
                p("amountapplied"): float(application.amount),
                f"{schema.payment_id}@odata.bind": f"/{schema.payments}({row_id})",
            }
            if crm_invoice is not None:
                app_columns[f"{p('invoiceid')}@odata.bind"] = f"/invoices({crm_invoice['invoiceid']})"
            await crm.upsert_row(
                schema.applications, application_row_id(company, pid, application.invoice_id), app_columns
            )
            applied += 1
    invoices_updated = 0
    if refresh_invoices:
        invoices_updated = await _refresh_invoices(
            crm, qbo, crm_invoices, invoice_ids, payments, today, remember, terms
        )
    return MoneyResult(created, updated, waiting, applied, invoices_updated)


async def _refresh_invoices(
    crm: MoneyCrm,
    qbo: MoneyAccounting,
    crm_invoices: Mapping[str, dict[str, Any]],
    invoice_ids: set[str],
    payments: Sequence[Mapping[str, Any]],
    today: date,
    remember: Remember | None,
    terms: MoneyPolicy | None = None,
) -> int:
    known = {str(x["Id"]): x for x in payments}
    updated = 0
    term_names: CompanyMoney | None = None
    for invoice_id in sorted(invoice_ids & set(crm_invoices)):
        invoice = await qbo.read("Invoice", invoice_id)
        if invoice is None:
            continue
        if terms is not None and invoice.get("SalesTermRef") and term_names is None:
            term_names = company_money(None, None, [], await qbo.query("Term"))
        updated += await refresh_invoice(
            crm, qbo, crm_invoices[invoice_id], invoice, today, remember, known, terms=terms, term_names=term_names
        )
    return updated


async def refresh_invoice(
    crm: MoneyCrm,
    qbo: MoneyAccounting,
    row: Mapping[str, Any],
    invoice: Mapping[str, Any],
    today: date,
    remember: Remember | None,
    known: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    terms: MoneyPolicy | None = None,
    term_names: CompanyMoney | None = None,
) -> bool:
    """Write one QuickBooks invoice's status, amounts and dates (and its Payment Terms when `terms`, the [sync]
    policy, is given) to its linked CRM invoice `row`, unless they already show; True when written. `known`:
    payments already read (by Id), to spare a read each; `term_names`: the company's Terms, when already read."""
    paid_on: list[date] = []
    for txn in invoice.get("LinkedTxn") or []:
        if txn.get("TxnType") != "Payment":
            continue
        payment = (known or {}).get(str(txn.get("TxnId"))) or await qbo.read("Payment", str(txn.get("TxnId")))
        when = qbo_date((payment or {}).get("TxnDate"))
        if when is not None:
            paid_on.append(when)
    wanted = invoice_columns(crm.schema, invoice, today, max(paid_on, default=None))
    if terms is not None and invoice.get("SalesTermRef"):
        names = term_names or company_money(None, None, [], await qbo.query("Term"))
        wanted |= terms_columns(names, terms, invoice)
    if _same(row, wanted):
        return False
    written = await crm.update(EntityType.INVOICE, str(row[PRIMARY_KEY[EntityType.INVOICE]]), wanted)
    if remember is not None:
        await remember(EntityType.INVOICE, written)
    return True


async def write_aging(
    crm: MoneyCrm,
    qbo: MoneyAccounting,
    now: datetime,
    remember: Remember | None = None,
    totals: Mapping[str, CustomerTotals] | None = None,
) -> int:
    """Aging of every linked account and contact from one AgedReceivables report, with the last transaction
    date and year-to-date sales when `totals` (engine/customer_totals.py) is given; returns rows written."""
    schema = crm.schema
    report = await qbo.report("AgedReceivables", {"report_date": now.date().isoformat()})
    aging = parse_aged_receivables(report)
    written_count = 0
    extra = [schema.last_transaction_date, schema.ytd_sales] if totals is not None else []
    for et in (EntityType.ACCOUNT, EntityType.CONTACT):
        rows = await crm.linked_with(et, [*schema.aging_columns, schema.balance_updated_on, *extra])
        changes: list[tuple[str, Mapping[str, Any]]] = []
        for row in rows:
            qbo_id = str(row.get(schema.accounting_id) or "")
            figures = aging.get(qbo_id, NO_BALANCE)
            wanted: dict[str, object] = {
                c: float(v) for c, v in zip(schema.aging_columns, figures.as_tuple(), strict=True)
            }
            if totals is not None:
                wanted |= totals_columns(schema, totals.get(qbo_id, NO_TOTALS))
            if _same(row, wanted) and row.get(schema.balance_updated_on):
                continue
            changes.append((str(row[PRIMARY_KEY[et]]), {**wanted, schema.balance_updated_on: now.isoformat()}))
        for written in await crm.update_many(et, changes) if changes else []:
            if remember is not None:
                await remember(et, written)
        written_count += len(changes)
    log.info("aging: %d linked accounts and contacts updated", written_count)
    return written_count


async def missing_payments(crm: MoneyCrm, qbo: MoneyAccounting) -> list[dict[str, Any]]:
    """QuickBooks payments with no CRM row yet (one paged Payment query and one CRM read): the backfill for
    payments of customers linked after QuickBooks reported them."""
    recorded = await crm.column_values(crm.schema.payments, crm.schema.payment("accountingid"))
    return [p for p in await qbo.query("Payment") if str(p.get("Id")) not in recorded]
