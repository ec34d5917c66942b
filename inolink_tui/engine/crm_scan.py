"""The CRM -> QuickBooks service: find work in CRM, enqueue it as Link Jobs of Source CRM, drain them.

Work is records promoted ('To be Linked') and linked names changed in CRM since the last cycle; transactions
are pushed once, so a later edit is reported (RecordNotice), not pushed. Our own writes coming back are
recognised by the row version the record link remembers, and skipped (counted as echoes). The drain starts
as soon as the first records are queued, while the rest of CRM is still read.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from inolink_tui.domain.enums import QBO_ENTITY_FOR, EntityType, Operation, RecordLinkStatus, Source
from inolink_tui.domain.events import RecordNotice
from inolink_tui.domain.jobs import NewJob
from inolink_tui.domain.mapping import record_name
from inolink_tui.domain.mapping.records import PRIMARY_KEY, customer_of
from inolink_tui.engine.cursors import NAMES_FIRST, Cursors, crm_cursor_name, parse_time
from inolink_tui.engine.lifecycle import CrmDeleted, links_of, removed_jobs
from inolink_tui.engine.mirror import JobMirror
from inolink_tui.engine.sync_context import CycleContext, CycleTally, UsesContext
from inolink_tui.engine.workers import DrainCounts, WorkerPool, drain_after_failure

log = logging.getLogger(__name__)


def _cancelling() -> bool:
    current = asyncio.current_task()
    return current is not None and current.cancelling() > 0


async def _finish_or_cancel(task: asyncio.Task[DrainCounts]) -> None:
    """After the scan failed: let the drain finish the jobs already queued (it is not the drain's fault); when
    the cycle itself is being cancelled, cancel the drain too (its jobs keep their leases and run again)."""
    if _cancelling():
        task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if _cancelling():
            raise
    except Exception as exc:
        log.warning("the early drain failed too: %s", exc)


async def _finish(task: asyncio.Task[DrainCounts]) -> DrainCounts:
    """The early drain's counts after the scan failed (not the drain's fault: the jobs it holds still run)."""
    try:
        return await task
    except Exception as exc:
        log.warning("the early drain failed too: %s", exc)
        return DrainCounts()


class CrmScan(UsesContext[CycleContext]):
    """One CRM -> QuickBooks cycle: requeues and promotions read from CRM, then CRM changes, drained as they come."""

    def __init__(self, ctx: CycleContext, cursors: Cursors, mirror: JobMirror, pool: WorkerPool) -> None:
        super().__init__(ctx)
        self.cursors = cursors
        self.mirror = mirror
        self.pool = pool
        self._promoted_seen: set[str] = set()
        """Ids this cycle's promoted queries returned: a To be Linked row among the changes that is not one of them
        was promoted after its table's query ran (see `_enqueue_crm_changes`)."""

    async def run(self, tally: CycleTally) -> DrainCounts:
        self._promoted_seen = set()
        try:
            await self.mirror.flush()
            await self.mirror.requeue_from_crm()
        except Exception as exc:
            log.warning("could not read requeues from CRM: %s", exc)
        await self.cursors.prime()
        # Work starts as soon as the first records are queued, while the rest of CRM is still read: a bulk load
        # otherwise leaves QuickBooks' request budget idle for the whole scan. Names are read before transactions,
        # so a transaction's customer job is always queued before the transaction itself can run.
        early: asyncio.Task[DrainCounts] | None = None
        try:
            for et in NAMES_FIRST:
                tally.enqueued += await self._enqueue_promoted(et)
                if early is None and tally.enqueued:
                    early = asyncio.create_task(self._drain(), name="crm-to-quickbooks-early-drain")
            for et in NAMES_FIRST:
                enqueued, echoes = await self._enqueue_crm_changes(et)
                tally.enqueued += enqueued
                tally.echoes += echoes
        except Exception as exc:
            if early is None:
                raise
            if _cancelling():
                await _finish_or_cancel(early)
                raise
            # The scan broke (e.g. CRM answered garbage five times running) after it had queued jobs. The early
            # drain may have run dry before the last of them were queued: drain again so that none is left Queued,
            # never attempted, until the next cycle. Then the cycle reports the scan's error.
            early_counts = await _finish(early)
            wait = self.options.once_wait_seconds
            raise await drain_after_failure(
                self.pool, exc, wait_seconds=wait, stop=self.ctx.stopping, counts=early_counts
            ) from exc
        except BaseException:
            if early is not None:
                await _finish_or_cancel(early)
            raise
        counts = await early if early is not None else DrainCounts()
        # What was queued after the early drain ran dry.
        return counts.merged(await self._drain())

    async def _drain(self) -> DrainCounts:
        return await self.pool.drain(wait_seconds=self.options.once_wait_seconds, stop=self.ctx.stopping)

    async def _submitters(self, rows: list[dict[str, Any]], column: str) -> dict[str, str]:
        ids = sorted({str(r[column]) for r in rows if r.get(column)})
        return await self.crm.user_names(ids) if ids else {}

    async def _enqueue_promoted(self, et: EntityType) -> int:
        rows = await self.crm.promoted(et)
        self._promoted_seen.update(str(r[PRIMARY_KEY[et]]).lower() for r in rows)
        if not rows:
            return 0
        schema = self.options.schema
        users = await self._submitters(rows, schema.promoted_by_value)
        jobs: list[NewJob] = []
        for row in rows:
            rid = str(row[PRIMARY_KEY[et]])
            depends: int | None = None
            if et.is_transaction and (customer := customer_of(row)) is not None:
                open_job = await self.store.open_job_for(customer[0], customer[1], Source.CRM)
                depends = open_job.id if open_job else None
            link = await self.store.get_link(et, rid)
            jobs.append(
                NewJob(
                    entity_type=et,
                    source=Source.CRM,
                    crm_record_id=rid,
                    record_name=record_name(et, row),
                    company=self.options.company,
                    operation=Operation.UPDATE if link and link.qbo_id else Operation.CREATE,
                    submitted_by=users.get(str(row.get(schema.promoted_by_value) or ""), "CRM"),
                    submitted_at=parse_time(row.get(schema.promoted_on)) or self.clock(),
                    qbo_entity=QBO_ENTITY_FOR[et],
                    depends_on=depends,
                )
            )
        return await self.ctx.enqueue(jobs)

    async def _enqueue_crm_changes(self, et: EntityType) -> tuple[int, int]:
        name = crm_cursor_name(et)
        changes = await self.crm.changes(et, await self.store.get_cursor(name))
        users = await self._submitters(changes.rows, "_modifiedby_value")
        jobs: list[NewJob] = []
        echoes = 0
        late = False
        for row in changes.rows:
            rid = str(row[PRIMARY_KEY[et]])
            status = self.options.schema.status_of(row.get(self.options.schema.link_status))
            if status is RecordLinkStatus.TO_BE_LINKED and rid.lower() not in self._promoted_seen:
                # Promoted between this table's promoted query and this read: the cursor moves past the promotion
                # now, so live mode's probe would never see it and it would wait for the next whole cycle.
                late = True
                continue
            link = await self.store.get_link(et, rid)
            if link is None:
                continue
            version = str(row["versionnumber"]) if row.get("versionnumber") is not None else None
            if status is RecordLinkStatus.UNLINKED:
                if link.link_status is not RecordLinkStatus.UNLINKED:
                    await self.store.upsert_link(
                        replace(link, link_status=RecordLinkStatus.UNLINKED, crm_version=version)
                    )
                continue
            if status is not RecordLinkStatus.LINKED or link.link_status is not RecordLinkStatus.LINKED:
                continue
            if link.is_echo_from_crm(version):
                echoes += 1
                continue
            if et.is_transaction:
                message = (
                    f"{et.value} {record_name(et, row)!r} was edited in CRM after it was promoted; "
                    "QuickBooks transactions are pushed once, so the edit was not sent"
                )
                log.warning(message)
                self.bus.publish(
                    RecordNotice(entity_type=et, crm_record_id=rid, record_name=record_name(et, row), message=message)
                )
                await self.store.upsert_link(replace(link, crm_version=version))
                continue
            jobs.append(
                NewJob(
                    entity_type=et,
                    source=Source.CRM,
                    crm_record_id=rid,
                    record_name=record_name(et, row),
                    company=self.options.company,
                    operation=Operation.UPDATE,
                    submitted_by=users.get(str(row.get("_modifiedby_value") or ""), "CRM"),
                    submitted_at=parse_time(row.get("modifiedon")) or self.clock(),
                    qbo_entity=QBO_ENTITY_FOR[et],
                    qbo_id=link.qbo_id,
                )
            )
        if changes.removed and self.options.lifecycle.crm_deleted is CrmDeleted.UNLINK:
            # Deleted in CRM: a job unlinks and reports each linked one; QuickBooks keeps its record.
            links = await links_of(self.store, et, changes.removed)
            jobs += removed_jobs(et, changes.removed, links, company=self.options.company, now=self.clock())
        enqueued = await self.ctx.enqueue(jobs)
        if late:
            enqueued += await self._enqueue_promoted(et)
        await self.store.set_cursor(name, changes.cursor)
        return enqueued, echoes
