"""Payment terms and the due date they give an invoice.

Sources (developer.intuit.com/app/developer/qbo/docs/api/accounting/...):
- most-commonly-used/invoice, DueDate: "Date when the payment of the transaction is due. If date is not
  provided, the number of days specified in SalesTermRef added the transaction date will be used."
- all-entities/term: a STANDARD term has DueDays ("number of days from delivery of goods or receipt of
  service within which the payment is due"); a DATE_DRIVEN term has DayOfMonthDue ("payment must be
  received by this day of the month") and DueNextMonthDays ("payment due next month if issued that many
  days before the DayOfMonthDue").

Where the invoice names no term the reference is silent. The sandbox follows the sales forms: the
customer's SalesTermRef, then the company's default (Preferences.SalesFormsPrefs.DefaultTerms), and with
no term at all the invoice is due on its TxnDate.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks.rules.common import ref_id

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState


def _default_term(state: QboState) -> Any:
    prefs = (state.raw("Preferences", "1") or {}).get("SalesFormsPrefs") or {}
    return prefs.get("DefaultTerms") if isinstance(prefs, dict) else None


def _day_in(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_from_term(term: dict[str, Any], txn_date: date) -> date:
    if term.get("DueDays") is not None:
        return txn_date + timedelta(days=int(term["DueDays"]))
    if term.get("DayOfMonthDue") is not None:
        day = int(term["DayOfMonthDue"])
        due = _day_in(txn_date.year, txn_date.month, day)
        cutoff = int(term.get("DueNextMonthDays") or 0)
        if due < txn_date or (due - txn_date).days < cutoff:
            year, month = (txn_date.year + 1, 1) if txn_date.month == 12 else (txn_date.year, txn_date.month + 1)
            due = _day_in(year, month, day)
        return due
    return txn_date


def due_date(state: QboState, out: dict[str, Any], customer: dict[str, Any] | None) -> str:
    txn_date = date.fromisoformat(out["TxnDate"])
    for ref in (out.get("SalesTermRef"), (customer or {}).get("SalesTermRef"), _default_term(state)):
        if not ref:
            continue
        term = state.raw("Term", ref_id(ref, "SalesTermRef"))
        if term is not None:
            return due_from_term(term, txn_date).isoformat()
    return txn_date.isoformat()
