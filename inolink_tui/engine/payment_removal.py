"""A payment deleted or voided in QuickBooks, in CRM (issue 16): its row removed or marked void, by `[sync]
removed_payments` (domain/transaction_history.py), its applications removed, and the invoices it paid refreshed.

QuickBooks' CDC reports a deleted payment as `{"status": "Deleted", "Id": ...}` ("Deleted entities are returned
with status=Deleted", developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/
change-data-capture) and a voided one as an ordinary update with every amount 0 and "Voided" in PrivateNote.
Both reach a Payment Link Job (engine/payment_jobs.py), which reads the payment again and lands here when it is
gone or voided, so the removal is an ordinary job of Source Accounting.

Idempotent: rows are found by their keys each time (the payment's name-based id, the applications' lookup to
it), a row already deleted counts as deleted, and a second run finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from inolink_tui.domain.enums import EntityType, RecordLinkStatus
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.engine.money_back import MoneyAccounting, MoneyCrm, Remember, payment_row_id, refresh_invoice


@runtime_checkable
class RowsCrm(MoneyCrm, Protocol):
    """What removal needs of CRM besides MoneyCrm (engine/adapters.py DataverseCrm has it)."""

    async def rows_where(
        self, entity_set: str, column: str, value: str, select: Sequence[str] | None = None
    ) -> list[dict[str, Any]]: ...

    async def delete_row(self, entity_set: str, record_id: str) -> bool: ...

    async def get(self, entity_type: EntityType, record_id: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class Removal:
    payment: str
    """"removed", "marked void" or "" (CRM had no row for it)."""
    applications: int
    invoices_refreshed: int

    @property
    def message(self) -> str:
        text = f"payment {self.payment} in CRM" if self.payment else "CRM had no row for this payment"
        text += f"; {self.applications} application(s) removed"
        if self.invoices_refreshed:
            text += f"; {self.invoices_refreshed} invoice status(es) refreshed"
        return text


def invoice_read_columns(crm: MoneyCrm) -> list[str]:
    s = crm.schema
    return [
        PRIMARY_KEY[EntityType.INVOICE],
        s.accounting_id,
        s.link_status,
        "versionnumber",
        s.invoice_status,
        s.amount_paid,
        s.invoice_balance,
        s.accounting_due_date,
        s.last_payment_date,
    ]


async def refresh_invoices_by_id(
    crm: RowsCrm, qbo: MoneyAccounting, invoice_ids: set[str], today: date, remember: Remember | None
) -> int:
    """Refresh the linked CRM invoices of these QuickBooks invoice Ids (one small read each)."""
    schema, done = crm.schema, 0
    for invoice_id in sorted(invoice_ids):
        rows = await crm.rows_where("invoices", schema.accounting_id, invoice_id, invoice_read_columns(crm))
        rows = [r for r in rows if schema.row_is(r, RecordLinkStatus.LINKED)]
        invoice = await qbo.read("Invoice", invoice_id) if rows else None
        if invoice is None:
            continue
        for row in rows:
            done += await refresh_invoice(crm, qbo, row, invoice, today, remember)
    return done


async def prune_applications(crm: RowsCrm, company: str, payment_id: str, keep: set[str]) -> tuple[int, set[str]]:
    """Delete the payment's application rows for invoices it no longer pays; returns (deleted, their invoices)."""
    s = crm.schema
    rows = await crm.rows_where(
        s.applications,
        f"_{s.payment_id}_value",
        payment_row_id(company, payment_id),
        [f"{s.application_table}id", s.application_key],
    )
    deleted, invoices = 0, set()
    for row in rows:
        invoice_id = str(row.get(s.application_key) or "").partition("|")[2]
        if invoice_id in keep:
            continue
        deleted += await crm.delete_row(s.applications, str(row[f"{s.application_table}id"]))
        if invoice_id:
            invoices.add(invoice_id)
    return deleted, invoices


async def remove_payment(
    crm: RowsCrm,
    qbo: MoneyAccounting,
    company: str,
    payment_id: str,
    *,
    keep_marked: bool,
    now: datetime,
    today: date,
    remember: Remember | None,
) -> Removal:
    """Remove (or mark void) the CRM row of a payment QuickBooks deleted or voided, with its applications."""
    s, p = crm.schema, crm.schema.payment
    removed, invoices = await prune_applications(crm, company, payment_id, keep=set())
    row_id = payment_row_id(company, payment_id)
    existing = await crm.rows_where(s.payments, p("accountingid"), payment_id, [s.payment_id])
    outcome = ""
    if existing:
        if keep_marked:
            columns: Mapping[str, object] = {s.voided_on: now.isoformat(), p("amount"): 0.0, p("unappliedamount"): 0.0}
            await crm.upsert_row(s.payments, row_id, columns)
            outcome = "marked void"
        else:
            for row in existing:
                await crm.delete_row(s.payments, str(row[s.payment_id]))
            outcome = "removed"
    refreshed = await refresh_invoices_by_id(crm, qbo, invoices, today, remember)
    return Removal(outcome, removed, refreshed)
