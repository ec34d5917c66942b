"""Bounded worker pools that drain the queue of one direction.

Concurrency is bounded per API: CRM-sourced jobs mostly call QuickBooks, Accounting-sourced jobs
mostly call Dynamics 365, so each direction has its own pool of `size` workers. Per-record order
comes from the store's claim, which never leases two jobs of the same record at once and hands out
the oldest due job first.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from inolink_tui.domain.enums import LinkStatus, Source
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import utcnow
from inolink_tui.engine.processor import Outcome, Processor
from inolink_tui.store.base import JobStore, LeaseLostError

log = logging.getLogger(__name__)


def worker_prefix() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class DrainCounts:
    """What one drain did, for the cycle's summary and for `--once`'s exit status."""

    outcomes: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    error_jobs: set[int] = field(default_factory=set)
    blocked_jobs: set[int] = field(default_factory=set)
    """Jobs last seen waiting for a job of the other direction (which this drain does not run)."""

    def add(self, job_id: int, outcome: Outcome) -> None:
        self.outcomes[outcome] += 1
        if outcome is Outcome.ERROR:
            self.error_jobs.add(job_id)
        if outcome is Outcome.BLOCKED:
            self.blocked_jobs.add(job_id)
        else:
            self.blocked_jobs.discard(job_id)

    @property
    def progress(self) -> int:
        """Jobs that ended or used an attempt: a wait is not progress, so waits alone cannot keep a drain alive."""
        return sum(n for o, n in self.outcomes.items() if o not in (Outcome.DEFERRED, Outcome.BLOCKED))

    @property
    def processed(self) -> int:
        return sum(self.outcomes.values())

    def merged(self, other: DrainCounts) -> DrainCounts:
        outcomes = {o: n + other.outcomes[o] for o, n in self.outcomes.items()}
        return DrainCounts(
            outcomes=outcomes,
            error_jobs=self.error_jobs | other.error_jobs,
            blocked_jobs=self.blocked_jobs | other.blocked_jobs,
        )


class DrainedThenFailed(Exception):
    """A cycle's scan broke after it had queued jobs; those jobs were still drained (`counts`), then the scan's
    error is the cycle's error. Without the drain, jobs queued after the early drain ran dry would wait,
    runnable and never attempted, for the next cycle (for `--once`, for the next run)."""

    def __init__(self, cause: Exception, counts: DrainCounts) -> None:
        super().__init__(str(cause) or type(cause).__name__)
        self.counts = counts


class WorkerPool:
    def __init__(
        self,
        store: JobStore,
        processor: Processor,
        *,
        name: str,
        sources: Sequence[Source],
        size: int,
        lease_seconds: float,
        clock: Callable[[], datetime] = utcnow,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.store = store
        self.processor = processor
        self.name = name
        self.sources = tuple(sources)
        self.size = size
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.active = 0
        self.blocked: set[int] = set()
        self.draining = False
        self.peer: WorkerPool | None = None
        """The other direction's pool: while it drains, a job waiting for one of its jobs will become due here."""
        """After a drain: its jobs still waiting for a job of the other direction (`--once` runs them again)."""

    async def _worker(self, index: int, counts: DrainCounts, stop: asyncio.Event) -> None:
        wname = f"{worker_prefix()}:{self.name}-{index}"
        while not stop.is_set() and self.processor.auth_failed is None:
            jobs = await self.store.claim(
                wname, limit=1, lease_seconds=self.lease_seconds, sources=self.sources, now=self.clock()
            )
            if not jobs:
                return
            for job in jobs:
                self.active += 1
                beat = asyncio.create_task(self._heartbeat(job.id, wname), name=f"heartbeat:{job.id}")
                try:
                    counts.add(job.id, await self.processor.process(job, wname))
                finally:
                    beat.cancel()
                    self.active -= 1

    async def _heartbeat(self, job_id: int, worker: str) -> None:
        """Keep the lease alive while a slow job (throttled, retrying) is still being worked on.

        Without it a job that outlives its lease would be claimed by a second worker.
        """
        interval = max(self.lease_seconds / 3, 0.05)
        while True:
            await asyncio.sleep(interval)
            try:
                await self.store.heartbeat(job_id, worker, lease_seconds=self.lease_seconds, now=self.clock())
            except LeaseLostError:
                log.warning("job %s: lease lost while working on it", job_id)
                return
            except Exception as exc:  # a store hiccup must not kill the job in hand
                log.warning("job %s: heartbeat failed: %s", job_id, exc)

    async def next_due(self, ignore: set[int] | None = None) -> datetime | None:
        """The earliest next-attempt time among this pool's Queued jobs (None: nothing queued).

        `ignore`: jobs waiting for the other direction's service; this drain cannot make them due.
        """
        page = await self.store.page(JobFilter(statuses=(LinkStatus.QUEUED,), sources=self.sources), limit=1000)
        skip = ignore or set()
        times = [j.next_attempt_at or self.clock() for j in page.jobs if not j.inactive and j.id not in skip]
        return min(times) if times else None

    async def drain(self, *, wait_seconds: float, stop: asyncio.Event | None = None) -> DrainCounts:
        """Process until nothing is due and nothing becomes due within `wait_seconds`.

        A job deferred behind another record's job comes back due within a second or so; a job
        waiting out a long retry backoff is left for a later cycle. Waits are not progress: a drain whose jobs
        only wait ends `wait_seconds` after its last real outcome, and jobs waiting for a job of the other
        direction do not hold it at all (that job's service may be paused or outside its window).
        """
        self.draining = True
        try:
            return await self._drain(wait_seconds, stop or asyncio.Event())
        finally:
            self.draining = False

    async def _drain(self, wait_seconds: float, stop: asyncio.Event) -> DrainCounts:
        counts = DrainCounts()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while not stop.is_set() and self.processor.auth_failed is None:
            before = counts.progress
            await asyncio.gather(*(self._worker(i, counts, stop) for i in range(self.size)))
            if counts.progress > before:
                deadline = loop.time() + wait_seconds
            peer_busy = self.peer is not None and self.peer.draining
            due = await self.next_due(None if peer_busy else counts.blocked_jobs)
            if due is None:
                break
            delay = (due - self.clock()).total_seconds()
            remaining = deadline - loop.time()
            if delay > remaining or remaining <= 0:
                break
            await asyncio.sleep(min(max(delay, 0.05), 1.0))
        self.blocked = set(counts.blocked_jobs)
        return counts


async def drain_after_failure(
    pool: WorkerPool, exc: Exception, *, wait_seconds: float, stop: asyncio.Event, counts: DrainCounts | None = None
) -> DrainedThenFailed:
    """A cycle's scan failed after it queued jobs: drain them now, and return the error the cycle then raises.

    `counts`: what the cycle had already drained (the CRM scan's early drain).
    """
    try:
        drained = await pool.drain(wait_seconds=wait_seconds, stop=stop)
    except Exception as drain_exc:
        log.warning("%s: draining the jobs queued before the scan failed failed too: %s", pool.name, drain_exc)
        drained = DrainCounts()
    return DrainedThenFailed(exc, (counts or DrainCounts()).merged(drained))
