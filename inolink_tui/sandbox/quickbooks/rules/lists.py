"""Small name lists and settings client libraries read: Class, Department, PaymentMethod, TaxRate, Preferences.

Sources (developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/...): `class` (Name
required, at most 100 chars; ParentRef required for a subclass; FullyQualifiedName `Parent:Child`, at most
5 levels), `department` (same shape as Class, with SubDepartment), `paymentmethod` (Name required, at most
31 chars; Type `CREDIT_CARD` or `NON_CREDIT_CARD`, answered as `NON_CREDIT_CARD` when omitted, as the
create example shows), `taxrate` (read-only through the Accounting API: rates are created with the
TaxService endpoint, which the sandbox does not model) and `preferences` (one record per company, read
at `/preferences` and by `select * from Preferences`; an update names the sections it changes with the
current SyncToken, as the reference's update example does, so sections sent are merged field by field).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.money import boolean, number
from inolink_tui.sandbox.quickbooks.rules.common import invalid_enum, named_ref
from inolink_tui.sandbox.quickbooks.rules.names import check_name, deactivation, unique

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

PAYMENT_METHOD_TYPES = ("CREDIT_CARD", "NON_CREDIT_CARD")
MAX_LEVELS = 5
SUB_FLAG = {"Class": "SubClass", "Department": "SubDepartment"}


def simple_list(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    """Class and Department: a unique name, an optional parent, a colon-joined full name."""
    out = dict(body)
    out["Name"] = check_name(spec, "Name", out.get("Name"))
    out["Active"] = boolean(out.get("Active"), "Active", True)
    deactivation(out, "Name", existing)
    flag = SUB_FLAG[spec.name]
    parent_name = None
    if out.get("ParentRef"):
        out["ParentRef"] = named_ref(state, spec.name, out["ParentRef"], "ParentRef")
        parent = state.raw(spec.name, out["ParentRef"]["value"])
        assert parent is not None
        parent_name = str(parent.get("FullyQualifiedName", parent["Name"]))
        if parent_name.count(":") + 2 > MAX_LEVELS:
            raise errors.business(f"A {spec.name} may be nested at most {MAX_LEVELS} levels deep.")
        out[flag] = True
    elif boolean(out.get(flag), flag, False):
        raise errors.required("ParentRef")
    else:
        out[flag] = False
    full = f"{parent_name}:{out['Name']}" if parent_name else out["Name"]
    unique_full(state, spec, full, rid)
    out["FullyQualifiedName"] = full
    return out


def unique_full(state: QboState, spec: EntitySpec, full: str, rid: str) -> None:
    """Names are unique among siblings: two classes may share a name under different parents."""
    wanted = full.casefold()
    for other_id, record in state.records[spec.name].items():
        if other_id != rid and str(record.get("FullyQualifiedName", "")).casefold() == wanted:
            raise errors.duplicate_name()


def payment_method(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = check_name(spec, "Name", out.get("Name"))
    out["Active"] = boolean(out.get("Active"), "Active", True)
    deactivation(out, "Name", existing)
    unique(state, (spec.name,), "Name", out["Name"], spec, rid)
    kind = out.get("Type", "NON_CREDIT_CARD")
    if kind not in PAYMENT_METHOD_TYPES:
        raise invalid_enum("Type", kind)
    out["Type"] = kind
    return out


def tax_rate(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    """Only the seed creates tax rates (the API refuses writes to read-only entities before this runs)."""
    out = dict(body)
    out["Name"] = check_name(spec, "Name", out.get("Name"))
    out["Active"] = boolean(out.get("Active"), "Active", True)
    out["RateValue"] = number(out.get("RateValue", 0), "RateValue")
    return out


def customer_type(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    """Only the seed (standing for the QuickBooks UI) creates customer types: the API only reads them."""
    out = dict(body)
    out["Name"] = check_name(spec, "Name", out.get("Name"))
    out["Active"] = boolean(out.get("Active"), "Active", True)
    return out


def preferences(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    currency = body.get("CurrencyPrefs")
    if existing is not None and isinstance(currency, dict) and isinstance(existing.get("CurrencyPrefs"), dict):
        # manage-multiple-currencies: multicurrency "is enabled from the QuickBooks Online UI, only. It cannot
        # be enabled via the API", "cannot be disabled once it's been enabled", and "Once set, the company's
        # home currency cannot be changed" (no fault code documented: 6000)
        before = existing["CurrencyPrefs"]
        for key in ("MultiCurrencyEnabled", "HomeCurrency"):
            if key in currency and _setting(currency[key]) != _setting(before.get(key)):
                raise errors.business(f"CurrencyPrefs.{key} cannot be changed through the API.", element=key)
    for section, value in body.items():
        if not isinstance(value, dict):
            raise errors.malformed_body(spec.name, f"{section} must be an object")
        if existing is not None and isinstance(existing.get(section), dict):
            out[section] = _merged(existing[section], value)
    return out


def _setting(value: Any) -> Any:
    """A currency reference compares by its code (clients echo it back with or without a name)."""
    return value.get("value") if isinstance(value, dict) else value


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out = dict(old)
    for key, value in new.items():
        out[key] = _merged(old[key], value) if isinstance(value, dict) and isinstance(old.get(key), dict) else value
    return out
