"""The database file: migrations, read-only opening, and one clear line for each way it can fail."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, LinkStatus
from inolink_tui.domain.jobs import JobSuccess
from inolink_tui.domain.links import RecordLink
from inolink_tui.store import open_store
from inolink_tui.store.base import ReadOnlyError, StoreError
from inolink_tui.store.errors import (
    StoreCorruptError,
    StoreFileReadOnlyError,
    StoreFullError,
    StoreLockedError,
    StoreOpenError,
    StoreSchemaError,
    translate,
)
from inolink_tui.store.schema import MIGRATIONS, SCHEMA_VERSION, migrate, user_version
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import new_job


async def test_open_creates_directories_and_a_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "jobs.db"
    store = await open_store(path)
    try:
        assert path.exists() and not store.read_only
    finally:
        await store.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert user_version(conn) == SCHEMA_VERSION
    conn.close()


async def test_upgrade_from_v0_and_reopen(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    sqlite3.connect(db_path).close()  # an empty file: user_version 0
    store = await SqliteJobStore.open(db_path)
    await store.enqueue([new_job("a")])
    await store.close()
    again = await SqliteJobStore.open(db_path)
    try:
        assert await again.count() == 1, "re-opening migrates nothing and loses nothing"
    finally:
        await again.close()
    conn = sqlite3.connect(db_path)
    assert user_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
    conn.close()


async def test_upgrade_from_v1_backfills_the_tally(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[:1]) == 1
    conn.executemany(
        "INSERT INTO jobs(entity_type, link_status, source, submitted_at, company, crm_record_id, record_name,"
        " operation, request_id, record_key, updated_at) VALUES ('Account', ?, 'CRM', 0, 'c', ?, 'n', 'create',"
        " ?, ?, 0)",
        [("Error" if i % 2 else "Success", f"r{i}", f"x-{i}", f"Account:crm:r{i}") for i in range(7)],
    )
    conn.close()
    store = await SqliteJobStore.open(db_path)
    try:
        counts = await store.counts()
        assert counts.total == 7
        assert counts.by_status[LinkStatus.ERROR] == 3 and counts.by_status[LinkStatus.SUCCESS] == 4
    finally:
        await store.close()


async def test_a_newer_schema_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreSchemaError, match="newer than this inolink-tui understands"):
        await SqliteJobStore.open(db_path)


async def test_read_only_store_refuses_every_mutation(db_path: Path) -> None:
    writer = await open_store(db_path)
    (job_id,) = (await writer.enqueue([new_job("a")])).created
    reader = await open_store(db_path, read_only=True)
    try:
        assert reader.read_only
        assert (await reader.get(job_id)).record_name == "Name a"
        mutations = {
            "enqueue": reader.enqueue([new_job("b")]),
            "claim": reader.claim("w"),
            "complete": reader.complete(job_id, "w", JobSuccess()),
            "requeue": reader.requeue("me", ids=[job_id]),
            "mark-error": reader.mark_error("me", [job_id]),
            "set-inactive": reader.set_inactive("me", [job_id], True),
            "record-link update": reader.upsert_link(RecordLink(EntityType.ACCOUNT, "a", "c")),
            "cursor update": reader.set_cursor("x", "y"),
            "sync-now request": reader.post_request("me", "sync-now", {}),
            "taking requests": reader.take_requests("me"),
            "scheduler lease": reader.acquire_scheduler_lease("h", 1, ttl_seconds=5),
        }
        for action, call in mutations.items():
            with pytest.raises(ReadOnlyError, match=f"^read-only: {action} refused \\(started with --read-only\\)$"):
                await call
        with pytest.raises(ReadOnlyError):
            await reader.enqueue([])
        # The reader follows the writer's commits.
        await writer.enqueue([new_job("c")])
        assert await reader.count() == 2
    finally:
        await reader.close()
        await writer.close()
    alone = await open_store(db_path, read_only=True)
    try:
        assert await alone.count() == 2, "a read-only store opens with no writer around"
    finally:
        await alone.close()


async def test_read_only_never_creates_a_store(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "jobs.db"
    with pytest.raises(StoreOpenError, match="no job store there"):
        await open_store(path, read_only=True)
    assert not path.parent.exists()


async def test_corrupt_file_gives_one_clear_line(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    path.write_bytes(b"this is a text file, not SQLite\n" * 200)
    for read_only in (False, True):
        with pytest.raises(StoreCorruptError) as info:
            await open_store(path, read_only=read_only)
        message = str(info.value)
        assert str(path) in message and "not a database" in message and "\n" not in message
    assert path.read_bytes().startswith(b"this is a text file"), "the bad file is left untouched"


async def test_locked_database_after_busy_timeout(db_path: Path) -> None:
    store = await SqliteJobStore.open(db_path, busy_timeout_ms=100)
    blocker = sqlite3.connect(db_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreLockedError, match=r"database is locked by another process \(waited 0.1 s\)") as info:
            await store.enqueue([new_job("a")])
        assert str(db_path) in str(info.value)
        assert await store.count() == 0, "reads still work under a writer's lock (WAL)"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    await store.enqueue([new_job("a")])
    await store.close()


async def test_full_disk_is_reported(db_path: Path) -> None:
    store = await SqliteJobStore.open(db_path)
    try:
        assert store._writer is not None
        pages = (await store._writer.run(lambda c: c.execute("PRAGMA page_count").fetchone()))[0]
        await store._writer.run(lambda c: c.execute(f"PRAGMA max_page_count = {pages + 2}"))
        big = [new_job(f"r{i}", name="n" * 2000) for i in range(200)]
        with pytest.raises(StoreFullError, match="disk is full"):
            await store.enqueue(big)
        assert await store.count() == 0, "the failed batch was rolled back whole"
    finally:
        await store.close()


def test_translate_maps_real_sqlite_errors(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    sqlite3.connect(path).execute("CREATE TABLE t(x)").connection.close()
    ro = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    with pytest.raises(sqlite3.Error) as info:
        ro.execute("INSERT INTO t VALUES (1)")
    error = translate(info.value, path, 5000)
    assert isinstance(error, StoreFileReadOnlyError) and str(path) in str(error)
    other = translate(sqlite3.OperationalError("no such table: x"), path, 5000)
    assert type(other) is StoreError and "no such table" in str(other)


async def test_opening_an_up_to_date_store_takes_no_write_lock(db_path: Path) -> None:
    """Every start and every CLI command opens the store: when the schema is current, migrate() must not queue for
    the write lock (one BEGIN IMMEDIATE per step did, behind a busy engine's transactions)."""
    await (await open_store(db_path)).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # an engine mid-transaction
    try:
        store = await SqliteJobStore.open(db_path, busy_timeout_ms=200)
        await store.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
