"""Issue 12, bounded growth: the change feed is pruned once every live reader has passed it, purged jobs leave the
full-text index, and Success jobs past `[store] success_retention_days` are purged by `maintain`, so a store fed at
a steady rate for a year stops growing.

Time is a fake clock (`now=` everywhere); nothing sleeps.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inolink_tui.config.model import StoreSettings
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import JobSuccess
from inolink_tui.store.codec import to_us
from inolink_tui.store.feed import FEED_KEEP, READER_TTL
from inolink_tui.store.maintenance import purge_success
from inolink_tui.store.retention import maintain
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import new_job

pytestmark = pytest.mark.timeout(120)

START = datetime(2025, 1, 1, 9, 0, tzinfo=UTC)


async def _done(store: SqliteJobStore, count: int, now: datetime, prefix: str) -> list[int]:
    """`count` jobs created, claimed and completed (Success) at `now`: the engine's everyday work."""
    jobs = [new_job(f"{prefix}-{i}", name=f"Customer {prefix} {i}", submitted_at=now) for i in range(count)]
    ids = list((await store.enqueue(jobs, now=now)).created)
    claimed = await store.claim("w", limit=count, lease_seconds=600, now=now)
    await asyncio.gather(
        *(store.complete(job.id, "w", JobSuccess(accounting_id=f"QB-{job.id}"), now=now) for job in claimed)
    )
    return ids


def _rows(path: Path, sql: str, *params: object) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    finally:
        conn.close()


def _text_docs(path: Path, ids: list[int]) -> int:
    marks = ",".join("?" * len(ids))
    return _rows(path, f"SELECT count(*) FROM job_text WHERE job_id IN ({marks})", *ids)


def test_retention_is_a_store_setting_defaulting_to_90_days() -> None:
    assert StoreSettings().success_retention_days == 90
    assert StoreSettings(success_retention_days=0).success_retention_days == 0


async def test_purged_jobs_leave_the_full_text_index(store: SqliteJobStore, db_path: Path) -> None:
    old = await _done(store, 30, START, "old")
    new = await _done(store, 5, START + timedelta(days=100), "new")
    assert _text_docs(db_path, old) >= 30
    result = purge_success(db_path, timedelta(days=90), actor="test", now=START + timedelta(days=100))
    assert result.deleted == 30
    assert _text_docs(db_path, old) == 0, "documents of purged jobs stayed in the search index"
    assert _text_docs(db_path, new) >= 5
    assert await store.count(JobFilter(text="Customer old"), now=START + timedelta(days=100)) == 0
    assert await store.count(JobFilter(text="Customer new"), now=START + timedelta(days=100)) == 5


async def test_the_feed_is_pruned_only_past_every_live_reader(store: SqliteJobStore, db_path: Path) -> None:
    await _done(store, 10, START, "a")
    latest = await store.latest_seq()
    later = START + FEED_KEEP + timedelta(hours=1)  # every row is old enough to go
    await store.register_feed_reader("console-1", 5, now_us=to_us(later))
    assert await store.prune_feed(now_us=to_us(later)) == 5  # rows 1..5: the console has read them
    assert _rows(db_path, "SELECT min(seq) FROM changes") == 6
    await store.register_feed_reader("console-1", latest, now_us=to_us(later))
    await store.prune_feed(now_us=to_us(later))
    assert _rows(db_path, "SELECT count(*) FROM changes") == 1, "only the newest row stays (the feed's end)"
    assert await store.latest_seq() == latest


async def test_a_dead_reader_expires_and_young_rows_stay(store: SqliteJobStore, db_path: Path) -> None:
    await _done(store, 10, START, "a")
    await store.register_feed_reader("killed-console", 1, now_us=to_us(START))
    soon = START + FEED_KEEP + timedelta(minutes=1)
    assert soon - START < READER_TTL + FEED_KEEP
    await store.prune_feed(now_us=to_us(START + timedelta(minutes=5)))
    assert _rows(db_path, "SELECT count(*) FROM changes") == 30, "young rows stay whatever the readers"
    much_later = START + FEED_KEEP + READER_TTL + timedelta(minutes=1)
    await store.prune_feed(now_us=to_us(much_later))
    assert _rows(db_path, "SELECT count(*) FROM changes") == 1, "a reader silent for READER_TTL no longer pins"
    assert _rows(db_path, "SELECT count(*) FROM feed_readers WHERE name = 'killed-console'") == 0


async def test_the_crm_mirror_cursor_pins_the_feed(store: SqliteJobStore, db_path: Path) -> None:
    await _done(store, 10, START, "a")
    await store.set_cursor("crm_mirror_seq", "7")
    await store.prune_feed(now_us=to_us(START + timedelta(days=30)))
    assert _rows(db_path, "SELECT min(seq) FROM changes") == 8


