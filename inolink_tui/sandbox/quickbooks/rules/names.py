"""Name lists: Customer, Vendor, Employee, Account, Term, TaxCode, CompanyInfo (names, uniqueness, hierarchy)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import NAME_UNIQUE_GROUP, EntitySpec
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.money import boolean, integer, zero
from inolink_tui.sandbox.quickbooks.rules.common import (
    ACCOUNT_CLASSIFICATION,
    DELETED_SUFFIX,
    invalid_enum,
    named_ref,
)
from inolink_tui.sandbox.quickbooks.rules.currency import (
    currency_ref,
    customer_currency,
    ensure_company_currency,
    home_currency,
)
from inolink_tui.sandbox.quickbooks.rules.effects import customer_balance

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

MAX_NAME = {"DisplayName": 500, "Name": 100}


# -- name lists ------------------------------------------------------------------------------------------
def check_name(spec: EntitySpec, field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.required(field)
    name = value.strip()
    if any(ch in name for ch in ":\t\n"):
        raise errors.business(f"{spec.name} name cannot contain a colon (:), tab or newline.")
    limit = MAX_NAME.get(field, 100)
    if len(name) > limit:
        raise errors.string_length(field, limit, len(name))
    return name


def deactivation(body: dict[str, Any], field: str, existing: dict[str, Any] | None) -> None:
    """Inactive name-list records get " (deleted)" appended (freeing the name); reactivation takes it off."""
    name: str = body[field]
    if body.get("Active") is False and not name.endswith(DELETED_SUFFIX):
        body[field] = name + DELETED_SUFFIX
    elif (
        body.get("Active", True) is not False
        and name.endswith(DELETED_SUFFIX)
        and existing is not None
        and existing.get("Active") is False
    ):
        body[field] = name[: -len(DELETED_SUFFIX)]


def unique(state: QboState, entities: tuple[str, ...], field: str, name: str, spec: EntitySpec, rid: str) -> None:
    wanted = name.casefold()
    for entity in entities:
        for other_id, record in state.records[entity].items():
            if entity == spec.name and other_id == rid:
                continue
            if str(record.get(field, "")).strip().casefold() == wanted:
                raise errors.duplicate_name()


def person(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    if spec.name == "Employee" and not (out.get("GivenName") or out.get("FamilyName")):
        # Employee reference: "At least one of GivenName or FamilyName attributes is required."
        raise errors.required("GivenName")
    if not out.get("DisplayName"):
        parts = [
            str(out[k]).strip() for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix") if out.get(k)
        ]
        if not parts:
            raise QboFault("6080", "No Name Provided", "You must enter a name for this customer.", element="")
        out["DisplayName"] = " ".join(parts)
    out["DisplayName"] = check_name(spec, "DisplayName", out["DisplayName"])
    out["Active"] = boolean(out.get("Active"), "Active", True)
    deactivation(out, "DisplayName", existing)
    unique(state, NAME_UNIQUE_GROUP, "DisplayName", out["DisplayName"], spec, rid)
    display = out["DisplayName"]
    base_name = display[: -len(DELETED_SUFFIX)] if display.endswith(DELETED_SUFFIX) else display
    out.setdefault("PrintOnCheckName", base_name)
    if spec.name != "Customer":
        out.setdefault("CurrencyRef", currency_ref(home_currency(state)))
        out["Balance"] = existing.get("Balance", zero()) if existing else zero()
        return out
    parent_name = None
    if out.get("ParentRef"):
        out["ParentRef"] = named_ref(state, "Customer", out["ParentRef"], "ParentRef")
        parent = state.raw("Customer", out["ParentRef"]["value"])
        assert parent is not None
        parent_name = parent.get("FullyQualifiedName", parent["DisplayName"])
        level = int(parent.get("Level", 0)) + 1
        if level > 5:
            raise QboFault("6180", "Sub Level Limit", "Sub-customers may be nested at most 5 levels deep.")
        out["Level"] = level
        out["Job"] = True
    else:
        out.pop("Level", None)
        out["Job"] = False
    out["FullyQualifiedName"] = f"{parent_name}:{display}" if parent_name else display
    out["Taxable"] = boolean(out.get("Taxable"), "Taxable", True)
    out["BillWithParent"] = boolean(out.get("BillWithParent"), "BillWithParent", False)
    out.setdefault("PreferredDeliveryMethod", "Print")
    if out.get("SalesTermRef"):
        out["SalesTermRef"] = named_ref(state, "Term", out["SalesTermRef"], "SalesTermRef")
    if out.get("CustomerTypeRef"):
        # a reference to an existing CustomerType (all-entities/customer); an unknown Id is the usual 2500 / 610
        out["CustomerTypeRef"] = named_ref(state, "CustomerType", out["CustomerTypeRef"], "CustomerTypeRef")
    if out.get("DefaultTaxCodeRef"):
        out["DefaultTaxCodeRef"] = named_ref(state, "TaxCode", out["DefaultTaxCodeRef"], "DefaultTaxCodeRef")
    elif out["Taxable"] and (default := company_tax_code(state)) is not None:
        # most-commonly-used/customer: DefaultTaxCodeRef "is valid if Customer.Taxable is set to true"; the
        # reference notes (§3, §12) show it server-filled on a US create: the company's
        # default sales tax code, Preferences.TaxPrefs.TaxGroupCodeRef (which code is a reading: undocumented)
        out["DefaultTaxCodeRef"] = named_ref(state, "TaxCode", default, "DefaultTaxCodeRef")
    customer_currency(state, out, existing)
    balance = customer_balance(state, rid) if existing is not None else zero()
    if existing is not None and existing.get("Active") is not False and out["Active"] is False and balance != 0:
        # a captured answer (github.com/ruckus/quickbooks-ruby/issues/390): making a customer inactive ("delete"
        # for a name list) with an open balance is refused; its code is not in the capture, 6000 is assumed
        raise QboFault(
            "6000",
            "Delete List Has Balance Error",
            "The entity you are trying to delete has an open balance. : "
            "This customer cannot be deleted because it has a non-zero balance",
        )
    out["Balance"] = balance
    out["BalanceWithJobs"] = balance
    ensure_company_currency(state, out["CurrencyRef"]["value"])
    return out


def company_tax_code(state: QboState) -> str | None:
    """The company's default sales tax code (Preferences.TaxPrefs.TaxGroupCodeRef), if it has one."""
    prefs = next(iter(state.records["Preferences"].values()), {})
    ref = (prefs.get("TaxPrefs") or {}).get("TaxGroupCodeRef")
    return str(ref["value"]) if isinstance(ref, dict) and ref.get("value") else None


