"""Every filter key the console offers is answered from an index (issue 18 item 4), and schema v8 upgrades a v7 file.

SQLite plans from the schema alone here (the store never runs ANALYZE), so the plan a ten-job file gets is the plan
a million-job file gets: these tests pin the plans that bench/store.py times at a million jobs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter, parse_filter
from inolink_tui.domain.jobs import JobSuccess
from inolink_tui.store.codec import JOB_COLUMNS
from inolink_tui.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, user_version
from inolink_tui.store.sqlfilter import where_for
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import T0, at, new_job

V8_INDEXES = {"jobs_by", "jobs_entity", "jobs_inactive"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path_factory.mktemp("plans") / "jobs.db", isolation_level=None)
    migrate(conn)
    return conn


def plan(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> str:
    return " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def plans(conn: sqlite3.Connection, text: str) -> tuple[str, str]:
    """The plans of the console's two queries for `text`: its first page (newest first) and its count."""
    where = where_for(parse_filter(text, T0), 0)
    page = plan(conn, f"SELECT {JOB_COLUMNS} FROM jobs WHERE {where.sql} ORDER BY id DESC LIMIT 100", where.params)
    count = plan(conn, f"SELECT count(*) FROM jobs WHERE {where.sql}", where.params)
    return page, count


@pytest.mark.parametrize(
    ("text", "index"),
    [
        ("by:ana", "jobs_by (submitted_by_fold=? AND link_status=?)"),
        ("by:ana status:queued", "jobs_by (submitted_by_fold=? AND link_status=?)"),
        ("view:failed by:ana", "jobs_by (submitted_by_fold=? AND link_status=?)"),
        ("view:active by:ana", "jobs_by (submitted_by_fold=? AND link_status=?)"),
        ("entity:invoice source:crm", "jobs_entity (entity_type=? AND source=?)"),
        ("entity:invoice", "jobs_entity (entity_type=? AND source=?)"),
        ("view:failed entity:invoice source:crm", "jobs_status (link_status=?)"),
        ("status:success entity:invoice", "jobs_status (link_status=?)"),
        ("view:failed by:ana entity:invoice", "jobs_by (submitted_by_fold=? AND link_status=?)"),
        ("class:validation", "jobs_error_class (error_class=?)"),
        ("view:failed class:validation", "jobs_error_class (error_class=?)"),
        ("view:inactive", "jobs_inactive"),
        ("view:inactive by:ana", "jobs_inactive"),
        ("view:conflicts", "jobs_conflict"),
        ("processing:yes", "jobs_leased (lease_until>?)"),
        ("globex", "job_text VIRTUAL TABLE"),
        ("view:failed globex", "job_text VIRTUAL TABLE"),
    ],
)
def test_each_filter_key_reads_its_index(schema: sqlite3.Connection, text: str, index: str) -> None:
    page, count = plans(schema, text)
    assert index in page and index in count, (page, count)
    assert "SCAN jobs" not in page.replace("SCAN jobs USING", "") and "SCAN jobs" not in count.replace(
        "SCAN jobs USING", ""
    ), (page, count)


def test_since_counts_from_the_submitted_index(schema: sqlite3.Connection) -> None:
    """since: and until: count a range of jobs_submitted. since: alone pages by walking the newest ids first and
    stopping at 100 (Submitted At follows the order jobs arrive in, so the newest jobs are the ones it asks for); a
    window (since: and until:) reads its range of jobs_submitted and sorts only that."""
    for text in ("since:2h", "until:2026-11-01", "since:2026-10-01 until:2026-10-31"):
        assert "COVERING INDEX jobs_submitted" in plans(schema, text)[1]
    assert plans(schema, "since:2h")[0] == "SCAN jobs"
    assert (
        "INDEX jobs_submitted (submitted_at>? AND submitted_at<?)"
        in plans(schema, "since:2026-10-01 until:2026-10-31")[0]
    )


def test_the_status_names_change_nothing_but_the_plan(schema: sqlite3.Connection) -> None:
    """`every_status` / `every_source` only help SQLite use the index: they match every job the CHECK allows."""
    assert "link_status IN ('Queued', 'Success', 'Error')" in where_for(JobFilter(submitted_by=("ana",)), 0).sql
    assert "source IN ('CRM', 'Accounting')" in where_for(JobFilter(entity_types=(EntityType.INVOICE,)), 0).sql
    assert {s.value for s in LinkStatus} == {"Queued", "Success", "Error"}
    assert {s.value for s in Source} == {"CRM", "Accounting"}


async def test_v8_upgrades_a_v7_file_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:7]) == 7
    conn.executemany(
        "INSERT INTO jobs(entity_type, link_status, source, submitted_by, submitted_by_fold, submitted_at, company,"
        " crm_record_id, record_name, operation, request_id, record_key, updated_at, inactive)"
        " VALUES ('Account', ?, 'CRM', ?, ?, 0, 'c', ?, 'n', 'create', ?, ?, 0, ?)",
        [
            ("Success" if i % 3 == 0 else "Queued", by, by.lower(), f"r{i}", f"x-{i}", f"Account:crm:r{i}", i % 10 == 7)
            for i in range(30)
            for by in ("Ana" if i % 2 else "Bo",)
        ],
    )
    before = conn.execute("SELECT * FROM jobs ORDER BY id").fetchall()
    assert not V8_INDEXES & {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    conn.close()

    async with await SqliteJobStore.open(path):
        pass  # the upgrade
    conn = sqlite3.connect(path)
    assert user_version(conn) == SCHEMA_VERSION >= 8
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")} >= V8_INDEXES
    assert conn.execute("SELECT * FROM jobs ORDER BY id").fetchall() == before
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    async with await SqliteJobStore.open(path) as store:
        # The new indexes answer from the old rows, and follow new writes.
        assert await store.count(JobFilter(submitted_by=("ANA",), statuses=(LinkStatus.SUCCESS,))) == 5
        inactive = await store.page_after(parse_filter("view:inactive", T0), None, None, limit=10)
        assert [j.id for j in inactive] == [28, 18, 8]
        newest = await store.page_after(parse_filter("by:ana entity:account", T0), None, None, limit=3)
        assert [j.id for j in newest] == [30, 28, 26]
        (job_id,) = (await store.enqueue([new_job("after", by="Ana")], now=at(1))).created
        claimed = await store.claim("w", limit=50, lease_seconds=60, now=at(2))
        assert job_id in {j.id for j in claimed}
        await store.complete(job_id, "w", JobSuccess(accounting_id="9"), now=at(3))
        assert await store.count(JobFilter(submitted_by=("ana",), statuses=(LinkStatus.SUCCESS,))) == 6
