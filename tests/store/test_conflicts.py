"""The Conflicts view and `class:conflict`: jobs where Deadlock Win discarded a change, answered from an index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from inolink_tui.domain.enums import ErrorClass, JobView
from inolink_tui.domain.filters import JobFilter, JobSort, parse_filter
from inolink_tui.domain.jobs import JobFailure, JobSuccess
from inolink_tui.store.sqlfilter import where_for
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import T0, at, new_job

CONFLICT = {"conflict": {"winner": "QuickBooks", "losing_side": "CRM", "losing_values": {"name": "Old"}}}


async def _jobs(store: SqliteJobStore) -> dict[str, int]:
    ids = (await store.enqueue([new_job(f"r{i}") for i in range(6)])).created
    claimed = await store.claim("w", limit=6, lease_seconds=600, now=at(1))
    by_id = {job.id: job for job in claimed}
    kinds: dict[str, int] = {}
    await store.complete(ids[0], "w", JobSuccess(accounting_id="1", payload=CONFLICT), now=at(2))
    kinds["settled"] = ids[0]
    await store.complete(ids[1], "w", JobSuccess(accounting_id="2"), now=at(2))
    kinds["plain"] = ids[1]
    await store.complete(ids[2], "w", JobSuccess(accounting_id="3", payload={"other": 1}), now=at(2))
    kinds["other_payload"] = ids[2]
    await store.fail(ids[3], "w", JobFailure(ErrorClass.CONFLICT, "Stale Object Error"), max_attempts=1, now=at(2))
    kinds["failed_conflict"] = ids[3]
    await store.fail(ids[4], "w", JobFailure(ErrorClass.VALIDATION, "bad"), max_attempts=1, now=at(2))
    kinds["failed_other"] = ids[4]
    assert set(by_id) == set(ids[:5]) | {ids[5]}
    return kinds


async def test_conflicts_view_lists_only_deadlock_win_jobs(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "jobs.db")
    try:
        kinds = await _jobs(store)
        view = JobFilter(view=JobView.CONFLICTS)
        page = await store.page(view, JobSort(), limit=50)
        assert [j.id for j in page.jobs] == [kinds["settled"]]
        assert await store.count(view) == 1
        counts = await store.counts(view)
        assert counts.total == 1
    finally:
        await store.close()


async def test_class_conflict_covers_failed_and_settled_conflicts(tmp_path: Path) -> None:
    store = await SqliteJobStore.open(tmp_path / "jobs.db")
    try:
        kinds = await _jobs(store)
        page = await store.page(parse_filter("class:conflict", T0), JobSort(), limit=50)
        assert {j.id for j in page.jobs} == {kinds["settled"], kinds["failed_conflict"]}
        page = await store.page(parse_filter("class:validation", T0), JobSort(), limit=50)
        assert {j.id for j in page.jobs} == {kinds["failed_other"]}
        assert parse_filter("view:conflicts", T0).view is JobView.CONFLICTS
    finally:
        await store.close()


async def test_conflict_filters_use_the_partial_indexes(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    store = await SqliteJobStore.open(path)
    await store.close()
    conn = sqlite3.connect(path)
    try:
        for job_filter, index in (
            (JobFilter(view=JobView.CONFLICTS), "jobs_conflict"),
            (parse_filter("class:conflict", T0), "jobs_conflict"),
            (parse_filter("class:conflict", T0), "jobs_error_class"),
        ):
            where = where_for(job_filter, 0)
            plan = " ".join(
                str(row[-1])
                for row in conn.execute(
                    f"EXPLAIN QUERY PLAN SELECT * FROM jobs WHERE {where.sql} ORDER BY id DESC LIMIT 100", where.params
                )
            )
            assert index in plan, plan
            assert "SCAN jobs" not in plan.replace("SCAN jobs USING INDEX", ""), plan
    finally:
        conn.close()
