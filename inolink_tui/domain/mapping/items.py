"""Product <-> QuickBooks Item (reference §1.7).

List Price <-> UnitPrice, Current Cost <-> PurchaseCost, Description -> Description (coming back:
sales description, else purchase description), product number <-> Sku. Product types map
Services <-> Service, Sales Inventory <-> Inventory, Miscellaneous Charges and Flat Fees ->
NonInventory (QuickBooks Online has no "Other Charge" item type in its API). Accounts come from the
Product preferences, as InoLink's Product Mappings do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.records import qbo_name

# CRM product type option values (Dataverse producttypecode).
SALES_INVENTORY = 1
MISC_CHARGES = 2
SERVICES = 3
FLAT_FEES = 4

QBO_TYPE_FOR: dict[int, str] = {
    SALES_INVENTORY: "Inventory",
    MISC_CHARGES: "NonInventory",
    SERVICES: "Service",
    FLAT_FEES: "NonInventory",
}
CRM_TYPE_FOR: dict[str, int] = {"Inventory": SALES_INVENTORY, "NonInventory": MISC_CHARGES, "Service": SERVICES}


@dataclass(frozen=True, slots=True)
class ItemAccounts:
    """QuickBooks account ids new items are created with (Income required for Service and Inventory)."""

    income: str | None = None
    expense: str | None = None
    asset: str | None = None


def _ref(value: str | None) -> dict[str, str] | None:
    return {"value": value} if value else None


def crm_to_item(
    row: Mapping[str, Any],
    accounts: ItemAccounts,
    *,
    for_create: bool = True,
    today: date | None = None,
    pref_vendor: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The QuickBooks Item body; account refs and inventory start fields only matter on create. `pref_vendor`: the
    PrefVendorRef of the Vendor named like the product's Vendor Name (looked up by the engine, never created)."""
    name = qbo_name(str(row.get("name") or ""))
    if not name:
        raise MappingError("the Product has no name; QuickBooks needs an Item Name")
    code = row.get("producttypecode")
    item_type = QBO_TYPE_FOR.get(int(code), "Service") if code is not None else "Service"
    body: dict[str, Any] = {"Name": name}
    if sku := row.get("productnumber"):
        body["Sku"] = str(sku)
    if description := row.get("description"):
        body["Description"] = str(description)
    if (price := row.get("price")) is not None:
        body["UnitPrice"] = float(price)
    if (cost := row.get("currentcost")) is not None:
        body["PurchaseCost"] = float(cost)
    if pref_vendor:
        body["PrefVendorRef"] = dict(pref_vendor)
    if not for_create:
        return body
    body["Type"] = item_type
    if item_type in ("Service", "Inventory"):
        if not accounts.income:
            raise MappingError(
                f"no Income account is configured for new {item_type} items; set the product income account"
            )
        body["IncomeAccountRef"] = _ref(accounts.income)
    if accounts.expense:
        body["ExpenseAccountRef"] = _ref(accounts.expense)
    if item_type == "Inventory":
        if not accounts.asset:
            raise MappingError("no Asset account is configured for new Inventory items (QuickBooks error 2020)")
        if not accounts.expense:
            raise MappingError(
                "no Expense (Cost of Goods Sold) account is configured for new Inventory items (QuickBooks error 2020)"
            )
        body["AssetAccountRef"] = _ref(accounts.asset)
        body["TrackQtyOnHand"] = True
        body["QtyOnHand"] = float(row.get("quantityonhand") or 0)
        body["InvStartDate"] = (today or date.today()).isoformat()
    return body


def item_to_crm(item: Mapping[str, Any], *, for_create: bool = False) -> dict[str, Any]:
    """CRM product columns for a QuickBooks Item.

    The product number (CRM's alternate key) follows the SKU when QuickBooks has one; an item
    without a SKU never overwrites an existing product number, and a new product is numbered with
    the item's name, since CRM requires a number.
    """
    cols: dict[str, Any] = {
        "name": str(item.get("Name") or ""),
        "description": item.get("Description") or item.get("PurchaseDesc"),
        "price": item.get("UnitPrice"),
        "currentcost": item.get("PurchaseCost"),
    }
    if item.get("Sku") or for_create:
        cols["productnumber"] = str(item.get("Sku") or item.get("Name") or "")
    if (kind := item.get("Type")) in CRM_TYPE_FOR:
        cols["producttypecode"] = CRM_TYPE_FOR[str(kind)]
    if item.get("TrackQtyOnHand") and item.get("QtyOnHand") is not None:
        cols["quantityonhand"] = item.get("QtyOnHand")
    vendor = item.get("PrefVendorRef")
    if isinstance(vendor, Mapping) and vendor.get("name"):
        cols["vendorname"] = str(vendor["name"])  # the reference carries the Vendor's name (Item reference)
    return cols
