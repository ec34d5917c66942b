"""Why a job waits instead of running now (kept apart so the guard and the processor share it)."""

from __future__ import annotations

from datetime import datetime

from inolink_tui.domain.enums import AttemptOutcome, ErrorClass
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.engine.ports import PortError
from inolink_tui.store.base import JobStore


class Deferred(Exception):
    """The job must wait (for another record's job, a claim, or credentials); it stays Queued, uncounted."""

    def __init__(self, reason: str, seconds: float, *, dependency: bool = False, other_service: bool = False) -> None:
        super().__init__(reason)
        self.seconds = seconds
        self.dependency = dependency
        """Waiting for another job: bounded by `dependency_max_wait_seconds`, then the job ends in Error."""
        self.other_service = other_service
        """The job waited for belongs to the other direction's service, which this drain does not run: the drain
        must not wait for it (it would otherwise spin until that service ran, which may be never)."""


async def overdue_wait(
    store: JobStore, job: LinkJob, wait: Deferred, *, now: datetime, limit: float
) -> PortError | None:
    """The failure that ends a dependency wait that has lasted longer than `limit` seconds, else None.

    The store keeps one attempt row per unchanged wait, dated from its start, so how long the job has waited
    for the same job is that row's age. A job waited for that does not run within the limit is not going to
    run by itself (its service paused, outside its window, or itself waiting): waiting on would hold this job
    Queued forever, so it ends in Error, classified as a reference problem, with what to do.
    """
    if not wait.dependency:
        return None
    attempts = await store.attempts(job.id)
    last = attempts[-1] if attempts else None
    if last is None or last.outcome is not AttemptOutcome.WAITING or last.message != str(wait):
        return None
    waited = (now - last.started_at).total_seconds()
    if waited < limit:
        return None
    minutes = max(1, round(waited / 60))
    return PortError(
        ErrorClass.REFERENCE,
        f"{wait} for {minutes} min, and that job has not run (its service is paused, outside its window, or it is "
        "waiting itself); run that job (sync its service now, or requeue it), then requeue this one",
    )
