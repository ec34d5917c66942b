"""Schema v9: the tally per submitter and company, job_blocks for since:/until: pages; a v8 file upgrades in place."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.filters import JobFilter, JobSort, parse_filter
from inolink_tui.domain.jobs import JobSuccess
from inolink_tui.store import ops_read, tally
from inolink_tui.store.codec import JOB_COLUMNS, to_us
from inolink_tui.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, user_version
from inolink_tui.store.sqlfilter import where_for
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import T0, at, new_job


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path_factory.mktemp("plans") / "jobs.db", isolation_level=None)
    migrate(conn)
    return conn


def _plan(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> str:
    return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


@pytest.mark.parametrize("text", ["company:4620", "view:active by:ana", "by:ana entity:invoice source:crm", "by:ana"])
def test_structured_counts_read_the_tally_alone(schema: sqlite3.Connection, text: str) -> None:
    f = parse_filter(text, T0)
    assert tally.answers(f)
    where = tally.where(f)
    sql = f"SELECT sum(n) FROM (SELECT n FROM job_tally WHERE {where.sql} UNION ALL SELECT n FROM job_tally_delta)"
    plan = _plan(schema, sql, where.params)
    assert "jobs" not in plan.replace("job_tally", ""), plan


@pytest.mark.parametrize("text", ["until:7d", "since:1d", "since:30d until:7d"])
def test_submitted_pages_walk_ids_without_sorting(schema: sqlite3.Connection, text: str) -> None:
    """until:7d read every older job through jobs_submitted and sorted them (100-115 ms at a million jobs)."""
    where, _ = ops_read._page_where(schema, parse_filter(text, T0), JobSort(), 0)
    plan = _plan(schema, f"SELECT {JOB_COLUMNS} FROM jobs WHERE {where.sql} ORDER BY id DESC LIMIT 100", where.params)
    assert plan == "SEARCH jobs USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)", plan


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("by:ana", "COVERING INDEX jobs_by (submitted_by_fold=? AND link_status=? AND id>? AND id<?)"),
        ("view:failed", "INDEX jobs_status (link_status=? AND id>? AND id<?)"),
        ("entity:invoice", "COVERING INDEX jobs_entity (entity_type=? AND source=? AND id>? AND id<?)"),
    ],
)
def test_a_range_count_with_other_keys_reads_their_index_by_id(
    schema: sqlite3.Connection, text: str, index: str
) -> None:
    """`until:7d by:ana` counted 79,040 jobs by reading each of Ana's 200,000 rows for its Submitted At (270-340 ms):
    the runs of blocks wholly inside the range are id ranges of the key's own index (`submitted.count`)."""
    where = where_for(parse_filter(text, T0), 0).and_("id >= ? AND id < ?", 0, 1024)
    plan = _plan(schema, f"SELECT count(*) FROM jobs WHERE {where.sql}", where.params)
    assert plan == f"SEARCH jobs USING {index}", plan


@pytest.mark.parametrize("text", ["company:77 globex", "company:77 company:4620 globex"])
def test_company_alone_does_not_send_free_text_to_a_scan(schema: sqlite3.Connection, text: str) -> None:
    """company: has no index: the few jobs of a small company are not a range any index reads, so free text still
    asks the trigram index (LIKE over every job took 200-300 ms at a million)."""
    where, narrow = ops_read._where(schema, parse_filter(text, T0), 0)
    plan = _plan(schema, f"SELECT count(*) FROM jobs WHERE {where.sql}", where.params)
    assert not narrow and "job_text VIRTUAL TABLE" in plan, plan


async def test_v9_upgrades_a_v8_file_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:8]) == 8
    conn.executemany(
        "INSERT INTO jobs(id, entity_type, link_status, source, submitted_by, submitted_by_fold, submitted_at, company,"
        " crm_record_id, record_name, operation, request_id, record_key, updated_at, inactive)"
        " VALUES (?, 'Account', 'Queued', 'CRM', ?, ?, ?, ?, ?, 'n', 'create', ?, ?, 0, ?)",
        [
            (
                i,
                by,
                by.casefold(),
                to_us(T0 + timedelta(hours=i)),
                company,
                f"r{i}",
                f"x-{i}",
                f"Account:crm:r{i}",
                i % 9 == 4,
            )
            for i in [*range(1, 21), *range(3000, 3010)]
            for by, company in ((("Ana", "Bo", "ÄRGER")[i % 3], ("9130", "4620")[i % 2]),)
        ],
    )
    conn.execute(
        "INSERT INTO job_tally SELECT link_status, entity_type, source, inactive, count(*) FROM jobs"
        " GROUP BY 1, 2, 3, 4"
    )
    conn.execute("UPDATE jobs SET link_status = 'Success' WHERE id % 4 = 0")  # v8's trigger: deltas, not yet folded
    before = conn.execute("SELECT * FROM jobs ORDER BY id").fetchall()
    conn.close()

    async with await SqliteJobStore.open(path):
        pass  # the upgrade
    conn = sqlite3.connect(path)
    assert user_version(conn) == SCHEMA_VERSION == 9
    assert conn.execute("SELECT * FROM jobs ORDER BY id").fetchall() == before
    assert conn.execute("SELECT block FROM job_blocks ORDER BY block").fetchall() == [(0,), (2,)]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    async with await SqliteJobStore.open(path) as store:
        assert await store.count(JobFilter(submitted_by=("ärger",))) == 10
        # Ids divisible by 4 are Success, and even: all in company 9130 (4, 8, 12, 16, 20, 3000, 3004, 3008).
        assert await store.count(JobFilter(companies=("4620",), statuses=(LinkStatus.SUCCESS,))) == 0
        assert await store.count(JobFilter(companies=("9130",), statuses=(LinkStatus.SUCCESS,))) == 8
        assert (await store.counts(parse_filter("view:inactive by:bo", T0))).total == 3  # ids 4, 13, 3001
        until = parse_filter("until:2026-11-01T20:00Z", T0)  # ids 1..12 (T0 + i hours)
        assert [j.id for j in await store.page_after(until, JobSort(), None, limit=3)] == [12, 11, 10]
        assert await store.count(until) == 12
        assert await store.count(parse_filter("since:2026-11-01T20:00Z", T0)) == 30 - 11
        # New writes keep the tally and the blocks.
        (job_id,) = (
            await store.enqueue([new_job("after", by="ana", company="4620", submitted_at=T0)], now=at(1))
        ).created
        assert await store.count(JobFilter(submitted_by=("ANA",), companies=("4620",))) == 6
        claimed = await store.claim("w", limit=50, lease_seconds=60, now=at(2))
        assert job_id in {j.id for j in claimed}
        await store.complete(job_id, "w", JobSuccess(accounting_id="9"), now=at(3))
        assert await store.count(JobFilter(submitted_by=("ana",), statuses=(LinkStatus.SUCCESS,))) == 3
        assert [j.id for j in await store.page_after(until, JobSort(), None, limit=2)] == [job_id, 12]
        assert await store.count(until) == 13
