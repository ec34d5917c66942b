"""Processing one Link Job: dispatch to its direction and the failure policy around it.

The work itself lives by direction: engine/push.py (CRM -> QuickBooks) and engine/pull.py (QuickBooks -> CRM),
with the cycle's QuickBooks lookups in engine/lookups.py. This module decides only what becomes of the job:
Success; Deferred (a bounded wait, engine/deferral.py), reported as BLOCKED when it waits on the other
direction; Error or a retry (engine/failures.py); a pause of the whole cycle when a system refuses our
credentials; or nothing when the lease was lost to another worker.

Echo suppression: after each write the link keeps the CRM row version and QuickBooks SyncToken we
produced; a change carrying exactly that version is our own write coming back, not a user's edit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from enum import Enum

from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.domain.conflicts import reapply_of
from inolink_tui.domain.enums import ErrorClass, LinkStatus, RecordLinkStatus, Source
from inolink_tui.domain.errors import ClassifiedError
from inolink_tui.domain.events import AuthProblem, EventBus, JobChanged
from inolink_tui.domain.jobs import LinkJob, utcnow
from inolink_tui.domain.vocabulary import System
from inolink_tui.engine import fit
from inolink_tui.engine.claims import RecordClaims
from inolink_tui.engine.deferral import Deferred, overdue_wait
from inolink_tui.engine.failures import failure_from
from inolink_tui.engine.lookups import Lookups
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.ports import AccountingPort, CrmPort, MappingMetadata
from inolink_tui.engine.pull import Pull
from inolink_tui.engine.push import Push
from inolink_tui.engine.reapply import run_reapply
from inolink_tui.engine.sync_context import SyncContext, UsesContext
from inolink_tui.store.base import JobStore, LeaseLostError

log = logging.getLogger(__name__)


class Outcome(Enum):
    """How one processing ended, as the worker pools count it."""

    SUCCESS = "success"
    ERROR = "error"
    RETRY = "retry"
    DEFERRED = "deferred"
    BLOCKED = "blocked"
    """Deferred behind a job of the other direction, which this drain cannot run."""
    LOST = "lost"


class Processor(UsesContext[SyncContext]):
    """Runs one claimed job to Success, Error, a retry, or a deferral, and reports it on the bus."""

    def __init__(
        self,
        store: JobStore,
        crm: CrmPort,
        qbo: AccountingPort,
        options: EngineOptions,
        bus: EventBus,
        *,
        clock: Callable[[], datetime] = utcnow,
        claims: RecordClaims | None = None,
        metadata: MappingMetadata | None = None,
    ) -> None:
        super().__init__(
            SyncContext(
                store, fit.FittingCrm(crm), fit.FittingQbo(qbo), options, bus, clock, claims=claims, metadata=metadata
            )
        )
        self.lookups = Lookups(self.ctx)
        self.push = Push(self.ctx, self.lookups)
        self.pull = Pull(self.ctx, self.lookups)

    @property
    def auth_failed(self) -> str | None:
        """Why a system refused our credentials this cycle, if it did: the workers stop claiming jobs."""
        return self.ctx.auth_failed

    def new_cycle(self) -> None:
        """A cycle starts afresh: QuickBooks lookups reloaded, credentials tried again."""
        self.lookups.new_cycle()
        self.ctx.auth_failed = None

    async def _wait_for_older_job(self, job: LinkJob) -> None:
        """Keep a record's jobs in order across directions: an older open job of the other side goes first.

        The store never leases two jobs of one record at once and keeps one open job per direction;
        this closes the remaining gap, a newer job of one direction overtaking an older one of the other.
        """
        if not job.crm_record_id:
            return
        other = Source.ACCOUNTING if job.source is Source.CRM else Source.CRM
        older = await self.store.open_job_for(job.entity_type, job.crm_record_id, other)
        if older is not None and older.id < job.id:
            raise Deferred(
                f"waiting for the older job {older.id} of the same record ({older.source.value} source)",
                self.options.dependency_poll_seconds,
                dependency=True,
                other_service=True,
            )

    # --- entry point -----------------------------------------------------------------------
    async def process(self, job: LinkJob, worker: str) -> Outcome:
        """Run the job in its direction, then record what became of it in the store and on the bus."""
        started = time.monotonic()
        fit.start_collecting()
        if self.auth_failed is not None:
            return await self._defer(job, worker, Deferred(f"waiting for credentials: {self.auth_failed}", 60.0))
        try:
            await self._wait_for_older_job(job)
            reapply = reapply_of(job)
            if reapply is not None:  # a Deadlock Win loser's values, re-applied from the console
                success = await run_reapply(
                    reapply, job, crm=self.crm, qbo=self.qbo, store=self.store, company=self.options.company
                )
            elif job.source is Source.CRM:
                success = await self.push.crm_to_qbo(job)
            else:
                success = await self.pull.qbo_to_crm(job)
        except Deferred as wait:
            return await self._defer(job, worker, wait)
        except LeaseLostError:
            log.warning("job %s: lease lost while processing; another worker owns it now", job.id)
            return Outcome.LOST
        except Exception as exc:
            if isinstance(exc, ClassifiedError) and exc.error_class is ErrorClass.AUTH:
                if self.auth_failed is None:
                    self.bus.publish(AuthProblem(system=_system_of(exc), message=str(exc)))
                self.ctx.auth_failed = str(exc)
                return await self._defer(job, worker, Deferred(f"waiting for credentials: {exc}", 60.0))
            if not isinstance(exc, ClassifiedError):
                log.exception("job %s: unexpected failure", job.id)
            return await self._fail(job, worker, exc, started)
        ms = int((time.monotonic() - started) * 1000)
        success = fit.with_truncations(success)  # what was cut to fit goes into the job's history
        try:
            done = await self.store.complete(job.id, worker, success, duration_ms=ms, now=self.clock())
        except LeaseLostError:
            log.warning("job %s: finished but the lease was lost; the next owner will find it linked", job.id)
            return Outcome.LOST
        self.bus.publish(JobChanged(job_id=job.id, link_status=done.link_status, change="completed"))
        return Outcome.SUCCESS

    async def _defer(self, job: LinkJob, worker: str, wait: Deferred) -> Outcome:
        overdue = await overdue_wait(self.store, job, wait, now=self.clock(), limit=self.options.dependency_max_wait)
        if overdue is not None:
            return await self._fail(job, worker, overdue, time.monotonic())
        until = self.clock() + timedelta(seconds=wait.seconds)
        try:
            await self.store.defer(job.id, worker, until=until, reason=str(wait), now=self.clock())
        except LeaseLostError:
            return Outcome.LOST
        self.bus.publish(JobChanged(job_id=job.id, link_status=LinkStatus.QUEUED, change="deferred"))
        return Outcome.BLOCKED if wait.other_service else Outcome.DEFERRED

    async def _fail(self, job: LinkJob, worker: str, exc: BaseException, started: float) -> Outcome:
        failure = failure_from(
            exc, now=self.clock(), attempt=job.processed_count + 1, backoff_base=self.options.backoff_base_seconds
        )
        ms = int((time.monotonic() - started) * 1000)
        try:
            after = await self.store.fail(
                job.id, worker, failure, max_attempts=self.options.max_attempts, duration_ms=ms, now=self.clock()
            )
        except LeaseLostError:
            return Outcome.LOST
        if after.link_status is LinkStatus.ERROR:
            if job.source is Source.CRM and job.crm_record_id:
                await self._mark_record_error(job)
            self.bus.publish(
                JobChanged(
                    job_id=job.id,
                    link_status=LinkStatus.ERROR,
                    change="failed",
                    error_description=failure.description,
                )
            )
            return Outcome.ERROR
        self.bus.publish(JobChanged(job_id=job.id, link_status=after.link_status, change="retry"))
        return Outcome.RETRY

    async def _mark_record_error(self, job: LinkJob) -> None:
        """Record Link Status -> Error, best effort: the job already carries the explanation."""
        try:
            columns = {**self.options.schema.status_columns(RecordLinkStatus.ERROR), **self.ctx.unclaim(job)}
            written = await self.crm.update(job.entity_type, job.crm_record_id, columns)
        except Exception as exc:
            log.warning("job %s: could not set the CRM record's Link Status to Error: %s", job.id, exc)
            return
        link = await self.store.get_link(job.entity_type, job.crm_record_id)
        if link is not None:
            await self.store.upsert_link(
                replace(link, link_status=RecordLinkStatus.ERROR, crm_version=written.version, updated_at=self.clock())
            )


def _system_of(exc: ClassifiedError) -> str:
    """Which system refused our credentials, by its display name: a connector's error names its service, an
    engine PortError does not."""
    return System.of(exc.service).value if isinstance(exc, ConnectorError) else "unknown"
