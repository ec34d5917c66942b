"""Mirroring jobs to CRM's Link Job table, and requeues made there by CRM users.

The mirror follows the store's change feed from a saved cursor, so no job change is lost across a
crash or restart, and writes the changed jobs in batches. A CRM user who sets a mirrored job back
to Queued requeues it here; to tell such an edit from a mirror row that is merely behind, requeues
are only read after a flush that brought every row up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA, CrmSchema
from inolink_tui.domain.enums import (
    CRM_ENTITY_SET_FOR,
    CRM_LOGICAL_NAME_FOR,
    SYNCED_ENTITY_TYPES,
    LinkStatus,
)
from inolink_tui.domain.events import EventBus, JobChanged
from inolink_tui.domain.jobs import LinkJob, utcnow
from inolink_tui.engine.ports import CrmPort
from inolink_tui.store.base import JobStore

log = logging.getLogger(__name__)

MIRROR_CURSOR = "crm_mirror_seq"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def mirror_row(job: LinkJob, schema: CrmSchema = DEFAULT_SCHEMA) -> dict[str, Any]:
    """The Link Job table's columns of a job, with the lookup to its record when the record is in CRM."""
    c = schema.job
    row: dict[str, Any] = {
        c("jobnumber"): str(job.id),
        c("name"): f"{job.entity_type.value} {job.record_name}".strip()[:200],
        c("entitytype"): schema.entity_type_options[job.entity_type],
        c("linkstatus"): schema.job_status_options[job.link_status],
        c("source"): schema.job_source_options[job.source],
        c("submittedby"): job.submitted_by,
        c("submittedon"): _iso(job.submitted_at),
        c("processedon"): _iso(job.processed_at),
        c("accountingid"): job.accounting_id,
        c("processedcount"): job.processed_count,
        c("errordescription"): job.error_description,
    }
    if job.crm_record_id and job.entity_type in SYNCED_ENTITY_TYPES:
        # Regarding targets CRM's own synced tables; a Payment job's record is named by its Accounting ID.
        logical = CRM_LOGICAL_NAME_FOR[job.entity_type]
        row[f"{schema.regarding_navigation(logical)}@odata.bind"] = (
            f"/{CRM_ENTITY_SET_FOR[job.entity_type]}({job.crm_record_id})"
        )
    return row


class JobMirror:
    def __init__(
        self,
        store: JobStore,
        crm: CrmPort,
        bus: EventBus,
        *,
        batch: int = 100,
        clock: Callable[[], datetime] = utcnow,
        schema: CrmSchema = DEFAULT_SCHEMA,
    ) -> None:
        self.schema = schema
        self.store = store
        self.crm = crm
        self.bus = bus
        self.batch = batch
        self.clock = clock

    async def flush(self, *, max_rounds: int = 1000) -> int:
        """Write every job changed since the cursor; returns how many rows were written."""
        seq = int(await self.store.get_cursor(MIRROR_CURSOR) or 0)
        written = 0
        for _ in range(max_rounds):
            changes = await self.store.changes_since(seq, limit=self.batch * 5)
            if not changes:
                break
            ids = list(dict.fromkeys(c.job_id for c in changes if c.kind not in ("claimed", "released")))
            jobs = await self.store.get_many(ids)
            rows = [mirror_row(j, self.schema) for j in jobs]
            for start in range(0, len(rows), self.batch):
                await self.crm.upsert_link_jobs(rows[start : start + self.batch])
            written += len(rows)
            seq = changes[-1].seq
            await self.store.set_cursor(MIRROR_CURSOR, str(seq))
        return written

    async def requeue_from_crm(self) -> list[int]:
        """Requeue Error jobs a CRM user set back to Queued; call right after a successful flush."""
        wanted = await self.crm.requeued_link_jobs()
        if not wanted:
            return []
        flushed = int(await self.store.get_cursor(MIRROR_CURSOR) or 0)
        moved_since = {c.job_id for c in await self.store.changes_since(flushed, limit=100_000)}
        by_actor: dict[str, list[int]] = {}
        jobs = {j.id: j for j in await self.store.get_many([n for n, _ in wanted])}
        for number, actor in wanted:
            job = jobs.get(number)
            if job is None or job.link_status is not LinkStatus.ERROR or number in moved_since:
                continue
            by_actor.setdefault(actor, []).append(number)
        requeued: list[int] = []
        for actor, ids in by_actor.items():
            result = await self.store.requeue(f"CRM: {actor}", ids=ids, now=self.clock())
            requeued.extend(result.changed)
            for job_id in result.changed:
                self.bus.publish(JobChanged(job_id=job_id, link_status=LinkStatus.QUEUED, change="requeued"))
        if requeued:
            log.info("requeued %d job(s) set back to Queued in CRM", len(requeued))
        return requeued
