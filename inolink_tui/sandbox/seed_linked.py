"""The CRM side of the seed's pre-linked records, read from their QuickBooks side so the two agree.

A record the seed links was, in the story the seed tells, linked by an earlier sync: its mapped fields hold what
that sync wrote. `inolink-tui reconcile` on a fresh sandbox must therefore find no field drift.
"""

from __future__ import annotations

from typing import Any


def linked_account_columns(customer: dict[str, Any]) -> dict[str, Any]:
    """A pre-linked account holds what the link's last sync left: the QuickBooks customer's phone, e-mail and
    billing address, column for column (domain/mapping/customers.py `customer_to_crm`). The seed used to draw
    them apart, so a fresh sandbox showed drift no sync had made; QuickBooks is the side kept (it is the older
    record, the account was linked to it), CRM's independent values are the side changed. A country QuickBooks
    lacks stays empty in CRM too: a pull writes BillAddr.Country, absent here, over address1_country.
    """
    addr = customer.get("BillAddr") or {}
    return {
        "telephone1": (customer.get("PrimaryPhone") or {}).get("FreeFormNumber"),
        "emailaddress1": (customer.get("PrimaryEmailAddr") or {}).get("Address"),
        "address1_line1": addr.get("Line1"),
        "address1_line2": addr.get("Line2"),
        "address1_city": addr.get("City"),
        "address1_stateorprovince": addr.get("CountrySubDivisionCode"),
        "address1_postalcode": addr.get("PostalCode"),
        "address1_country": addr.get("Country"),
    }


_CRM_PRODUCT_TYPE = {"Inventory": 1, "NonInventory": 2, "Service": 3}
"""Dataverse producttypecode for a QuickBooks Item Type: Sales Inventory 1, Miscellaneous Charges 2, Services 3
(the engine's mapping, reference notes 1.7; QuickBooks Online has no Other Charge type)."""


def crm_product_type(item: dict[str, Any]) -> int:
    """The producttypecode a product linked to this item holds (a promoted product whose item exists is the same
    product: Name Matching links it, and QuickBooks does not take a Type change on a sparse update)."""
    return _CRM_PRODUCT_TYPE.get(str(item.get("Type")), 3)


def linked_product_columns(item: dict[str, Any]) -> dict[str, Any]:
    """A pre-linked product holds its QuickBooks item's type, description, price and cost, as a sync leaves
    them. The seed drew the type (1, 2 or 3) and a description apart from the item; the item's side is kept and
    CRM's changed. QuickBooks reads an item without a purchase cost as PurchaseCost 0, so the product's Current
    Cost is 0 too, not empty (a pull would write the 0)."""
    return {
        "producttypecode": crm_product_type(item),
        "description": item.get("Description"),
        "price": float(item.get("UnitPrice") or 0),
        "currentcost": float(item.get("PurchaseCost") or 0),
    }
