"""engine/pulled_link.py: the one record link a pulled or hand-linked record gets."""

from __future__ import annotations

from datetime import UTC, datetime

from inolink_tui.domain.enums import EntityType, RecordLinkStatus
from inolink_tui.engine.pulled_link import linked_record

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def test_linked_with_both_sides_versions() -> None:
    link = linked_record(
        EntityType.ACCOUNT, "a1", "realm", "Customer", {"Id": 7, "SyncToken": 3}, crm_version="v9", name="Acme", now=NOW
    )
    assert (link.link_status, link.qbo_entity, link.qbo_id, link.qbo_sync_token) == (
        RecordLinkStatus.LINKED,
        "Customer",
        "7",
        "3",
    )
    assert (link.crm_id, link.company, link.crm_version, link.record_name, link.updated_at) == (
        "a1",
        "realm",
        "v9",
        "Acme",
        NOW,
    )


def test_a_record_without_sync_token_stores_none_not_the_text_none() -> None:
    link = linked_record(EntityType.PRODUCT, "p1", "realm", "Item", {"Id": "5"}, crm_version=None, name="W", now=NOW)
    assert link.qbo_sync_token is None
