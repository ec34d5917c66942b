"""A product's Vendor Name -> its QuickBooks Item's Preferred Vendor (issue 17 item 2; InoLink: "Vendor <-> Preferred
Vendor (the vendor must already exist in QB)", reference inolink-product.md §1.7).

The Item's `PrefVendorRef` references a Vendor by its Id (developer.intuit.com/app/developer/qbo/docs/api/accounting/
all-entities/item). Whether a query's `DisplayName = '...'` compares case-insensitively is not documented (vague), so
the answer is also compared here ignoring case; a QuickBooks that compares exactly finds only the exact spelling.
The Vendor is looked up once per name per cycle; none is ever created. A name QuickBooks has no vendor for
leaves PrefVendorRef out and says so in the job's message. Coming back, `vendorname` is the reference's name
(domain/mapping/items.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inolink_tui.engine import fit
from inolink_tui.engine.money import MoneyLookups

VENDOR_COLUMN = "vendorname"


async def preferred_vendor(lookups: MoneyLookups, row: Mapping[str, Any]) -> dict[str, str] | None:
    """The PrefVendorRef for a CRM product's Vendor Name (None: no name, or no QuickBooks vendor of that name)."""
    name = str(row.get(VENDOR_COLUMN) or "").strip()
    if not name:
        return None
    key = name.casefold()
    if key not in lookups.vendors:
        found = await lookups.qbo.find_by_names("Vendor", [name])
        match = next((v for v in found if str(v.get("DisplayName") or "").casefold() == key), None)
        lookups.vendors[key] = {"value": str(match["Id"])} if match else None
    ref = lookups.vendors[key]
    if ref is None:
        fit.note_for_job(f"no QuickBooks vendor named {name!r}: the item's Preferred Vendor was left out")
    return ref
