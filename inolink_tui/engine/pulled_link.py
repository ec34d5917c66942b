"""The record link of a CRM record just linked to a QuickBooks record it was read with.

Why one function: a pulled record (engine/pull.py, created in or linked to CRM) and a pair the operator links by
hand (engine/record_actions.py `link`) end in the same state, Linked, with both sides' versions as they stand after
the write, so the next cycles see our own write as an echo; two copies of that had drifted (one stored the text
"None" for a missing SyncToken).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from inolink_tui.domain.enums import EntityType, RecordLinkStatus
from inolink_tui.domain.links import RecordLink


def linked_record(
    entity_type: EntityType,
    crm_id: str,
    company: str,
    qbo_entity: str,
    record: Mapping[str, Any],
    *,
    crm_version: str | None,
    name: str,
    now: datetime,
) -> RecordLink:
    """CRM `crm_id` Linked to QuickBooks `record` (its Id and SyncToken), `crm_version` the CRM row after our write."""
    token = record.get("SyncToken")
    return RecordLink(
        entity_type=entity_type,
        crm_id=crm_id,
        company=company,
        link_status=RecordLinkStatus.LINKED,
        qbo_entity=qbo_entity,
        qbo_id=str(record["Id"]),
        crm_version=crm_version,
        qbo_sync_token=str(token) if token is not None else None,
        record_name=name,
        updated_at=now,
    )
