"""[sync] keys for the Unit Group and Default Unit of products created from QuickBooks (issue 17 item 1).

Kept apart from config/model.py (over its size budget): `SyncSettings` takes these fields by inheriting
`ProductUnitKeys`. InoLink's QuickBooks -> CRM product settings name a "Unit Group & Unit (defaults for new
products)"; Dynamics' product lists both as required (Microsoft Learn, product table reference: `defaultuomscheduleid`
"Unit Group" and `defaultuomid` "Default Unit", RequiredLevel ApplicationRequired), and a product without them
cannot be priced or quoted.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ProductUnitKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    unit_group: str = Field(default="Default Unit", min_length=1)
    """The CRM Unit Group (by name) of products created from QuickBooks items."""
    default_unit: str = Field(default="Primary Unit", min_length=1)
    """The unit of that group (by name) new products default to."""
