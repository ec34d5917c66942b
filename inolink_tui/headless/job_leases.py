"""Giving back the job leases this process still holds when it stops before its jobs finished.

`--once` cut short by a signal cancels the engine mid-cycle: the jobs its workers held keep their
leases, so they would look "processing" (and stay unclaimable) until each lease lapsed. Once the run
is cancelled and awaited nothing of ours works on them any more, so releasing them is safe; the
idempotent `requestid` makes the next run's retry of a job cut off mid-request safe too.

Workers are named after the process (`<host>:<pid>:<pool>-<n>`, `engine/workers.py`), the same
`<host>:<pid>` the scheduler lease uses, which is how a job leased by this process is recognised.
"""

from __future__ import annotations

import logging
from typing import Protocol

from inolink_tui.domain.filters import JobFilter
from inolink_tui.store.base import JobPage, StoreError

log = logging.getLogger("inolink_tui.headless")

SHUTDOWN_REASON = "released at shutdown (interrupted)"


class _LeaseStore(Protocol):
    async def page(self, filter: JobFilter | None = None, *, limit: int = 100) -> JobPage: ...

    async def release(self, job_id: int, worker: str, *, reason: str = "") -> None: ...


def held_by(worker: str, holder: str) -> bool:
    """A worker of the process `holder` ("<host>:<pid>"), or the holder itself."""
    return worker == holder or worker.startswith(holder + ":")


async def release_job_leases(store: _LeaseStore, holder: str, *, limit: int = 1000) -> int:
    """Release every live job lease held by `holder`'s workers; returns how many were released."""
    page = await store.page(JobFilter(processing=True), limit=limit)
    released = 0
    for job in page.jobs:
        if job.lease is None or not held_by(job.lease.worker, holder):
            continue
        try:
            await store.release(job.id, job.lease.worker, reason=SHUTDOWN_REASON)
        except StoreError as exc:  # finished or lapsed meanwhile: nothing left to give back
            log.debug("job %s not released: %s", job.id, exc)
            continue
        released += 1
    return released
