"""store/snapshot.py: the synchronous, query-only reads `jobs list` and `jobs show` use (issue 18 item 3).

It must read exactly what the JobStore reads, and open only a store at this very version: anything else (older,
foreign, empty) is left to the full open, which migrates it or says what is wrong; `jobs list` then still works.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from inolink_tui.cli.main import cli
from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.store.base import JobNotFoundError, StoreError
from inolink_tui.store.errors import StoreOpenError
from inolink_tui.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, user_version
from inolink_tui.store.snapshot import BUSY_TIMEOUT_MS, open_snapshot
from inolink_tui.store.sqlite import DEFAULT_BUSY_TIMEOUT_MS, SqliteJobStore
from tests.store.conftest import at, new_job

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight jobs: Queued, one Error with an attempt, one Success, across two entities and sources."""
    path = tmp_path_factory.mktemp("snapshot") / "jobs.db"

    async def seed() -> None:
        from inolink_tui.domain.jobs import JobFailure, JobSuccess

        store = await SqliteJobStore.open(path)
        try:
            jobs = [
                new_job(f"rec-{i}", entity=EntityType.CONTACT if i % 2 else EntityType.ACCOUNT, submitted_at=at(i))
                for i in range(6)
            ]
            jobs += [new_job(f"qb-{i}", source=Source.ACCOUNTING, submitted_at=at(10 + i)) for i in range(2)]
            await store.enqueue(jobs, now=at(20))
            first, second = await store.claim("w", limit=2, now=at(21))
            await store.fail(first.id, "w", JobFailure(ErrorClass.VALIDATION, "bad"), max_attempts=1, now=at(22))
            await store.complete(second.id, "w", JobSuccess(accounting_id="77"), now=at(23))
        finally:
            await store.close()

    asyncio.run(seed())
    return path


async def _async_reads(path: Path, job_filter: JobFilter, sort: JobSort) -> tuple[list[int], int, int]:
    store = await SqliteJobStore.open(path, read_only=True)
    try:
        page = await store.page_after(job_filter, sort, None, limit=100, now=at(30))
        errored = next((j for j in page if j.link_status is LinkStatus.ERROR), None)
        attempts = len(await store.attempts(errored.id)) if errored else -1
        return [j.id for j in page], await store.count(job_filter, now=at(30)), attempts
    finally:
        await store.close()


@pytest.mark.parametrize(
    "job_filter",
    [
        JobFilter(),
        JobFilter(entity_types=(EntityType.CONTACT,)),
        JobFilter(sources=(Source.ACCOUNTING,)),
        JobFilter(statuses=(LinkStatus.ERROR, LinkStatus.SUCCESS)),
    ],
)
def test_reads_what_the_store_reads(seeded: Path, job_filter: JobFilter) -> None:
    sort = JobSort("submitted_at", descending=False)
    ids, total, attempts = asyncio.run(_async_reads(seeded, job_filter, sort))
    snapshot = open_snapshot(seeded)
    assert snapshot is not None
    with snapshot:
        page = snapshot.page_after(job_filter, sort, None, limit=100, now=at(30))
        assert [j.id for j in page] == ids and ids
        assert snapshot.count(job_filter, now=at(30)) == total == len(ids)
        errored = [j for j in page if j.link_status is LinkStatus.ERROR]
        if errored:
            assert len(snapshot.attempts(errored[0].id)) == attempts >= 1
            assert snapshot.get(errored[0].id).error_description == "bad"
        # keyset paging, two at a time, walks the same order
        walked, after = [], None
        while chunk := snapshot.page_after(job_filter, sort, after, limit=2, now=at(30)):
            walked += [j.id for j in chunk]
            after = chunk[-1]
        assert walked == ids


def test_is_query_only_and_reports_a_missing_job(seeded: Path) -> None:
    snapshot = open_snapshot(seeded)
    assert snapshot is not None
    with snapshot:
        with pytest.raises(JobNotFoundError):
            snapshot.get(10_000)
        with pytest.raises(StoreError, match=r"readonly"):
            snapshot._read(lambda conn: conn.execute("DELETE FROM jobs"))
    assert BUSY_TIMEOUT_MS == DEFAULT_BUSY_TIMEOUT_MS


def test_opens_only_a_job_store_at_this_version(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="no job store there"):
        open_snapshot(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (x)")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    assert open_snapshot(foreign) is None
    empty = tmp_path / "empty.db"
    empty.touch()
    assert open_snapshot(empty) is None
    assert open_snapshot(_older_store(tmp_path / "old.db")) is None


def _older_store(path: Path) -> Path:
    """A store as the first release wrote it: schema version 1."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrate(conn, MIGRATIONS[:1])
    finally:
        conn.close()
    return path


def test_jobs_list_on_an_older_store_migrates_it_then_lists(tmp_path: Path) -> None:
    """The fallback: the full open migrates (as `jobs list` always did without --read-only), then it is read."""
    old = _older_store(tmp_path / "old.db")
    refused = CliRunner().invoke(cli, ["--db", str(old), "--read-only", "jobs", "list"])
    assert refused.exit_code == 2 and "needs upgrading" in refused.output
    done = CliRunner().invoke(cli, ["--db", str(old), "jobs", "list"])
    assert done.exit_code == 0, done.output
    assert "no jobs yet" in done.output
    conn = sqlite3.connect(old)
    try:
        assert user_version(conn) == SCHEMA_VERSION
    finally:
        conn.close()
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (x)")
    refused = CliRunner().invoke(cli, ["--db", str(foreign), "jobs", "show", "1"])
    assert refused.exit_code == 2 and "another application" in refused.output
