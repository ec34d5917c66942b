"""Account Category <-> QuickBooks Customer Type (issue 17 item 1; InoLink maps "Category -> Customer Type",
reference inolink-product.md §1.7).

CRM side: the account's `accountcategorycode` choice, stock options 1 "Preferred Customer" and 2 "Standard"
(Microsoft Learn, Account table/entity reference: learn.microsoft.com/power-apps/developer/data-platform/reference/
entities/account, AccountCategoryCode). QuickBooks side: the Customer's `CustomerTypeRef`, the Id of a CustomerType
(developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer), a list the company keeps in its
UI and the API only reads; the engine reads the company's types once per cycle and resolves names here.

Pairing, both ways: a `[sync] customer_types` entry (CRM label, or an org's option value as digits -> Customer Type
name) wins; otherwise the Customer Type whose name is the category's label, ignoring case and spacing. Nothing
matches: the field is left alone (no CustomerTypeRef sent, the CRM column not written), never guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CATEGORY_COLUMN = "accountcategorycode"
CATEGORY_LABELS: dict[int, str] = {1: "Preferred Customer", 2: "Standard"}
FORMATTED = "@OData.Community.Display.V1.FormattedValue"


def _fold(name: str) -> str:
    return " ".join(name.casefold().split())


def category_label(row: Mapping[str, Any]) -> str | None:
    """The account's Category label: the formatted value Dataverse sends, else the stock option's label, else the
    option value as digits (an org's own option without its label)."""
    formatted = row.get(CATEGORY_COLUMN + FORMATTED)
    if formatted:
        return str(formatted)
    value = row.get(CATEGORY_COLUMN)
    if value is None or value == "":
        return None
    try:
        return CATEGORY_LABELS.get(int(value), str(int(value)))
    except (TypeError, ValueError):
        return None


def _configured(table: Mapping[str, str], label: str, value: Any) -> str | None:
    folded = {_fold(k): v for k, v in table.items()}
    if (name := folded.get(_fold(label))) is not None:
        return name
    return folded.get(str(value).strip()) if value not in (None, "") else None


def customer_type_ref(
    types: Mapping[str, str], table: Mapping[str, str], row: Mapping[str, Any]
) -> dict[str, str] | None:
    """The CustomerTypeRef for an account's Category (`types`: CustomerType Id -> name), or None: no category, or
    no Customer Type of the configured or same name."""
    label = category_label(row)
    if label is None:
        return None
    wanted = _configured(table, label, row.get(CATEGORY_COLUMN)) or label
    for type_id, name in types.items():
        if _fold(name) == _fold(wanted):
            return {"value": type_id, "name": name}
    return None


def crm_category(type_name: str, table: Mapping[str, str]) -> int | None:
    """The Category option for a Customer Type name: a configured label (or digits) first, then the stock label."""
    for key, name in table.items():
        if _fold(name) != _fold(type_name):
            continue
        if key.strip().isdigit():
            return int(key.strip())
        if (value := _stock(key)) is not None:
            return value
    return _stock(type_name)


def _stock(label: str) -> int | None:
    return next((value for value, stock in CATEGORY_LABELS.items() if _fold(stock) == _fold(label)), None)


def category_columns(types: Mapping[str, str], table: Mapping[str, str], customer: Mapping[str, Any]) -> dict[str, int]:
    """`{accountcategorycode: option}` for a QuickBooks Customer whose Customer Type maps, else {}."""
    ref = customer.get("CustomerTypeRef")
    if not isinstance(ref, Mapping) or ref.get("value") in (None, ""):
        return {}
    name = types.get(str(ref["value"])) or str(ref.get("name") or "")
    value = crm_category(name, table) if name else None
    return {CATEGORY_COLUMN: value} if value is not None else {}
