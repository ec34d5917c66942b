"""The status tally behind counts(): deltas appended per status change, folded in by writers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus
from inolink_tui.domain.jobs import JobFailure, JobSuccess
from inolink_tui.store.ops_jobs import TALLY_FOLD_MIN
from inolink_tui.store.schema import MIGRATIONS, migrate
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import T0, at, new_job


def _deltas(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute("SELECT count(*) FROM job_tally_delta").fetchone()[0])
    finally:
        conn.close()


async def _settle(store: SqliteJobStore, claimed_ids: list[int]) -> None:
    for k, job_id in enumerate(claimed_ids):
        if k % 3 == 0:
            failure = JobFailure(ErrorClass.VALIDATION, "Duplicate Name Exists Error", "6240", 400)
            await store.fail(job_id, "w", failure, max_attempts=1, now=at(10))
        else:
            await store.complete(job_id, "w", JobSuccess(accounting_id=str(job_id)), now=at(10))


async def test_counts_are_exact_before_and_after_the_deltas_are_folded(db_path: Path) -> None:
    jobs = [new_job(f"r{i}", entity=EntityType.ACCOUNT if i % 2 else EntityType.INVOICE) for i in range(700)]
    async with await SqliteJobStore.open(db_path) as store:
        await store.enqueue(jobs, now=T0)
        claimed = [j.id for j in await store.claim("w", limit=300, lease_seconds=60, now=at(5))]
        await _settle(store, claimed)
        assert 0 < _deltas(db_path) < TALLY_FOLD_MIN * 2, "300 status changes are left as deltas"
        counts = await store.counts()
        assert counts.by_status == {LinkStatus.QUEUED: 400, LinkStatus.SUCCESS: 200, LinkStatus.ERROR: 100}
        assert await store.count() == 700

        # The next claim finds 600 delta rows (>= TALLY_FOLD_MIN) and folds them into job_tally.
        more = [j.id for j in await store.claim("w", limit=3, lease_seconds=60, now=at(20))]
        assert _deltas(db_path) == 0
        counts = await store.counts()
        assert counts.by_status == {LinkStatus.QUEUED: 400, LinkStatus.SUCCESS: 200, LinkStatus.ERROR: 100}
        await _settle(store, more)
        counts = await store.counts()
        assert counts.by_status == {LinkStatus.QUEUED: 397, LinkStatus.SUCCESS: 202, LinkStatus.ERROR: 101}
        assert counts.by_entity[EntityType.ACCOUNT] + counts.by_entity[EntityType.INVOICE] == 700


async def test_upgrade_from_v4_keeps_the_counts(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:4]) == 4
    conn.executemany(
        "INSERT INTO jobs(entity_type, link_status, source, submitted_at, next_attempt_at, company, crm_record_id,"
        " record_name, operation, request_id, record_key, updated_at) VALUES ('Account', 'Queued', 'CRM', 0, 0, 'c',"
        " ?, 'n', 'create', ?, ?, 0)",
        [(f"r{i}", f"x-{i}", f"Account:crm:r{i}") for i in range(4)],
    )
    conn.execute("INSERT INTO job_tally VALUES ('Queued', 'Account', 'CRM', 0, 4)")
    conn.execute("UPDATE jobs SET link_status = 'Error' WHERE id = 1")  # the v4 trigger tallies this in place
    conn.close()
    async with await SqliteJobStore.open(db_path) as store:
        counts = await store.counts()
        assert counts.by_status == {LinkStatus.QUEUED: 3, LinkStatus.SUCCESS: 0, LinkStatus.ERROR: 1}
        claimed = [j.id for j in await store.claim("w", limit=5, lease_seconds=60, now=at(5))]
        assert len(claimed) == 3
        await _settle(store, claimed)
        counts = await store.counts()
        assert counts.by_status == {LinkStatus.QUEUED: 0, LinkStatus.SUCCESS: 2, LinkStatus.ERROR: 2}
        assert _deltas(db_path) == 6, "the upgraded trigger appends deltas"


async def test_deleting_a_job_whose_status_is_only_in_a_delta_uncounts_it(db_path: Path) -> None:
    async with await SqliteJobStore.open(db_path) as store:
        await store.enqueue([new_job(f"r{i}") for i in range(3)], now=T0)
        claimed = [j.id for j in await store.claim("w", limit=3, lease_seconds=60, now=at(5))]
        await store.complete(claimed[1], "w", JobSuccess(accounting_id="9"), now=at(10))
        assert _deltas(db_path) == 2, "the Success is counted only by a delta so far"
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("DELETE FROM jobs WHERE id = ?", (claimed[1],))  # as `db purge` does
        conn.close()
        counts = await store.counts()
        assert counts.total == 2
        assert counts.by_status == {LinkStatus.QUEUED: 2, LinkStatus.SUCCESS: 0, LinkStatus.ERROR: 0}


async def test_operator_actions_and_reopening_fold_the_deltas_they_leave(db_path: Path) -> None:
    """A bulk requeue appends two deltas per job; it folds them in its own transaction. A backlog written by other
    means (bulk SQL, an older version) is folded the next time a writer opens the store: counts stay exact and
    every reader sums a short table again."""
    async with await SqliteJobStore.open(db_path) as store:
        ids = list((await store.enqueue([new_job(f"r{i}") for i in range(1200)], now=T0)).created)
        claimed = [j.id for j in await store.claim("w", limit=1200, lease_seconds=60, now=at(5))]
        for job_id in claimed:
            failure = JobFailure(ErrorClass.VALIDATION, "Duplicate Name Exists Error", "6240", 400)
            await store.fail(job_id, "w", failure, max_attempts=1, now=at(10))
        before = _deltas(db_path)
        result = await store.requeue("console:ops", ids=ids, now=at(20))
        assert len(result.changed) == 1200
        assert _deltas(db_path) < before, "the requeue folded the deltas it appended"
        assert _deltas(db_path) == 0
        assert (await store.counts()).by_status[LinkStatus.QUEUED] == 1200

    conn = sqlite3.connect(db_path)
    with conn:
        # 600 status changes, 1,200 deltas, and nobody folds them
        conn.execute("UPDATE jobs SET link_status = 'Success' WHERE id % 2 = 0")
    conn.close()
    assert _deltas(db_path) == 1200
    async with await SqliteJobStore.open(db_path, read_only=True) as reader:
        assert (await reader.counts()).by_status[LinkStatus.SUCCESS] == 600  # exact, by summing the deltas
    assert _deltas(db_path) == 1200, "a read-only store changes nothing"
    async with await SqliteJobStore.open(db_path) as store:
        assert _deltas(db_path) == 0
        counts = await store.counts()
        assert counts.by_status[LinkStatus.SUCCESS] == 600 and counts.by_status[LinkStatus.QUEUED] == 600
