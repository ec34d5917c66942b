"""Record link state: which CRM record is which QuickBooks record, and the versions last synced."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from inolink_tui.domain.enums import EntityType, RecordLinkStatus


@dataclass(frozen=True, slots=True)
class RecordLink:
    """(entity, CRM id) <-> (QuickBooks entity, id), with what each side looked like when last synced.

    The versions let the engine tell its own writes (echoes) from real changes, and notice when both
    sides changed since the last sync (a conflict that Deadlock Win settles).
    """

    entity_type: EntityType
    crm_id: str
    company: str
    link_status: RecordLinkStatus = RecordLinkStatus.NOT_LINKED
    qbo_entity: str | None = None
    qbo_id: str | None = None
    crm_version: str | None = None
    crm_modified_on: datetime | None = None
    qbo_sync_token: str | None = None
    qbo_last_updated: datetime | None = None
    record_name: str = ""
    updated_at: datetime | None = None

    def is_echo_from_crm(self, version: str | None) -> bool:
        """A CRM change whose row version is the one we wrote ourselves is our own echo."""
        return version is not None and version == self.crm_version

    def is_echo_from_qbo(self, sync_token: str | None) -> bool:
        return sync_token is not None and sync_token == self.qbo_sync_token
