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


def applied_to(state: QboState, txn_type: str, txn_id: str, *, excluding: str | None = None) -> Decimal:
    """The amount payments apply to an invoice (money paid) or a credit memo (credit used)."""
    total = zero()
    for pid, payment in state.records["Payment"].items():
        if pid == excluding:
            continue
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn", []):
                if link.get("TxnType") == txn_type and str(link.get("TxnId")) == txn_id:
                    total += money(line.get("Amount", 0), "Amount")
    return total


def payments_applied(state: QboState, invoice_id: str, *, excluding: str | None = None) -> Decimal:
    return applied_to(state, "Invoice", invoice_id, excluding=excluding)


# -- side effects -------------------------------------------------------------------------------------
def _linked(payment: dict[str, Any] | None) -> set[tuple[str, str]]:
    if payment is None:
        return set()
    return {(str(k["TxnType"]), str(k["TxnId"])) for line in payment.get("Line", []) for k in line.get("LinkedTxn", [])}


def customer_balance(state: QboState, customer_id: str) -> Decimal:
    """Open invoices less unused credit (credit memos' RemainingCredit, payments' UnappliedAmt).

    The customer reference says only "the open balance amount or the amount unpaid by the customer"
    (most-commonly-used/customer, Balance); counting unused credits against it is how the A/R reports
    net a customer's position, which the sandbox follows (not documented field by field).
    """
    total = zero()
    for entity, field, sign in (("Invoice", "Balance", 1), ("CreditMemo", "RemainingCredit", -1)):
        for record in state.records[entity].values():
            if record.get("CustomerRef", {}).get("value") == customer_id:
                total += sign * money(record.get(field, 0), field)
    for record in state.records["Payment"].values():
        if record.get("CustomerRef", {}).get("value") == customer_id:
            total -= money(record.get("UnappliedAmt", 0), "UnappliedAmt")
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
        now_linked = _linked(after)
        for txn_type, txn_id in sorted(_linked(before) | now_linked):
            target = state.raw(txn_type, txn_id)
            if target is None:
                continue
            links = [
                k
                for k in target.get("LinkedTxn", [])
                if not (k.get("TxnType") == "Payment" and k.get("TxnId") == payment_id)
            ]
            if (txn_type, txn_id) in now_linked:
                links.append({"TxnId": payment_id, "TxnType": "Payment"})
            left = zero()
            if (txn_type, txn_id) not in state.voided:
                left = money(target["TotalAmt"], "TotalAmt") - applied_to(state, txn_type, txn_id)
            changes: dict[str, Any] = {"Balance": left, "LinkedTxn": links}
            if txn_type == "CreditMemo":
                changes["RemainingCredit"] = left
            state.touch(txn_type, txn_id, changes)
        for record in (before, after):
            if record is not None:
                _refresh_customer_balance(state, record.get("CustomerRef", {}).get("value"))
    if spec.name in ("Invoice", "CreditMemo"):
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
    """An invoice or credit memo applied by payments must have them unlinked before it is deleted or voided."""
    if spec.name in ("Invoice", "CreditMemo") and applied_to(state, spec.name, existing["Id"]) > 0:
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