def account(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = check_name(spec, "Name", out.get("Name"))
    # Account reference: Name "must not contain double quotes (") or colon (:)"; AcctNum "must not contain
    # colon (:)". AcctNum's length (7 characters for US companies) sits under a "French locales" heading,
    # so it is not enforced.
    if '"' in out["Name"]:
        raise errors.business('Account Name cannot contain double quotes (") or a colon (:).', element="Name")
    if ":" in str(out.get("AcctNum") or ""):
        raise errors.business("Account AcctNum cannot contain a colon (:).", element="AcctNum")
    account_type = out.get("AccountType")
    if not account_type:
        raise errors.required("AccountType")
    if not isinstance(account_type, str) or account_type not in ACCOUNT_CLASSIFICATION:
        raise invalid_enum("AccountType", account_type)
    out["Active"] = boolean(out.get("Active"), "Active", True)
    deactivation(out, "Name", existing)
    unique(state, ("Account",), "Name", out["Name"], spec, rid)
    out["Classification"] = ACCOUNT_CLASSIFICATION[account_type]
    out["FullyQualifiedName"] = out["Name"]
    out["SubAccount"] = boolean(out.get("SubAccount"), "SubAccount", False)
    out["CurrentBalance"] = existing.get("CurrentBalance", zero()) if existing else zero()
    out["CurrentBalanceWithSubAccounts"] = out["CurrentBalance"]
    out.setdefault("CurrencyRef", currency_ref(home_currency(state)))
    return out


def term(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = check_name(spec, "Name", out.get("Name"))
    out["Active"] = boolean(out.get("Active"), "Active", True)
    unique(state, ("Term",), "Name", out["Name"], spec, rid)
    term_type = out.get("Type", "STANDARD")
    if not isinstance(term_type, str) or term_type not in ("STANDARD", "DATE_DRIVEN"):
        raise invalid_enum("Type", term_type)
    out["Type"] = term_type
    if term_type == "STANDARD":
        out["DueDays"] = integer(out.get("DueDays", 0), "DueDays")
    return out


def taxcode(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = check_name(spec, "Name", out.get("Name"))
    out["Active"] = boolean(out.get("Active"), "Active", True)
    out["Taxable"] = boolean(out.get("Taxable"), "Taxable", False)
    out["TaxGroup"] = boolean(out.get("TaxGroup"), "TaxGroup", False)
    return out


def company(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    if not out.get("CompanyName"):
        raise errors.required("CompanyName")
    out.setdefault("Country", "US")
    return out
