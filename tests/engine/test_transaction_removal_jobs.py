"""Fast checks of the jobs a QuickBooks deletion of a linked invoice or estimate makes (engine/qbo_transactions.py)
and of what the unlinking job reports (engine/transaction_removal.py); no sandbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA
from inolink_tui.domain.enums import EntityType, Operation, RecordLinkStatus, Source
from inolink_tui.domain.links import RecordLink
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.qbo_transactions import transaction_jobs
from inolink_tui.engine.transaction_removal import deleted_message
from tests.fakes.memstore import MemoryStore

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TOMBSTONE = {"status": "Deleted", "MetaData": {"LastUpdatedTime": "2026-01-05T11:59:00Z"}}


class NoCrm:
    """The CRM side transaction_jobs reads only for an invoice this store has no link for."""

    schema = DEFAULT_SCHEMA

    def __init__(self, linked: list[dict[str, Any]] | None = None) -> None:
        self.linked = linked or []

    async def linked_with(self, entity_type: EntityType, columns: list[str]) -> list[dict[str, Any]]:
        return self.linked


async def jobs_for(store: MemoryStore, entities: dict[str, list[dict[str, Any]]], crm: NoCrm | None = None) -> list:
    options = EngineOptions(company="realm-1")
    return await transaction_jobs(crm or NoCrm(), store, options, entities, NOW)  # type: ignore[arg-type]


@pytest.mark.asyncio
@pytest.mark.parametrize(("entity", "et"), [("Invoice", EntityType.INVOICE), ("Estimate", EntityType.QUOTE)])
async def test_a_deleted_linked_transaction_queues_one_unlinking_job(entity: str, et: EntityType) -> None:
    store = MemoryStore()
    await store.upsert_link(
        RecordLink(et, "crm-1", "realm-1", RecordLinkStatus.LINKED, entity, "77", record_name=f"{entity} 1001")
    )
    (job,) = await jobs_for(store, {entity: [{"Id": "77", **TOMBSTONE}]})
    assert (job.entity_type, job.source, job.operation) == (et, Source.ACCOUNTING, Operation.UPDATE)
    assert job.crm_record_id == "crm-1" and job.qbo_id == "77" and job.qbo_entity == entity
    assert job.record_name == f"{entity} 1001 (deleted in QuickBooks)"


@pytest.mark.asyncio
async def test_an_unlinked_or_unknown_deleted_transaction_queues_nothing() -> None:
    store = MemoryStore()
    await store.upsert_link(
        RecordLink(EntityType.INVOICE, "crm-1", "realm-1", RecordLinkStatus.UNLINKED, "Invoice", "77")
    )
    assert await jobs_for(store, {"Invoice": [{"Id": "77", **TOMBSTONE}, {"Id": "78", **TOMBSTONE}]}) == []


@pytest.mark.asyncio
async def test_a_deleted_invoice_linked_only_in_crm_is_unlinked_too() -> None:
    crm = NoCrm([{DEFAULT_SCHEMA.accounting_id: "79", "invoiceid": "crm-9"}])
    (job,) = await jobs_for(MemoryStore(), {"Invoice": [{"Id": "79", **TOMBSTONE}]}, crm)
    assert job.entity_type is EntityType.INVOICE and job.crm_record_id == "crm-9"
    assert job.record_name.endswith("(deleted in QuickBooks)")


def test_the_report_says_what_happened_and_that_nothing_was_deleted() -> None:
    said = deleted_message(EntityType.QUOTE, "Estimate", "12", had_row=True)
    assert said.startswith("QuickBooks estimate 12 was deleted in QuickBooks: the CRM quote is now Unlinked")
    assert "nothing deleted in CRM" in said
    assert "no longer exists" in deleted_message(EntityType.INVOICE, "Invoice", "12", had_row=False)
