"""Estimates, invoices, sales receipts and payments: lines, totals, DocNumber, dates and links."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.money import boolean, money, number, unit_price, zero
from inolink_tui.sandbox.quickbooks.rules.common import invalid_enum, named_ref, without_line_ids
from inolink_tui.sandbox.quickbooks.rules.currency import txn_currency
from inolink_tui.sandbox.quickbooks.rules.effects import applied_to, payments_applied
from inolink_tui.sandbox.quickbooks.rules.tax import line_tax_code, txn_tax
from inolink_tui.sandbox.quickbooks.rules.terms import due_date

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState


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


def iso_date(value: Any, element: str) -> str:
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
    reuse = existing is not None and without_line_ids({"Line": raw_lines}) == without_line_ids(
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
            detail["DiscountAccountRef"] = named_ref(
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
    detail["ItemRef"] = named_ref(state, "Item", detail["ItemRef"], "ItemRef")
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
    detail["TaxCodeRef"] = line_tax_code(state, item, detail)
    line["Amount"] = amount
    return amount


def sales_txn(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    if spec.name in ("Invoice", "Estimate", "CreditMemo") and not out.get("CustomerRef"):
        raise errors.required("CustomerRef")
    customer: dict[str, Any] | None = None
    if out.get("CustomerRef"):
        out["CustomerRef"] = named_ref(state, "Customer", out["CustomerRef"], "CustomerRef")
        customer = state.raw("Customer", out["CustomerRef"]["value"])
    lines, subtotal, discount = _lines(state, spec, out.get("Line"), existing, rid)
    _doc_number(state, spec, out, rid)
    out["TxnDate"] = iso_date(out["TxnDate"], "TxnDate") if out.get("TxnDate") else state.today()
    total_tax = txn_tax(state, out, lines)
    total = subtotal - discount + total_tax
    if total < 0:
        raise errors.business("Transaction total cannot be negative.")
    out["Line"] = [*lines, {"Amount": subtotal, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}]
    out["TotalAmt"] = total
    out.pop("HomeTotalAmt", None)
    txn_currency(state, out, customer)
    if out.get("SalesTermRef"):
        out["SalesTermRef"] = named_ref(state, "Term", out["SalesTermRef"], "SalesTermRef")
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
        paid = payments_applied(state, rid) if existing is not None else zero()
        if paid > total:
            raise errors.business("The invoice total cannot be less than the payments already applied to it.")
        out["Balance"] = total - paid
        if (spec.name, rid) in state.voided:
            out["Balance"] = zero()
        out["DueDate"] = iso_date(out["DueDate"], "DueDate") if out.get("DueDate") else due_date(state, out, customer)
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
            out["ExpirationDate"] = iso_date(out["ExpirationDate"], "ExpirationDate")
    elif spec.name == "CreditMemo":
        # all-entities/creditmemo: CustomerRef and Line required; Balance and RemainingCredit are read-only:
        # the credit not yet applied to invoices through payments (rules/payments.py)
        used = applied_to(state, "CreditMemo", rid) if existing is not None else zero()
        if used > total:
            raise errors.business("The credit memo total cannot be less than the credit already applied from it.")
        out["Balance"] = total - used
        out["RemainingCredit"] = total - used
    else:  # SalesReceipt: paid at once (all-entities/salesreceipt), so nothing is ever open on it
        out["Balance"] = zero()
        out["DepositToAccountRef"] = deposit_account(state, out.get("DepositToAccountRef"))
    if spec.name != "Estimate" or links:
        out["LinkedTxn"] = links
    return out


def deposit_account(state: QboState, ref: Any) -> dict[str, Any] | None:
    if ref:
        return named_ref(state, "Account", ref, "DepositToAccountRef")
    for aid, account in state.records["Account"].items():
        if account.get("Name") == "Undeposited Funds":
            return {"value": aid, "name": "Undeposited Funds"}
    return None