async def test_a_store_registers_itself_when_it_reads_and_forgets_on_close(db_path: Path) -> None:
    store = await SqliteJobStore.open(db_path)
    await _done(store, 3, START, "a")
    await store.changes_since(2)
    assert _rows(db_path, "SELECT seq FROM feed_readers") == 2
    await store.close()
    assert _rows(db_path, "SELECT count(*) FROM feed_readers") == 0


def _size(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return sum(os.path.getsize(p) for p in (path, Path(f"{path}-wal")) if p.exists())


async def test_a_year_at_a_steady_rate_levels_off(db_path: Path) -> None:
    """40 jobs a day for 365 days with the default 90-day retention and daily upkeep; an attached console reads
    the feed every day and another console was killed on day 1. The file stops growing once the retention window
    is full: every month after the fourth is within 10% of the fourth, and the last six months add less than a
    tenth of what the first four did, while three times as many jobs went through."""
    per_day, retention = 40, 90
    store = await SqliteJobStore.open(db_path)
    started = time.monotonic()
    sizes: dict[int, int] = {}
    try:
        await store.register_feed_reader("killed-console", 0, now_us=to_us(START))
        for day in range(365):
            now = START + timedelta(days=day)
            await _done(store, per_day, now, f"d{day}")
            await store.register_feed_reader("console", await store.latest_seq(), now_us=to_us(now))
            await maintain(store, success_retention_days=retention, now=now + timedelta(hours=1))
            if day % 30 == 29:
                sizes[day + 1] = _size(db_path)
        jobs = await store.count(JobFilter(), now=now)
    finally:
        await store.close()
    took = time.monotonic() - started
    feed_rows = _rows(db_path, "SELECT count(*) FROM changes")
    docs = _rows(db_path, "SELECT count(*) FROM job_text")
    attempts = _rows(db_path, "SELECT count(*) FROM attempts")
    print(f"sizes by day: {sizes}; jobs {jobs}, feed rows {feed_rows}, text docs {docs}, {took:.1f} s")
    assert jobs <= (retention + 1) * per_day
    assert feed_rows <= 2 * 4 * per_day, "the feed keeps about a day, not the year"
    assert docs <= 2 * (retention + 1) * per_day
    assert attempts <= (retention + 1) * per_day * 2
    plateau = sizes[120]
    for day, size in sizes.items():
        if day > 120:
            assert size <= plateau * 1.10, f"day {day}: {size} bytes vs {plateau} on day 120 ({sizes})"
    assert sizes[360] > sizes[30], "the retention window really fills first"
    assert sizes[360] - sizes[180] < 0.1 * sizes[120], f"still growing in the second half-year: {sizes}"
    assert took < 60


async def test_store_upkeep_runs_maintain_once_per_interval(store: SqliteJobStore) -> None:
    from inolink_tui.store.retention import StoreUpkeep

    await _done(store, 5, START, "old")  # processed in 2025: far past 90 days by the real clock
    clock = [1000.0]
    upkeep = StoreUpkeep(store, 90, interval=timedelta(hours=1), clock=lambda: clock[0])
    upkeep.poll()
    assert upkeep._task is not None
    await upkeep._task
    assert await store.count(JobFilter()) == 0
    await _done(store, 3, START, "older")
    first = upkeep._task
    clock[0] += 1800
    upkeep.poll()
    assert upkeep._task is first, "not due yet"
    clock[0] += 1801
    upkeep.poll()
    assert upkeep._task is not first
    await upkeep._task
    assert await store.count(JobFilter()) == 0
    await _done(store, 2, START, "kept")
    forever = StoreUpkeep(store, 0, clock=lambda: clock[0])
    forever.poll()
    assert forever._task is not None
    await forever._task
    assert await store.count(JobFilter()) == 2, "0 days keeps Success jobs forever"


def test_the_mirror_cursor_the_feed_respects_is_the_engines() -> None:
    """The store cannot import the engine; this keeps the two spellings of the CRM mirror's cursor in step."""
    from inolink_tui.engine.mirror import MIRROR_CURSOR
    from inolink_tui.store.feed import DURABLE_READERS

    assert MIRROR_CURSOR in DURABLE_READERS


async def test_a_big_backlog_is_pruned_in_several_short_transactions(
    store: SqliteJobStore, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inolink_tui.store import feed

    monkeypatch.setattr(feed, "PRUNE_PER_TRANSACTION", 7)
    await _done(store, 10, START, "a")  # 30 feed rows
    calls: list[int] = []
    real = feed.prune

    def counting(*args: object) -> int:
        deleted = real(*args, most=7)  # type: ignore[arg-type]
        calls.append(deleted)
        return deleted

    monkeypatch.setattr(feed, "prune", counting)
    assert await store.prune_feed(now_us=to_us(START + timedelta(days=3))) == 29
    assert calls == [7, 7, 7, 7, 1]
