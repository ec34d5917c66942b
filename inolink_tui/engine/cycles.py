"""The three InoLink services as cycles: find work, enqueue it as Link Jobs, drain the queue.

- CRM to QuickBooks (engine/crm_scan.py): records promoted ('To be Linked') and linked names changed in CRM
  since the last cycle (transactions are pushed once: a later edit is reported, not pushed);
- High Priority (engine/high_priority.py, QuickBooks -> CRM): QuickBooks CDC since the cursor for Customer
  and Item;
- Low Priority (engine/low_priority.py): open balance and overdue buckets written to linked CRM accounts.
Our own writes coming back through either change feed are recognised by the row version / SyncToken
the record link remembers, and skipped (counted as echoes). This module builds the services and their two
worker pools, and wraps every cycle the same way: events, the job mirror, the last-run cursor.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from inolink_tui.domain.enums import EntityType, Source
from inolink_tui.domain.events import CycleFinished, CycleStarted, EventBus
from inolink_tui.domain.jobs import utcnow
from inolink_tui.engine.crm_scan import CrmScan
from inolink_tui.engine.cursors import Cursors, last_run_cursor
from inolink_tui.engine.high_priority import HighPriority
from inolink_tui.engine.low_priority import LowPriority
from inolink_tui.engine.mirror import JobMirror
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY, EngineOptions
from inolink_tui.engine.ports import AccountingPort, CrmPort
from inolink_tui.engine.processor import Outcome, Processor
from inolink_tui.engine.sync_context import CycleContext, CycleTally, UsesContext
from inolink_tui.engine.workers import DrainCounts, DrainedThenFailed, WorkerPool
from inolink_tui.store.base import JobStore

log = logging.getLogger(__name__)


class Cycles(UsesContext[CycleContext]):
    """The three services and the two worker pools (CRM -> QuickBooks and QuickBooks -> CRM) they drain."""

    def __init__(
        self,
        store: JobStore,
        crm: CrmPort,
        qbo: AccountingPort,
        options: EngineOptions,
        bus: EventBus,
        processor: Processor,
        mirror: JobMirror,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(CycleContext(store, crm, qbo, options, bus, clock))
        self.processor = processor
        self.mirror = mirror
        self.crm_pool = WorkerPool(
            store,
            processor,
            name="crm-to-qbo",
            sources=(Source.CRM,),
            size=options.workers,
            lease_seconds=options.lease_seconds,
            clock=clock,
        )
        self.qbo_pool = WorkerPool(
            store,
            processor,
            name="qbo-to-crm",
            sources=(Source.ACCOUNTING,),
            size=options.workers,
            lease_seconds=options.lease_seconds,
            clock=clock,
        )
        self.cursors = Cursors(self.ctx)
        self.crm_scan = CrmScan(self.ctx, self.cursors, mirror, self.crm_pool)
        self.high = HighPriority(self.ctx, self.cursors, self.qbo_pool)
        self.low = LowPriority(self.ctx, self.qbo_pool)
        self.error_jobs: set[int] = set()

    @property
    def stopping(self) -> asyncio.Event:
        """Set on shutdown: workers finish the job in hand and claim no more."""
        return self.ctx.stopping

    async def _run(self, service: str, body: Callable[[CycleTally], Awaitable[DrainCounts]]) -> CycleFinished:
        started = time.monotonic()
        started_at = self.clock()
        self.bus.publish(CycleStarted(service=service))
        self.processor.new_cycle()
        tally = CycleTally()
        counts = DrainCounts()
        error: str | None = None
        try:
            counts = await body(tally)
        except Exception as exc:
            log.exception("%s cycle failed", service)
            error = str(exc) or type(exc).__name__
            if isinstance(exc, DrainedThenFailed):  # the jobs it had queued still ran: count them
                counts = exc.counts
        try:
            await self.mirror.flush()
        except Exception as exc:
            log.warning("could not mirror jobs to CRM: %s", exc)
        self.error_jobs |= counts.error_jobs
        if error is None:
            try:
                await self.store.set_cursor(last_run_cursor(service), started_at.isoformat())
            except Exception as exc:
                log.warning("could not record the %s run: %s", service, exc)
        finished = CycleFinished(
            service=service,
            duration_seconds=time.monotonic() - started,
            enqueued=tally.enqueued,
            succeeded=counts.outcomes[Outcome.SUCCESS],
            failed=counts.outcomes[Outcome.ERROR],
            retried=counts.outcomes[Outcome.RETRY],
            skipped_echoes=tally.echoes,
            records_updated=tally.records_updated,
            error=error,
        )
        self.bus.publish(finished)
        return finished

    async def prime_cursors(self) -> None:
        """Start the change feeds at "now" on a fresh database instead of replaying all history."""
        await self.cursors.prime()

    async def adopt_links(self, et: EntityType) -> int:
        """Take over links CRM already records into a fresh database (see Cursors.adopt_links)."""
        return await self.cursors.adopt_links(et)

    async def crm_to_quickbooks(self) -> CycleFinished:
        return await self._run(CRM_TO_QUICKBOOKS, self.crm_scan.run)

    async def high_priority(self) -> CycleFinished:
        return await self._run(HIGH_PRIORITY, self.high.run)

    async def low_priority(self) -> CycleFinished:
        return await self._run(LOW_PRIORITY, self.low.run)
