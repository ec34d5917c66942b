"""Payments: money received from a customer, applied to its invoices and credit memos.

Source: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
("A Payment can be linked to multiple Invoices and Credit Memos"; "can be created as unapplied to any
Invoice or Credit Memo, in which case it is recorded as a credit"; TotalAmt and CustomerRef required;
UnappliedAmt read-only; DepositToAccountRef defaults to Undeposited Funds; "Lines can be updated only ALL
or NONE"; "To remove all lines, send an empty Line element") and
https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-linked-transactions (a payment
applied to an invoice is a LinkedTxn on both; the invoice's Balance is what is left to pay).

How amounts combine (the reference shows it only by example, so this is the reading the sandbox uses):
the lines linking invoices are money applied to them; the lines linking credit memos are credit used
(a credit memo is applied to an invoice through a payment whose TotalAmt may be 0). So
`UnappliedAmt = TotalAmt - (sum of invoice lines - sum of credit-memo lines)`, and it may not be negative.

Refusals. The reference documents none of their codes or wordings; the sandbox answers each with the
generic business-validation fault 6000 (reference §11) and a plain message:
- a line applies more than the invoice's open balance, or more than the credit memo's RemainingCredit;
- an invoice or credit memo of another customer;
- the lines apply more than TotalAmt (UnappliedAmt would be negative), or use more credit than they pay;
- a LinkedTxn of a type the sandbox does not model (Expense, Check, CreditCardCredit, JournalEntry): 2170.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.money import boolean, money, zero
from inolink_tui.sandbox.quickbooks.rules.common import invalid_enum, named_ref
from inolink_tui.sandbox.quickbooks.rules.currency import txn_currency
from inolink_tui.sandbox.quickbooks.rules.effects import applied_to
from inolink_tui.sandbox.quickbooks.rules.transactions import deposit_account, iso_date

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

LINKABLE = ("Invoice", "CreditMemo")


def open_amount(state: QboState, txn_type: str, txn_id: str, *, excluding: str | None) -> Decimal:
    """What is left to pay on an invoice, or to use on a credit memo, apart from payment `excluding`."""
    record = state.raw(txn_type, txn_id)
    if record is None or (txn_type, txn_id) in state.voided:
        return zero()
    return money(record.get("TotalAmt", 0), "TotalAmt") - applied_to(state, txn_type, txn_id, excluding=excluding)


def payment(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    if not out.get("CustomerRef"):
        raise errors.required("CustomerRef")
    if out.get("TotalAmt") is None:
        raise errors.required("TotalAmt")
    out["CustomerRef"] = named_ref(state, "Customer", out["CustomerRef"], "CustomerRef")
    customer_id = out["CustomerRef"]["value"]
    total = money(out["TotalAmt"], "TotalAmt")
    if total < 0:
        raise errors.business("Payment amount cannot be negative.")
    paid = zero()
    credit = zero()
    lines: list[dict[str, Any]] = []
    raw_lines = out.get("Line") or []
    if not isinstance(raw_lines, list):
        raise errors.malformed_body("Payment", "Line must be a list")
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise errors.malformed_body("Payment", "each Line must be an object")
        if raw.get("Amount") is None:
            raise errors.required("Amount")
        amount = money(raw["Amount"], "Amount")
        if amount < 0:
            raise errors.business("A payment line amount cannot be negative.")
        links = raw.get("LinkedTxn") or []
        if not isinstance(links, list) or not links:
            raise errors.required("LinkedTxn")
        if not all(isinstance(link, dict) for link in links):
            raise errors.malformed_body("Payment", "LinkedTxn must be a list of objects")
        kept: list[dict[str, str]] = []
        for link in links:
            txn_type = link.get("TxnType")
            if txn_type not in LINKABLE:
                raise invalid_enum("TxnType", txn_type)
            txn_id = str(link.get("TxnId", ""))
            target = state.lookup(str(txn_type), txn_id, element="LinkedTxn", must_be_active=False)
            if target["CustomerRef"]["value"] != customer_id:
                raise errors.business(
                    f"The payment and the {txn_type} it applies to must be for the same customer.", element="LinkedTxn"
                )
            if amount > open_amount(state, str(txn_type), txn_id, excluding=rid):
                what = "open balance" if txn_type == "Invoice" else "remaining credit"
                raise errors.business(
                    f"The amount applied is more than the {what} of {txn_type} {txn_id}.", element="Line.Amount"
                )
            if txn_type == "Invoice":
                paid += amount
            else:
                credit += amount
            kept.append({"TxnId": txn_id, "TxnType": str(txn_type)})
        lines.append({"Amount": amount, "LinkedTxn": kept})
    if credit > paid:
        raise errors.business("The credit applied is more than the amount applied to invoices.")
    if paid - credit > total:
        raise errors.business("The amount applied to invoices is more than the payment amount.")
    out["Line"] = lines
    out["TotalAmt"] = total
    out["UnappliedAmt"] = total - (paid - credit)
    out["ProcessPayment"] = boolean(out.get("ProcessPayment"), "ProcessPayment", False)
    out["TxnDate"] = iso_date(out["TxnDate"], "TxnDate") if out.get("TxnDate") else state.today()
    out["DepositToAccountRef"] = deposit_account(state, out.get("DepositToAccountRef"))
    if out.get("PaymentMethodRef"):
        out["PaymentMethodRef"] = named_ref(state, "PaymentMethod", out["PaymentMethodRef"], "PaymentMethodRef")
    txn_currency(state, out, state.raw("Customer", customer_id))
    out.pop("HomeTotalAmt", None)  # not a Payment field (all-entities/payment)
    return out
