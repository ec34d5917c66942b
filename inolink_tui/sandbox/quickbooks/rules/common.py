"""What every rule module shares: references by id, enumerations, constants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.errors import QboFault

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState


DELETED_SUFFIX = " (deleted)"
USD = {"value": "USD", "name": "United States Dollar"}
ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Accounts Payable": "Liability",
    "Credit Card": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Expense": "Expense",
    "Other Expense": "Expense",
    "Cost of Goods Sold": "Expense",
}


def invalid_enum(element: str, value: object) -> QboFault:
    return QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element=element)


def ref_id(value: Any, element: str) -> str:
    if isinstance(value, dict) and value.get("value") not in (None, ""):
        return str(value["value"])
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return str(value)
    raise errors.required(f"{element}.value" if isinstance(value, dict) else element)


def named_ref(state: QboState, entity: str, value: Any, element: str, *, must_be_active: bool = True) -> dict[str, Any]:
    target_id = ref_id(value, element)
    target = state.lookup(entity, target_id, element=element, must_be_active=must_be_active)
    spec = state.spec(entity)
    name = target.get(spec.name_field) if spec.name_field else target.get("DocNumber")
    return {"value": target_id, "name": name} if name is not None else {"value": target_id}


def same_content(normalized: dict[str, Any], existing: dict[str, Any]) -> bool:
    """A no-op write keeps the SyncToken; line Ids do not count as content."""
    current = {k: v for k, v in existing.items() if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")}
    return without_line_ids(normalized) == without_line_ids(current)


def without_line_ids(record: dict[str, Any]) -> dict[str, Any]:
    if "Line" not in record:
        return record
    out = dict(record)
    out["Line"] = [{k: v for k, v in line.items() if k not in ("Id", "LineNum")} for line in record["Line"]]
    return out
