"""Business rules QuickBooks Online enforces on writes, and the fields it computes (reference §12, §13.8-11).

`normalize` gets the client's writable fields (merged for a sparse update) and returns the record body
the server would store: field limits and formats checked (`fields`, whose table cites Intuit's API
reference entity by entity), defaults filled, references checked and named, totals computed. It raises
a `QboFault` with the real code for every rule a request breaks, before anything is stored.

Modules: `fields` (lengths, formats, numeric ranges: the rules table), `names` (name lists: names,
uniqueness, hierarchy), `items`, `transactions`, `effects` (balances, links, deletes and voids).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.rules import fields, items, lists, names, transactions
from inolink_tui.sandbox.quickbooks.rules.common import DELETED_SUFFIX, same_content
from inolink_tui.sandbox.quickbooks.rules.effects import after_write, before_remove, customer_balance, voided_copy

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

__all__ = [
    "DELETED_SUFFIX",
    "after_write",
    "before_remove",
    "customer_balance",
    "normalize",
    "same_content",
    "voided_copy",
]

Handler = Callable[["QboState", EntitySpec, dict[str, Any], dict[str, Any] | None, str], dict[str, Any]]

_HANDLERS: dict[str, Handler] = {
    "Customer": names.person,
    "Vendor": names.person,
    "Employee": names.person,
    "Item": items.item,
    "Account": names.account,
    "Term": names.term,
    "TaxCode": names.taxcode,
    "CompanyInfo": names.company,
    "Class": lists.simple_list,
    "Department": lists.simple_list,
    "PaymentMethod": lists.payment_method,
    "TaxRate": lists.tax_rate,
    "Preferences": lists.preferences,
    "Estimate": transactions.sales_txn,
    "Invoice": transactions.sales_txn,
    "SalesReceipt": transactions.sales_txn,
    "Payment": transactions.payment,
}


def normalize(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, record_id: str
) -> dict[str, Any]:
    if spec.kind == "readonly" and existing is not None:
        raise errors.unsupported(f"Operation Update is not supported for {spec.name}.")
    fields.check(spec.name, body)
    return _HANDLERS[spec.name](state, spec, body, existing, record_id)
