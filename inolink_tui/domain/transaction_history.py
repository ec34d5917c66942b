"""Transactions entered in QuickBooks as CRM sees them (issue 16): history rows, or CRM quotes and invoices.

InoLink's QuickBooks -> CRM "Transaction History" switch brings "every QB transaction type (Estimates,
Invoices, Sales Receipts, Received Payments, Credit Memos, ...)" into a *Sales Transactions* custom entity shown
on each Account/Contact "same as the Customer Card in QuickBooks" (reference notes 1.6, 1.7). It is a switch the
user turns on when setting up QuickBooks -> CRM, so every type here is off by default. Per type, `[sync]` says:

- "off": nothing (the default);
- "history": a Sales Transaction row under the account or contact: type, number, date, amount, balance, status;
- "record" (invoices and estimates only: CRM has no credit memo or sales receipt table): a CRM invoice (or quote
  for an estimate) with its lines, linked to the QuickBooks transaction, as if it had been promoted from CRM.

Only transactions entered in QuickBooks qualify: one promoted from CRM is already linked to its CRM record (its
invoice status comes back through engine/qbo_transactions.py).

Payments deleted or voided in QuickBooks (`[sync] removed_payments`): "mirror" (the default) does what the
customer card shows, a deleted payment disappears and a voided one stays with amount 0 marked void; "delete"
removes both; "void" keeps both, marked void. Either way the payment's applications go and the invoices it paid
show their new balance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.invoice_status import amount, invoice_status, is_voided


class TransactionSync(StrEnum):
    OFF = "off"
    HISTORY = "history"
    RECORD = "record"


class RemovedPayments(StrEnum):
    MIRROR = "mirror"
    DELETE = "delete"
    VOID = "void"


TRANSACTION_LABELS: Mapping[str, str] = {
    "Invoice": "Invoice",
    "Estimate": "Estimate",
    "CreditMemo": "Credit Memo",
    "SalesReceipt": "Sales Receipt",
}
"""QuickBooks transaction entity -> the type a user reads in QuickBooks' customer card."""

RECORD_TABLE: Mapping[str, EntityType] = {"Invoice": EntityType.INVOICE, "Estimate": EntityType.QUOTE}
"""The CRM table a "record" transaction becomes."""


@dataclass(frozen=True, slots=True)
class TransactionPolicy:
    """[sync] quickbooks_invoices / quickbooks_estimates / quickbooks_credit_memos / quickbooks_sales_receipts and
    removed_payments."""

    invoices: TransactionSync = TransactionSync.OFF
    estimates: TransactionSync = TransactionSync.OFF
    credit_memos: TransactionSync = TransactionSync.OFF
    sales_receipts: TransactionSync = TransactionSync.OFF
    removed_payments: RemovedPayments = RemovedPayments.MIRROR

    def mode(self, entity: str) -> TransactionSync:
        return {
            "Invoice": self.invoices,
            "Estimate": self.estimates,
            "CreditMemo": self.credit_memos,
            "SalesReceipt": self.sales_receipts,
        }.get(entity, TransactionSync.OFF)

    def keeps_removed_payment(self, deleted: bool) -> bool:
        """Whether a payment gone from QuickBooks stays in CRM marked void (else its row is removed)."""
        if self.removed_payments is RemovedPayments.MIRROR:
            return not deleted
        return self.removed_payments is RemovedPayments.VOID


def transaction_status(entity: str, txn: Mapping[str, Any], today: date) -> str:
    """The status QuickBooks' customer card shows for a transaction."""
    if is_voided(txn):
        return "Voided"
    if entity == "Invoice":
        return invoice_status(txn, today).value
    if entity == "Estimate":
        return str(txn.get("TxnStatus") or "Pending")  # Pending, Accepted, Closed, Rejected (Estimate reference)
    if entity == "CreditMemo":
        return "Unapplied" if amount(txn.get("RemainingCredit")) > 0 else "Applied"
    return "Paid"  # a sales receipt is paid when it is entered


def transaction_balance(entity: str, txn: Mapping[str, Any]) -> float | None:
    """Still owed (invoice), credit left (credit memo), 0 (sales receipt); an estimate has no balance."""
    if entity == "Invoice":
        return float(amount(txn.get("Balance")))
    if entity == "CreditMemo":
        return float(amount(txn.get("RemainingCredit")))
    if entity == "SalesReceipt":
        return 0.0
    return None


