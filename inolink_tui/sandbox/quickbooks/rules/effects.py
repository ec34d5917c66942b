"""Side effects of a write on other records (balances, links), deletes and voids."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.money import money, zero

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState


def payments_applied(state: QboState, invoice_id: str, *, excluding: str | None = None) -> Decimal:
    total = zero()
    for pid, payment in state.records["Payment"].items():
        if pid == excluding:
            continue
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn", []):
                if link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == invoice_id:
                    total += money(line.get("Amount", 0), "Amount")
    return total


# -- side effects -------------------------------------------------------------------------------------
def _invoice_ids(payment: dict[str, Any] | None) -> set[str]:
    if payment is None:
        return set()
    return {str(k["TxnId"]) for line in payment.get("Line", []) for k in line.get("LinkedTxn", [])}


def customer_balance(state: QboState, customer_id: str) -> Decimal:
    total = zero()
    for invoice in state.records["Invoice"].values():
        if invoice.get("CustomerRef", {}).get("value") == customer_id:
            total += money(invoice.get("Balance", 0), "Balance")
    return total


def _refresh_customer_balance(state: QboState, customer_id: str | None) -> None:
    """Balances are derived; QuickBooks updates them without a new SyncToken on the customer."""
    if customer_id is None:
        return
    customer = state.raw("Customer", customer_id)
    if customer is not None:
        balance = customer_balance(state, customer_id)
        customer["Balance"] = balance
        customer["BalanceWithJobs"] = balance


def after_write(state: QboState, spec: EntitySpec, before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    if spec.name == "Payment":
        payment_id = (after or before or {})["Id"]
        for invoice_id in _invoice_ids(before) | _invoice_ids(after):
            invoice = state.raw("Invoice", invoice_id)
            if invoice is None:
                continue
            paid = payments_applied(state, invoice_id)
            links = [
                k
                for k in invoice.get("LinkedTxn", [])
                if not (k.get("TxnType") == "Payment" and k.get("TxnId") == payment_id)
            ]
            if invoice_id in _invoice_ids(after):
                links.append({"TxnId": payment_id, "TxnType": "Payment"})
            balance = (
                zero() if ("Invoice", invoice_id) in state.voided else money(invoice["TotalAmt"], "TotalAmt") - paid
            )
            state.touch("Invoice", invoice_id, {"Balance": balance, "LinkedTxn": links})
            _refresh_customer_balance(state, invoice["CustomerRef"]["value"])
    if spec.name == "Invoice":
        for record in (before, after):
            if record is not None:
                _refresh_customer_balance(state, record.get("CustomerRef", {}).get("value"))
        if after is not None:
            for link in after.get("LinkedTxn", []):
                if link.get("TxnType") == "Estimate":
                    estimate = state.raw("Estimate", str(link["TxnId"]))
                    if estimate is not None and estimate.get("TxnStatus") != "Closed":
                        back = [*estimate.get("LinkedTxn", []), {"TxnId": after["Id"], "TxnType": "Invoice"}]
                        state.touch("Estimate", str(link["TxnId"]), {"TxnStatus": "Closed", "LinkedTxn": back})


def before_remove(state: QboState, spec: EntitySpec, existing: dict[str, Any]) -> None:
    """An invoice with payments applied must have them unlinked before it is deleted or voided."""
    if spec.name == "Invoice" and payments_applied(state, existing["Id"]) > 0:
        raise errors.business(
            "This transaction is linked to a payment. Unlink or delete the payment before you change it.", code="6000"
        )


def voided_copy(state: QboState, spec: EntitySpec, existing: dict[str, Any]) -> dict[str, Any]:
    """Voiding keeps the record with every amount 0 and "Voided" in the private note."""
    out = {
        k: copy.deepcopy(v) for k, v in existing.items() if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")
    }
    for line in out.get("Line", []):
        line["Amount"] = zero()
        detail = line.get("SalesItemLineDetail")
        if isinstance(detail, dict) and "Qty" in detail:
            detail["Qty"] = Decimal(0)
    out["TotalAmt"] = zero()
    if "Balance" in out or spec.name == "Invoice":
        out["Balance"] = zero()
    if spec.name == "Payment":
        out["UnappliedAmt"] = zero()
        out["Line"] = []
    if "TxnTaxDetail" in out:
        out["TxnTaxDetail"] = {"TotalTax": zero()}
    # "all amounts and quantities are zeroed and the string, Voided, is injected into Invoice.PrivateNote,
    # prepended to existing text if present" (Invoice / Payment / SalesReceipt reference, "Void").
    # The separator is not documented; the note keeps within PrivateNote's 4000 characters.
    note = str(existing.get("PrivateNote") or "").strip()
    out["PrivateNote"] = (f"Voided - {note}" if note else "Voided")[:4000]
    return out
