"""A QuickBooks Payment as the CRM payment row and its applications to invoices (issue 16).

A received payment (developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment) has
TotalAmt, UnappliedAmt, TxnDate, PaymentRefNum, PaymentMethodRef, CustomerRef, and Line[] whose LinkedTxn
(TxnType "Invoice", TxnId) says which invoice each Line.Amount paid. Payments flow only QuickBooks -> CRM
(reference notes 1.7). The CRM row is keyed by the payment's Id (its Accounting ID alternate key) and each
application by "<payment Id>|<invoice Id>", so writing a payment twice, or after a crash, updates in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.invoice_status import amount


@dataclass(frozen=True)
class Application:
    invoice_id: str
    """The QuickBooks Invoice Id."""
    amount: Decimal


def applications(payment: Mapping[str, Any]) -> list[Application]:
    """The invoices a payment paid, with the amounts: one entry per invoice (lines to one invoice add up)."""
    per_invoice: dict[str, Decimal] = {}
    for line in payment.get("Line") or []:
        linked = [t for t in line.get("LinkedTxn") or [] if t.get("TxnType") == "Invoice"]
        for txn in linked:
            invoice_id = str(txn.get("TxnId") or "")
            if invoice_id:
                per_invoice[invoice_id] = per_invoice.get(invoice_id, Decimal(0)) + amount(line.get("Amount"))
    return [Application(i, a) for i, a in per_invoice.items()]


def application_key(payment_id: str, invoice_id: str) -> str:
    return f"{payment_id}|{invoice_id}"


def payment_name(payment: Mapping[str, Any], customer_name: str) -> str:
    ref = payment.get("PaymentRefNum") or payment.get("DocNumber") or payment.get("Id")
    return f"Payment {ref} - {customer_name}" if customer_name else f"Payment {ref}"


def payment_columns(schema: CrmSchema, payment: Mapping[str, Any]) -> dict[str, object]:
    """The payment row's own columns (the customer lookup is bound by the caller, who knows the link)."""
    p = schema.payment
    method = payment.get("PaymentMethodRef") or {}
    customer = payment.get("CustomerRef") or {}
    return {
        p("name"): payment_name(payment, str(customer.get("name") or ""))[:200],
        p("paymentnumber"): str(payment.get("DocNumber") or payment.get("Id") or "")[:50],
        p("paymentdate"): payment.get("TxnDate"),
        p("amount"): float(amount(payment.get("TotalAmt"))),
        p("unappliedamount"): float(amount(payment.get("UnappliedAmt"))),
        p("paymentmethod"): str(method.get("name") or method.get("value") or "")[:100] or None,
        p("referencenumber"): str(payment.get("PaymentRefNum") or "")[:100] or None,
        p("accountingid"): str(payment["Id"]),
    }
