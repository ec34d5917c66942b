"""A job's wait is recorded once, not once per look (issue 12: the attempts table grew by a row per second)."""

from __future__ import annotations

from inolink_tui.domain.enums import AttemptOutcome
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import at, new_job


async def _look(store: SqliteJobStore, job_id: int, second: float, reason: str) -> None:
    await store.claim("w", now=at(second))
    await store.defer(job_id, "w", until=at(second + 1), reason=reason, now=at(second))


async def test_an_unchanged_wait_updates_its_row_and_a_new_reason_adds_one(store: SqliteJobStore) -> None:
    (job_id,) = (await store.enqueue([new_job("a")])).created
    for second in range(1, 61, 2):  # a minute of looks, every other second
        await _look(store, job_id, second, "waiting for the older job 7 of the same record")
    attempts = (await store.get(job_id)).attempts
    assert [(a.outcome, a.message) for a in attempts] == [
        (AttemptOutcome.WAITING, "waiting for the older job 7 of the same record")
    ]
    assert attempts[0].started_at == at(1), "the row is dated from when the wait began"
    assert attempts[0].duration_ms == 58_000, "and says how long it has lasted"
    await _look(store, job_id, 70, "waiting for Account job 9")
    await _look(store, job_id, 72, "waiting for the older job 7 of the same record")
    messages = [a.message for a in (await store.get(job_id)).attempts]
    assert messages == [
        "waiting for the older job 7 of the same record",
        "waiting for Account job 9",
        "waiting for the older job 7 of the same record",
    ]
    kinds = [c.kind for c in await store.changes_since(0)]
    assert kinds.count("deferred") == 3, "an unchanged wait adds no change-feed row either"
