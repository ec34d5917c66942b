"""The `MappingMetadata` port over the real systems: QuickBooks custom field definitions, Dataverse choice options
and the product Unit Group / Default Unit new products get.

The definitions are read the way `config check --online` reads them (connectors/mapping_metadata.py: Preferences
for the sales-form fields, the Custom Fields GraphQL query for customers and vendors), so the engine writes to the
fields the check found.
"""

from __future__ import annotations

import uuid

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.dataverse_metadata import DataverseMetadata
from inolink_tui.connectors.mapping_metadata import quickbooks_custom_fields
from inolink_tui.connectors.odata import all_of, eq
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.domain.enums import CRM_LOGICAL_NAME_FOR, EntityType


async def product_units(client: DataverseClient, unit_group: str, unit: str) -> tuple[str, str] | None:
    """(uomscheduleid, uomid) of the Unit Group named `unit_group` and its unit named `unit`, or None (also what
    `doctor` checks, so a name the org lacks is reported before a product job fails on it)."""
    groups = await client.list_rows("uomschedules", filter=eq("name", unit_group), select=["uomscheduleid"])
    for group in groups:
        group_id = str(group["uomscheduleid"])
        units = await client.list_rows(
            "uoms", filter=all_of(eq("name", unit), eq("_uomscheduleid_value", uuid.UUID(group_id))), select=["uomid"]
        )
        if units:
            return group_id, str(units[0]["uomid"])
    return None


class SystemsMetadata:
    """Read on demand by engine/custom_mapping.py, which caches the answers for the cycle."""

    def __init__(self, crm: DataverseClient, qbo: QuickBooksClient) -> None:
        self.crm = DataverseMetadata(crm)
        self.qbo = qbo

    async def custom_fields(self, entity: str) -> dict[str, str]:
        fields, _ = await quickbooks_custom_fields(self.qbo)
        return {f.name: f.definition_id for f in fields if f.active and entity in f.entities}

    async def product_units(self, unit_group: str, unit: str) -> tuple[str, str] | None:
        return await product_units(self.crm.client, unit_group, unit)

    async def choice_options(self, entity_type: EntityType, column: str) -> dict[int, str]:
        return await self.crm.options(CRM_LOGICAL_NAME_FOR[entity_type], column)