def transaction_key(entity: str, txn_id: str) -> str:
    return f"{entity}|{txn_id}"


def transaction_name(entity: str, txn: Mapping[str, Any], customer_name: str) -> str:
    number = txn.get("DocNumber") or txn.get("Id")
    label = TRANSACTION_LABELS.get(entity, entity)
    return (f"{label} {number} - {customer_name}" if customer_name else f"{label} {number}")[:200]


def history_columns(
    schema: CrmSchema, entity: str, txn: Mapping[str, Any], today: date, customer_name: str
) -> dict[str, object]:
    """The Sales Transaction row's own columns (the caller binds the account or contact it knows)."""
    c = schema.sales_transaction
    return {
        c("name"): transaction_name(entity, txn, customer_name),
        c("transactiontype"): TRANSACTION_LABELS.get(entity, entity),
        c("transactionnumber"): str(txn.get("DocNumber") or "")[:50] or None,
        c("transactiondate"): txn.get("TxnDate"),
        c("amount"): float(amount(txn.get("TotalAmt"))),
        c("balance"): transaction_balance(entity, txn),
        c("transactionstatus"): transaction_status(entity, txn, today),
        c("accountingid"): str(txn["Id"]),
        schema.transaction_key: transaction_key(entity, str(txn["Id"])),
    }


def record_columns(schema: CrmSchema, entity: str, txn: Mapping[str, Any], customer_name: str) -> dict[str, object]:
    """A CRM invoice or quote's header from a QuickBooks invoice or estimate, linked to it (Accounting Ref gets
    the QuickBooks document number, as after a promote: reference notes 1.7)."""
    memo = txn.get("CustomerMemo") or {}
    columns: dict[str, object] = {
        "name": f"QuickBooks {transaction_name(entity, txn, customer_name)}"[:300],
        "description": str(memo.get("value") or "") or None,
    }
    columns.update(schema.linked_columns(str(txn["Id"]), str(txn.get("DocNumber") or "") or None))
    return columns


@dataclass(frozen=True)
class CrmLine:
    """One QuickBooks sales line as a CRM detail line: a linked product's, or a write-in."""

    number: int
    item_id: str
    item_name: str
    description: str
    quantity: float
    price: float


def sales_lines(txn: Mapping[str, Any]) -> list[CrmLine]:
    """The item lines of a transaction (sub-totals, discounts and the tax detail are QuickBooks' own arithmetic)."""
    out: list[CrmLine] = []
    for n, line in enumerate(txn.get("Line") or [], start=1):
        detail = line.get("SalesItemLineDetail")
        if line.get("DetailType") != "SalesItemLineDetail" or not isinstance(detail, dict):
            continue
        item = detail.get("ItemRef") or {}
        qty = amount(detail.get("Qty")) or amount(1)
        price = amount(detail.get("UnitPrice")) if detail.get("UnitPrice") is not None else amount(line["Amount"]) / qty
        out.append(
            CrmLine(
                number=int(line.get("LineNum") or n),
                item_id=str(item.get("value") or ""),
                item_name=str(item.get("name") or ""),
                description=str(line.get("Description") or item.get("name") or "")[:500],
                quantity=float(qty),
                price=float(price),
            )
        )
    return out


class TransactionSection(Protocol):
    """The [sync] keys `transaction_policy` reads (the config's `SyncSettings` has them, with their defaults)."""

    @property
    def quickbooks_invoices(self) -> str: ...
    @property
    def quickbooks_estimates(self) -> str: ...
    @property
    def quickbooks_credit_memos(self) -> str: ...
    @property
    def quickbooks_sales_receipts(self) -> str: ...
    @property
    def removed_payments(self) -> str: ...


def transaction_policy(sync: TransactionSection) -> TransactionPolicy:
    """The policy from a [sync] section."""
    return TransactionPolicy(
        invoices=TransactionSync(sync.quickbooks_invoices),
        estimates=TransactionSync(sync.quickbooks_estimates),
        credit_memos=TransactionSync(sync.quickbooks_credit_memos),
        sales_receipts=TransactionSync(sync.quickbooks_sales_receipts),
        removed_payments=RemovedPayments(sync.removed_payments),
    )
