"""Items: the name, the type, and the accounts and inventory fields each type requires."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import EntitySpec
from inolink_tui.sandbox.quickbooks.money import boolean, money, number
from inolink_tui.sandbox.quickbooks.rules.common import invalid_enum, named_ref
from inolink_tui.sandbox.quickbooks.rules.names import check_name, deactivation, unique

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState


ITEM_TYPES = ("Service", "NonInventory", "Inventory", "Category", "Group")


def item(
    state: QboState, spec: EntitySpec, body: dict[str, Any], existing: dict[str, Any] | None, rid: str
) -> dict[str, Any]:
    out = dict(body)
    out["Name"] = check_name(spec, "Name", out.get("Name"))
    item_type = out.get("Type", "NonInventory")
    if not isinstance(item_type, str) or item_type not in ITEM_TYPES:
        raise invalid_enum("Type", item_type)
    out["Type"] = item_type
    out["Active"] = boolean(out.get("Active"), "Active", True)
    deactivation(out, "Name", existing)
    unique(state, ("Item",), "Name", out["Name"], spec, rid)
    # Required references by type (Item reference, "Conditionally required" lines): IncomeAccountRef
    # "required for Inventory and Service item types"; AssetAccountRef, InvStartDate and QtyOnHand
    # "Required for Inventory"; ExpenseAccountRef is documented as "Required for Inventory, NonInventory,
    # and Service item types", but QuickBooks itself lets a Service or NonInventory item be sold without
    # any purchase information, so the sandbox enforces it for Inventory only (the docs are ambiguous).
    if item_type in ("Service", "Inventory") and not out.get("IncomeAccountRef"):
        raise errors.required("IncomeAccountRef")
    if item_type == "Inventory":
        for needed in ("AssetAccountRef", "ExpenseAccountRef", "InvStartDate", "QtyOnHand"):
            if out.get(needed) in (None, ""):
                raise errors.required(needed)
        out["TrackQtyOnHand"] = True
        out["QtyOnHand"] = number(out["QtyOnHand"], "QtyOnHand")
    else:
        out["TrackQtyOnHand"] = False
    for ref in ("IncomeAccountRef", "ExpenseAccountRef", "AssetAccountRef"):
        if out.get(ref):
            out[ref] = named_ref(state, "Account", out[ref], ref)
    for ref in ("SalesTaxCodeRef", "PurchaseTaxCodeRef"):
        if out.get(ref):
            out[ref] = named_ref(state, "TaxCode", out[ref], ref)
    if out.get("ReorderPoint") is not None:
        # all-entities/item: ReorderPoint, a decimal, the quantity at which an inventory item is restocked; the
        # reference names no fault for one on a non-Inventory item (vague), so it is only checked as a number
        out["ReorderPoint"] = number(out["ReorderPoint"], "ReorderPoint")
    if out.get("PrefVendorRef"):
        # all-entities/item: PrefVendorRef references a Vendor (its Id and name); a missing one is 2500, inactive 610
        out["PrefVendorRef"] = named_ref(state, "Vendor", out["PrefVendorRef"], "PrefVendorRef")
    parent_name = None
    if out.get("ParentRef"):
        out["ParentRef"] = named_ref(state, "Item", out["ParentRef"], "ParentRef")
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
