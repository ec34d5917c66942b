"""The `MappingMetadata` port over the real systems: QuickBooks custom field definitions, Dataverse choice options."""

from __future__ import annotations

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.dataverse_metadata import DataverseMetadata
from inolink_tui.connectors.qbo_custom_fields import custom_field_ids
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.domain.enums import CRM_LOGICAL_NAME_FOR, EntityType


class SystemsMetadata:
    """Read on demand by engine/custom_mapping.py, which caches the answers for the cycle."""

    def __init__(self, crm: DataverseClient, qbo: QuickBooksClient) -> None:
        self.crm = DataverseMetadata(crm)
        self.qbo = qbo

    async def custom_fields(self, entity: str) -> dict[str, str]:
        return await custom_field_ids(self.qbo, entity)

    async def choice_options(self, entity_type: EntityType, column: str) -> dict[int, str]:
        return await self.crm.options(CRM_LOGICAL_NAME_FOR[entity_type], column)
