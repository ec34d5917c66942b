"""An invoice's payment status as QuickBooks' own figures say it: what the CRM invoice shows after a payment.

QuickBooks keeps `TotalAmt` and `Balance` on every invoice ("Balance: the balance reflecting any payments
made against the transaction", developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice)
and `DueDate`; the UI calls an invoice Paid at balance 0, Partially paid below its total, Overdue once the due
date has passed with a balance left, Open otherwise.

A voided invoice is Canceled, not Paid: QuickBooks keeps it with every amount 0 and "Voided" put first in its
PrivateNote (developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice, "Void an invoice";
the entity has no void flag, so both signs are required: `is_voided`). Its balance is 0, which alone would read
Paid. "Canceled" is the state Dynamics 365 documents for an invoice that will not be paid: statecode 3 Canceled,
statuscode 100003 Canceled (Microsoft Learn, "Default status and status reason values", Invoice entity:
https://learn.microsoft.com/previous-versions/dynamicscrm-2016/administering-dynamics-365/dn531157(v=crm.8), and
the invoice table reference). The engine writes it to InoLink's Invoice Status column as it writes Paid there, and
leaves the invoice's own statecode / statuscode to CRM's users, as it does for Paid (closing a CRM invoice makes it
read-only there). The option is appended (100000004): an org set up before has four options, and `crm setup` adds
the fifth (domain/crm_setup_plan.py adds the options a choice column lacks; values already there are unchanged).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class InvoiceStatus(StrEnum):
    """The Invoice Status options, in their value order (a new one goes last: values already in orgs stay)."""

    OPEN = "Open"
    PARTIALLY_PAID = "Partially Paid"
    PAID = "Paid"
    OVERDUE = "Overdue"
    CANCELED = "Canceled"
    """Voided in QuickBooks (Dynamics' name for an invoice's state once canceled)."""


INVOICE_STATUS_OPTIONS: Mapping[InvoiceStatus, int] = {s: 100000000 + i for i, s in enumerate(InvoiceStatus)}
"""Choice values of the Invoice Status column (Dataverse's default numbering for a new choice)."""


def amount(value: object) -> Decimal:
    """A QuickBooks money value (number or text) as Decimal; empty is 0."""
    if value in (None, ""):
        return Decimal(0)
    return Decimal(str(value))


def qbo_date(value: object) -> date | None:
    """A QuickBooks date ("2024-05-01", sometimes with a time part) or None."""
    if not isinstance(value, str) or not value:
        return None
    return date.fromisoformat(value[:10])


def is_voided(txn: Mapping[str, Any]) -> bool:
    """QuickBooks keeps a voided transaction with every amount 0 and "Voided" put first in PrivateNote
    (developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment, "Void a payment"; the invoice
    page says the same); the entity has no void flag, so both signs are required."""
    note = str(txn.get("PrivateNote") or "")
    return note.startswith("Voided") and amount(txn.get("TotalAmt")) == 0


def invoice_status(invoice: Mapping[str, Any], today: date) -> InvoiceStatus:
    """Canceled (voided), Paid, Partially Paid, Overdue (past due with a balance, paid in part or not) or Open."""
    if is_voided(invoice):
        return InvoiceStatus.CANCELED
    total, balance = amount(invoice.get("TotalAmt")), amount(invoice.get("Balance"))
    if balance <= 0:
        return InvoiceStatus.PAID
    due = qbo_date(invoice.get("DueDate"))
    if due is not None and due < today:
        return InvoiceStatus.OVERDUE
    if balance < total:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN
