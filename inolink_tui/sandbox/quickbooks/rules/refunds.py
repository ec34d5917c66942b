"""RefundReceipt: money paid back to a customer on the spot, the mirror of a SalesReceipt.

Source: developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/refundreceipt ("Create a
refundreceipt": the request body must hold `Line` (at least one SalesItemLine or GroupLine) and
`DepositToAccountRef`, "Account from which payment money is refunded. Use an Account where
Account.AccountType is Other Current Asset or Bank"; `Balance` is read-only and 0 since the refund is settled
at once; the entity is created, read, queried, updated and deleted like the other sales forms).

What the page leaves open, and the sandbox's reading:
- No fault code is documented for a refund account of another type: 6000 (business validation), element
  `DepositToAccountRef`.
- A missing `DepositToAccountRef` is the usual 2020 with that element, as for every required field.
- `CustomerRef` is optional, as on a SalesReceipt; when given, the customer's addresses and email are copied.
- A refund receipt never changes the customer's A/R balance (nothing stays open on it); the Sales by
  Customer report counts it as a negative sale (reports_sales.py).
- Void is not among the page's operations, so `?operation=void` is refused (Fault 500) as for an estimate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.rules.transactions import sales_txn

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

REFUND_ACCOUNT_TYPES = ("Bank", "Other Current Asset")


def refund_receipt(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    if not body.get("DepositToAccountRef"):
        raise errors.required("DepositToAccountRef")
    out = sales_txn(state, spec, body, existing, rid)
    account = state.raw("Account", out["DepositToAccountRef"]["value"]) or {}
    if account.get("AccountType") not in REFUND_ACCOUNT_TYPES:
        raise errors.business(
            "A refund is paid from a Bank or Other Current Asset account (DepositToAccountRef).",
            element="DepositToAccountRef",
        )
    return out
