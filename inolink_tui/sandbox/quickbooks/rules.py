"""Business rules QuickBooks Online enforces on writes, and the fields it computes (reference §12, §13.8-11).

`normalize` gets the client's writable fields (merged for a sparse update) and returns the record body
the server would store: defaults filled, references checked and named, totals computed. It raises a
`QboFault` with the real code for every rule a request breaks, before anything is stored.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import NAME_UNIQUE_GROUP, EntitySpec
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.money import boolean, integer, money, number, unit_price, zero

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

DELETED_SUFFIX = " (deleted)"
USD = {"value": "USD", "name": "United States Dollar"}
ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category", "Group")
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
ESTIMATE_STATUSES = ("Pending", "Accepted", "Closed", "Rejected")
LINE_TYPES = (
    "SalesItemLineDetail",
    "DescriptionOnly",
    "DescriptionOnlyLineDetail",
    "DiscountLineDetail",
    "SubTotalLineDetail",
    "GroupLineDetail",
)
MAX_DOC_NUMBER = 21
MAX_NAME = {"DisplayName": 500, "Name": 100}


def invalid_enum(element: str, value: object) -> QboFault:
    return QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element=element)


def _ref_id(value: Any, element: str) -> str:
    if isinstance(value, dict) and value.get("value") not in (None, ""):
        return str(value["value"])
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return str(value)
    raise errors.required(f"{element}.value" if isinstance(value, dict) else element)


def _named_ref(
    state: QboState, entity: str, value: Any, element: str, *, must_be_active: bool = True
) -> dict[str, Any]:
    ref_id = _ref_id(value, element)
    target = state.lookup(entity, ref_id, element=element, must_be_active=must_be_active)
    spec = state.spec(entity)
    name = target.get(spec.name_field) if spec.name_field else target.get("DocNumber")
    return {"value": ref_id, "name": name} if name is not None else {"value": ref_id}


def same_content(normalized: dict[str, Any], existing: dict[str, Any]) -> bool:
    """A no-op write keeps the SyncToken; line Ids do not count as content."""
    current = {k: v for k, v in existing.items() if k not in ("Id", "SyncToken", "MetaData", "domain", "sparse")}
    return _without_line_ids(normalized) == _without_line_ids(current)


def _without_line_ids(record: dict[str, Any]) -> dict[str, Any]:
    if "Line" not in record:
        return record
    out = dict(record)
    out["Line"] = [{k: v for k, v in line.items() if k not in ("Id", "LineNum")} for line in record["Line"]]
    return out


# -- dispatch ------------------------------------------------------------------------------------------
def normalize(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, record_id: str
) -> dict[str, Any]:
    if spec.kind == "readonly" and existing is not None:
        raise errors.unsupported(f"Operation Update is not supported for {spec.name}.")
    handlers = {
        "Customer": _person,
        "Vendor": _person,
        "Employee": _person,
        "Item": _item,
        "Account": _account,
        "Term": _term,
        "TaxCode": _taxcode,
        "CompanyInfo": _company,
        "Estimate": _sales_txn,
        "Invoice": _sales_txn,
        "SalesReceipt": _sales_txn,
        "Payment": _payment,
    }
    return handlers[spec.name](state, spec, body, existing, record_id)


# -- name lists ------------------------------------------------------------------------------------------
def _check_name(spec: EntitySpec, field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.required(field)
    name = value.strip()
    if any(ch in name for ch in ":\t\n"):
        raise errors.business(f"{spec.name} name cannot contain a colon (:), tab or newline.")
    limit = MAX_NAME.get(field, 100)
    if len(name) > limit:
        raise errors.string_length(field, limit, len(name))
    return name


def _deactivation(body: dict[str, Any], field: str, existing: dict[str, Any] | None) -> None:
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


def _unique(state: QboState, entities: tuple[str, ...], field: str, name: str, spec: EntitySpec, rid: str) -> None:
    wanted = name.casefold()
    for entity in entities:
        for other_id, record in state.records[entity].items():
            if entity == spec.name and other_id == rid:
                continue
            if str(record.get(field, "")).strip().casefold() == wanted:
                raise errors.duplicate_name()


def _person(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    if not out.get("DisplayName"):
        parts = [
            str(out[k]).strip() for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix") if out.get(k)
        ]
        if not parts:
            raise QboFault("6080", "No Name Provided", "You must enter a name for this customer.", element="")
        out["DisplayName"] = " ".join(parts)
    out["DisplayName"] = _check_name(spec, "DisplayName", out["DisplayName"])
    out["Active"] = boolean(out.get("Active"), "Active", True)
    _deactivation(out, "DisplayName", existing)
    _unique(state, NAME_UNIQUE_GROUP, "DisplayName", out["DisplayName"], spec, rid)
    display = out["DisplayName"]
    base_name = display[: -len(DELETED_SUFFIX)] if display.endswith(DELETED_SUFFIX) else display
    out.setdefault("PrintOnCheckName", base_name)
    out.setdefault("CurrencyRef", dict(USD))
    if spec.name != "Customer":
        out["Balance"] = existing.get("Balance", zero()) if existing else zero()
        return out
    parent_name = None
    if out.get("ParentRef"):
        out["ParentRef"] = _named_ref(state, "Customer", out["ParentRef"], "ParentRef")
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
        out["SalesTermRef"] = _named_ref(state, "Term", out["SalesTermRef"], "SalesTermRef")
    if out.get("DefaultTaxCodeRef"):
        out["DefaultTaxCodeRef"] = _named_ref(state, "TaxCode", out["DefaultTaxCodeRef"], "DefaultTaxCodeRef")
    balance = customer_balance(state, rid) if existing is not None else zero()
    out["Balance"] = balance
    out["BalanceWithJobs"] = balance
    return out


def _item(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = _check_name(spec, "Name", out.get("Name"))
    item_type = out.get("Type", "NonInventory")
    if not isinstance(item_type, str) or item_type not in ITEM_TYPES:
        raise invalid_enum("Type", item_type)
    out["Type"] = item_type
    out["Active"] = boolean(out.get("Active"), "Active", True)
    _deactivation(out, "Name", existing)
    _unique(state, ("Item",), "Name", out["Name"], spec, rid)
    if item_type in ("Service", "Inventory") and not out.get("IncomeAccountRef"):
        raise errors.required("IncomeAccountRef")
    if item_type == "Inventory":
        for needed in ("AssetAccountRef", "InvStartDate", "QtyOnHand"):
            if out.get(needed) in (None, ""):
                raise errors.required(needed)
        out["TrackQtyOnHand"] = True
        out["QtyOnHand"] = number(out["QtyOnHand"], "QtyOnHand")
    else:
        out["TrackQtyOnHand"] = False
    for ref in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        if out.get(ref):
            out[ref] = _named_ref(state, "Account", out[ref], ref)
    for ref in ("SalesTaxCodeRef", "PurchaseTaxCodeRef"):
        if out.get(ref):
            out[ref] = _named_ref(state, "TaxCode", out[ref], ref)
    parent_name = None
    if out.get("ParentRef"):
        out["ParentRef"] = _named_ref(state, "Item", out["ParentRef"], "ParentRef")
        parent = state.raw("Item", out["ParentRef"]["value"])
        assert parent is not None
        parent_name = parent.get("FullyQualifiedName", parent["Name"])
        out["SubItem"] = True
        out["Level"] = int(parent.get("Level", 0)) + 1
    else:
        out["SubItem"] = False
        out.pop("Level", None)
    out["FullyQualifiedName"] = f"{parent_name}:{out['Name']}" if parent_name else out["Name"]
    out["UnitPrice"] = money(out.get("UnitPrice", 0), "UnitPrice")
    out["PurchaseCost"] = money(out.get("PurchaseCost", 0), "PurchaseCost")
    out["Taxable"] = boolean(out.get("Taxable"), "Taxable", False)
    out["SalesTaxIncluded"] = boolean(out.get("SalesTaxIncluded"), "SalesTaxIncluded", False)
    out["PurchaseTaxIncluded"] = boolean(out.get("PurchaseTaxIncluded"), "PurchaseTaxIncluded", False)
    return out


def _account(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = _check_name(spec, "Name", out.get("Name"))
    account_type = out.get("AccountType")
    if not account_type:
        raise errors.required("AccountType")
    if not isinstance(account_type, str) or account_type not in ACCOUNT_CLASSIFICATION:
        raise invalid_enum("AccountType", account_type)
    out["Active"] = boolean(out.get("Active"), "Active", True)
    _deactivation(out, "Name", existing)
    _unique(state, ("Account",), "Name", out["Name"], spec, rid)
    out["Classification"] = ACCOUNT_CLASSIFICATION[account_type]
    out["FullyQualifiedName"] = out["Name"]
    out["SubAccount"] = boolean(out.get("SubAccount"), "SubAccount", False)
    out["CurrentBalance"] = existing.get("CurrentBalance", zero()) if existing else zero()
    out["CurrentBalanceWithSubAccounts"] = out["CurrentBalance"]
    out.setdefault("CurrencyRef", dict(USD))
    return out


def _term(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = _check_name(spec, "Name", out.get("Name"))
    out["Active"] = boolean(out.get("Active"), "Active", True)
    _unique(state, ("Term",), "Name", out["Name"], spec, rid)
    term_type = out.get("Type", "STANDARD")
    if not isinstance(term_type, str) or term_type not in ("STANDARD", "DATE_DRIVEN"):
        raise invalid_enum("Type", term_type)
    out["Type"] = term_type
    if term_type == "STANDARD":
        out["DueDays"] = integer(out.get("DueDays", 0), "DueDays")
    return out


def _taxcode(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = _check_name(spec, "Name", out.get("Name"))
    out["Active"] = boolean(out.get("Active"), "Active", True)
    out["Taxable"] = boolean(out.get("Taxable"), "Taxable", False)
    out["TaxGroup"] = boolean(out.get("TaxGroup"), "TaxGroup", False)
    return out


def _company(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    if not out.get("CompanyName"):
        raise errors.required("CompanyName")
    out.setdefault("Country", "US")
    return out


# -- transactions -------------------------------------------------------------------------------------
def _doc_number(state: QboState, spec: EntitySpec, out: dict[str, Any], rid: str) -> None:
    doc = out.get("DocNumber")
    if doc in (None, ""):
        while True:
            candidate = str(state.next_doc_number[spec.name])
            state.next_doc_number[spec.name] += 1
            if not any(r.get("DocNumber") == candidate for r in state.records[spec.name].values()):
                break
        out["DocNumber"] = candidate
        return
    doc = str(doc)
    if len(doc) > MAX_DOC_NUMBER:
        raise errors.string_length("DocNumber", MAX_DOC_NUMBER, len(doc))
    if state.duplicate_docnumber_check and any(
        r.get("DocNumber") == doc for i, r in state.records[spec.name].items() if i != rid
    ):
        raise QboFault(
            "6140",
            "Duplicate Document Number Error",
            f"Duplicate Document Number Error : You must specify a different number. This number has already been "
            f"used. DocNumber={doc} is assigned to TxnType={spec.name} with TxnId={rid}",
        )
    out["DocNumber"] = doc


def _iso_date(value: Any, element: str) -> str:
    try:
        return date.fromisoformat(str(value)[:10]).isoformat()
    except ValueError:
        raise QboFault("2070", "Invalid Date", f"Invalid Date : {value}", element=element) from None


def _lines(
    state: QboState, spec: EntitySpec, raw_lines: Any, existing: dict[str, Any] | None, rid: str
) -> tuple[list[dict[str, Any]], Decimal, Decimal]:
    """Validate and number the lines; returns (lines without subtotal, subtotal, discount)."""
    if not isinstance(raw_lines, list) or not raw_lines:
        raise errors.required("Line")
    if not all(isinstance(raw, dict) for raw in raw_lines):
        raise errors.malformed_body(spec.name, "each Line must be an object")
    reuse = existing is not None and _without_line_ids({"Line": raw_lines}) == _without_line_ids(
        {"Line": [ln for ln in existing.get("Line", []) if ln.get("DetailType") != "SubTotalLineDetail"]}
    )
    lines: list[dict[str, Any]] = []
    subtotal = zero()
    discounts: list[dict[str, Any]] = []
    for raw in raw_lines:
        if not isinstance(raw, dict):
            raise errors.malformed_body(spec.name, "each Line must be an object")
        detail_type = raw.get("DetailType")
        if not detail_type:
            raise errors.required("DetailType")
        if not isinstance(detail_type, str) or detail_type not in LINE_TYPES:
            raise invalid_enum("DetailType", detail_type)
        if detail_type == "SubTotalLineDetail":
            continue  # the server recomputes it
        line = {k: copy.deepcopy(v) for k, v in raw.items() if v is not None and k not in ("Id", "LineNum")}
        if detail_type == "SalesItemLineDetail":
            subtotal += _sales_line(state, line)
        elif detail_type == "DiscountLineDetail":
            discounts.append(line)
        elif detail_type == "GroupLineDetail":
            line["Amount"] = money(line.get("Amount", 0), "Amount")
            subtotal += line["Amount"]
        else:
            line["Amount"] = money(line.get("Amount", 0), "Amount")
        lines.append(line)
    discount_total = zero()
    for line in discounts:
        detail = line.setdefault("DiscountLineDetail", {})
        if not isinstance(detail, dict):
            raise errors.malformed_body(spec.name, "DiscountLineDetail must be an object")
        if detail.get("PercentBased"):
            percent = number(detail.get("DiscountPercent", 0), "DiscountPercent")
            line["Amount"] = money(subtotal * percent / 100, "Amount")
        else:
            line["Amount"] = money(line.get("Amount", 0), "Amount")
        if detail.get("DiscountAccountRef"):
            detail["DiscountAccountRef"] = _named_ref(
                state, "Account", detail["DiscountAccountRef"], "DiscountAccountRef"
            )
        discount_total += line["Amount"]
    seq = state.line_seq.get((spec.name, rid), 0)
    if reuse and existing is not None:
        old = [ln for ln in existing["Line"] if ln.get("DetailType") != "SubTotalLineDetail"]
        for line, previous in zip(lines, old, strict=True):
            line["Id"] = previous.get("Id")
    else:
        for line in lines:
            seq += 1
            line["Id"] = str(seq)
        state.line_seq[(spec.name, rid)] = seq
    for number_, line in enumerate(lines, start=1):
        line["LineNum"] = number_
        # keep Id and LineNum first, as the service prints them
        reordered = {"Id": line.pop("Id"), "LineNum": line.pop("LineNum"), **line}
        line.clear()
        line.update(reordered)
    return lines, subtotal, discount_total


def _sales_line(state: QboState, line: dict[str, Any]) -> Decimal:
    detail = line.get("SalesItemLineDetail")
    if not isinstance(detail, dict):
        raise errors.required("SalesItemLineDetail")
    if not detail.get("ItemRef"):
        raise errors.required("ItemRef")
    detail["ItemRef"] = _named_ref(state, "Item", detail["ItemRef"], "ItemRef")
    item = state.raw("Item", detail["ItemRef"]["value"])
    assert item is not None
    qty = number(detail["Qty"], "Qty") if detail.get("Qty") is not None else None
    price = number(detail["UnitPrice"], "UnitPrice") if detail.get("UnitPrice") is not None else None
    amount = money(line["Amount"], "Amount") if line.get("Amount") is not None else None
    if amount is None:
        if qty is None or price is None:
            raise errors.required("Amount")
        amount = money(qty * price, "Amount")
    if qty is not None and price is not None and money(qty * price, "Amount") != amount:
        raise QboFault(
            "6070",
            "Amount calculation incorrect",
            f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
            element="",
        )
    if price is None and qty not in (None, 0):
        assert qty is not None
        price = unit_price(amount, qty)
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    tax = detail.get("TaxCodeRef") or {"value": "TAX" if item.get("Taxable") else "NON"}
    if state.raw("TaxCode", _ref_id(tax, "TaxCodeRef")) is not None:
        detail["TaxCodeRef"] = {"value": _ref_id(tax, "TaxCodeRef")}
    else:
        raise errors.invalid_reference("TaxCode", "TaxCodeRef", _ref_id(tax, "TaxCodeRef"))
    line["Amount"] = amount
    return amount


def _payments_applied(state: QboState, invoice_id: str, *, excluding: str | None = None) -> Decimal:
    total = zero()
    for pid, payment in state.records["Payment"].items():
        if pid == excluding:
            continue
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn", []):
                if link.get("TxnType") == "Invoice" and str(link.get("TxnId")) == invoice_id:
                    total += money(line.get("Amount", 0), "Amount")
    return total


def _sales_txn(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    if spec.name in ("Invoice", "Estimate") and not out.get("CustomerRef"):
        raise errors.required("CustomerRef")
    customer: dict[str, Any] | None = None
    if out.get("CustomerRef"):
        out["CustomerRef"] = _named_ref(state, "Customer", out["CustomerRef"], "CustomerRef")
        customer = state.raw("Customer", out["CustomerRef"]["value"])
    lines, subtotal, discount = _lines(state, spec, out.get("Line"), existing, rid)
    _doc_number(state, spec, out, rid)
    out["TxnDate"] = _iso_date(out["TxnDate"], "TxnDate") if out.get("TxnDate") else state.today()
    tax_detail = out.get("TxnTaxDetail") if isinstance(out.get("TxnTaxDetail"), dict) else {}
    assert isinstance(tax_detail, dict)
    total_tax = money(tax_detail.get("TotalTax", 0), "TotalTax")
    out["TxnTaxDetail"] = {**tax_detail, "TotalTax": total_tax}
    total = subtotal - discount + total_tax
    if total < 0:
        raise errors.business("Transaction total cannot be negative.")
    out["Line"] = [*lines, {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}]
    out["TotalAmt"] = total
    out.pop("HomeTotalAmt", None)
    out.setdefault("CurrencyRef", dict(USD))
    if out.get("SalesTermRef"):
        out["SalesTermRef"] = _named_ref(state, "Term", out["SalesTermRef"], "SalesTermRef")
    if customer is not None:
        for address in ("BillAddr", "ShipAddr"):
            if not out.get(address) and customer.get(address):
                out[address] = copy.deepcopy(customer[address])
        if not out.get("BillEmail") and customer.get("PrimaryEmailAddr"):
            out["BillEmail"] = copy.deepcopy(customer["PrimaryEmailAddr"])
    out.setdefault("CustomField", [])
    out.setdefault("PrintStatus", "NeedToPrint")
    out.setdefault("EmailStatus", "NotSet")
    out["ApplyTaxAfterDiscount"] = boolean(out.get("ApplyTaxAfterDiscount"), "ApplyTaxAfterDiscount", False)
    raw_links = out.get("LinkedTxn") or []
    if not isinstance(raw_links, list) or not all(isinstance(link, dict) for link in raw_links):
        raise errors.malformed_body(spec.name, "LinkedTxn must be a list of objects")
    links = [dict(link) for link in raw_links]
    if spec.name == "Invoice":
        paid = _payments_applied(state, rid) if existing is not None else zero()
        if paid > total:
            raise errors.business("The invoice total cannot be less than the payments already applied to it.")
        out["Balance"] = total - paid
        if (spec.name, rid) in state.voided:
            out["Balance"] = zero()
        out["DueDate"] = _iso_date(out["DueDate"], "DueDate") if out.get("DueDate") else _due_date(state, out, customer)
        for flag in ("AllowIPNPayment", "AllowOnlinePayment", "AllowOnlineCreditCardPayment", "AllowOnlineACHPayment"):
            out[flag] = boolean(out.get(flag), flag, False)
        for link in links:
            if link.get("TxnType") == "Estimate":
                state.lookup("Estimate", str(link.get("TxnId")), element="LinkedTxn", must_be_active=False)
    elif spec.name == "Estimate":
        status = out.get("TxnStatus", "Pending")
        if not isinstance(status, str) or status not in ESTIMATE_STATUSES:
            raise invalid_enum("TxnStatus", status)
        out["TxnStatus"] = status
        if out.get("ExpirationDate"):
            out["ExpirationDate"] = _iso_date(out["ExpirationDate"], "ExpirationDate")
    else:  # SalesReceipt
        out["Balance"] = zero()
        out["DepositToAccountRef"] = _deposit_account(state, out.get("DepositToAccountRef"))
    if spec.name != "Estimate" or links:
        out["LinkedTxn"] = links
    return out


def _due_date(state: QboState, out: dict[str, Any], customer: dict[str, Any] | None) -> str:
    term_ref = out.get("SalesTermRef") or (customer or {}).get("SalesTermRef")
    days = 30
    if term_ref:
        term = state.raw("Term", _ref_id(term_ref, "SalesTermRef"))
        if term is not None and term.get("DueDays") is not None:
            days = int(term["DueDays"])
    return (date.fromisoformat(out["TxnDate"]) + timedelta(days=days)).isoformat()


def _deposit_account(state: QboState, ref: Any) -> dict[str, Any] | None:
    if ref:
        return _named_ref(state, "Account", ref, "DepositToAccountRef")
    for aid, account in state.records["Account"].items():
        if account.get("Name") == "Undeposited Funds":
            return {"value": aid, "name": "Undeposited Funds"}
    return None


def _payment(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    if not out.get("CustomerRef"):
        raise errors.required("CustomerRef")
    if out.get("TotalAmt") is None:
        raise errors.required("TotalAmt")
    out["CustomerRef"] = _named_ref(state, "Customer", out["CustomerRef"], "CustomerRef")
    total = money(out["TotalAmt"], "TotalAmt")
    if total < 0:
        raise errors.business("Payment amount cannot be negative.")
    applied = zero()
    lines: list[dict[str, Any]] = []
    for raw in out.get("Line") or []:
        if not isinstance(raw, dict):
            raise errors.malformed_body("Payment", "each Line must be an object")
        amount = money(raw.get("Amount", 0), "Amount")
        links = raw.get("LinkedTxn") or []
        if not isinstance(links, list) or not links:
            raise errors.required("LinkedTxn")
        if not all(isinstance(link, dict) for link in links):
            raise errors.malformed_body("Payment", "LinkedTxn must be a list of objects")
        for link in links:
            if link.get("TxnType") != "Invoice":
                raise invalid_enum("TxnType", link.get("TxnType"))
            invoice_id = str(link.get("TxnId", ""))
            invoice = state.lookup("Invoice", invoice_id, element="LinkedTxn", must_be_active=False)
            if invoice["CustomerRef"]["value"] != out["CustomerRef"]["value"]:
                raise errors.business("The payment and the invoice it pays must be for the same customer.")
            open_balance = money(invoice.get("TotalAmt", 0), "TotalAmt") - _payments_applied(
                state, invoice_id, excluding=rid
            )
            if ("Invoice", invoice_id) in state.voided or amount > open_balance:
                raise errors.business(f"The payment amount exceeds the open balance of invoice {invoice_id}.")
        applied += amount
        lines.append({"Amount": amount, "LinkedTxn": [{"TxnId": str(k["TxnId"]), "TxnType": "Invoice"} for k in links]})
    if applied > total:
        raise errors.business("The amount applied to invoices is more than the payment amount.")
    out["Line"] = lines
    out["TotalAmt"] = total
    out["UnappliedAmt"] = total - applied
    out["ProcessPayment"] = boolean(out.get("ProcessPayment"), "ProcessPayment", False)
    out["TxnDate"] = _iso_date(out["TxnDate"], "TxnDate") if out.get("TxnDate") else state.today()
    out["DepositToAccountRef"] = _deposit_account(state, out.get("DepositToAccountRef"))
    out.setdefault("CurrencyRef", dict(USD))
    return out


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
            paid = _payments_applied(state, invoice_id)
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
    if spec.name == "Invoice" and _payments_applied(state, existing["Id"]) > 0:
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
    out["PrivateNote"] = "Voided"
    return out
