"""An invoice's payment status as QuickBooks' own figures say it: what the CRM invoice shows after a payment.

QuickBooks keeps `TotalAmt` and `Balance` on every invoice ("Balance: the balance reflecting any payments
made against the transaction", developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice)
and `DueDate`; the UI calls an invoice Paid at balance 0, Partially paid below its total, Overdue once the due
date has passed with a balance left, Open otherwise. A voided invoice (TotalAmt 0 after a void) reads Paid
with nothing applied; the docs give no separate void flag on the entity, so neither do we.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class InvoiceStatus(StrEnum):
    OPEN = "Open"
    PARTIALLY_PAID = "Partially Paid"
    PAID = "Paid"
    OVERDUE = "Overdue"


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


def invoice_status(invoice: Mapping[str, Any], today: date) -> InvoiceStatus:
    """Paid, Partially Paid, Overdue (past due with a balance, paid in part or not) or Open."""
    total, balance = amount(invoice.get("TotalAmt")), amount(invoice.get("Balance"))
    if balance <= 0:
        return InvoiceStatus.PAID
    due = qbo_date(invoice.get("DueDate"))
    if due is not None and due < today:
        return InvoiceStatus.OVERDUE
    if balance < total:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.OPEN
