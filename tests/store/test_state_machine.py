"""Every Link Status transition the store offers, allowed and refused, from each status."""

from __future__ import annotations

import pytest

from inolink_tui.domain.enums import ErrorClass, LinkStatus
from inolink_tui.domain.jobs import JobFailure, JobSuccess
from inolink_tui.store.base import LeaseLostError
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import at, new_job

TRANSIENT = JobFailure(ErrorClass.TRANSIENT, "503", retry_at=at(50))
FATAL = JobFailure(ErrorClass.VALIDATION, "bad")


async def _job_in(store: SqliteJobStore, status: LinkStatus) -> int:
    (job_id,) = (await store.enqueue([new_job(f"{status.value}-{id(store)}")])).created
    if status is LinkStatus.QUEUED:
        return job_id
    await store.claim("w", now=at(1))
    if status is LinkStatus.SUCCESS:
        await store.complete(job_id, "w", JobSuccess(), now=at(2))
    else:
        await store.fail(job_id, "w", FATAL, max_attempts=1, now=at(2))
    return job_id


@pytest.mark.parametrize(
    ("start", "action", "outcome"),
    [
        (LinkStatus.QUEUED, "complete", LinkStatus.SUCCESS),
        (LinkStatus.QUEUED, "fail-fatal", LinkStatus.ERROR),
        (LinkStatus.QUEUED, "fail-retry", LinkStatus.QUEUED),
        (LinkStatus.QUEUED, "defer", LinkStatus.QUEUED),
        (LinkStatus.QUEUED, "mark-error", LinkStatus.ERROR),
        (LinkStatus.QUEUED, "requeue", "refused"),
        (LinkStatus.ERROR, "requeue", LinkStatus.QUEUED),
        (LinkStatus.ERROR, "mark-error", "refused"),
        (LinkStatus.ERROR, "complete", "refused"),
        (LinkStatus.ERROR, "fail-fatal", "refused"),
        (LinkStatus.SUCCESS, "requeue", "refused"),
        (LinkStatus.SUCCESS, "mark-error", "refused"),
        (LinkStatus.SUCCESS, "complete", "refused"),
        (LinkStatus.SUCCESS, "fail-retry", "refused"),
        (LinkStatus.SUCCESS, "defer", "refused"),
    ],
)
async def test_transition(store: SqliteJobStore, start: LinkStatus, action: str, outcome: object) -> None:
    job_id = await _job_in(store, start)
    worker = "w"
    if start is LinkStatus.QUEUED and action in ("complete", "fail-fatal", "fail-retry", "defer"):
        await store.claim(worker, now=at(3))
    refused = False
    try:
        if action == "complete":
            await store.complete(job_id, worker, JobSuccess(), now=at(4))
        elif action == "fail-fatal":
            await store.fail(job_id, worker, FATAL, max_attempts=3, now=at(4))
        elif action == "fail-retry":
            await store.fail(job_id, worker, TRANSIENT, max_attempts=3, now=at(4))
        elif action == "defer":
            await store.defer(job_id, worker, until=at(60), reason="wait", now=at(4))
        elif action == "mark-error":
            refused = not (await store.mark_error("ops", [job_id], now=at(4))).changed
        elif action == "requeue":
            refused = not (await store.requeue("ops", ids=[job_id], now=at(4))).changed
    except LeaseLostError:
        refused = True  # a finished job has no lease: worker-side transitions cannot reach it
    after = (await store.get(job_id)).link_status
    if outcome == "refused":
        assert refused and after is start
    else:
        assert not refused and after is outcome
