"""The store's connection thread: whole functions on one thread, in order, outcomes back to the caller."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from inolink_tui.store.executor import SqliteThread


def _thread_ident(conn: sqlite3.Connection) -> int:
    return threading.get_ident()


async def test_calls_run_on_the_connection_thread_in_the_order_made(tmp_path: Path) -> None:
    db = await SqliteThread.connect(str(tmp_path / "t.db"), isolation_level=None)
    try:
        await db.run(lambda c: c.execute("CREATE TABLE t(n INTEGER)"))
        await asyncio.gather(*(db.run(lambda c, n: c.execute("INSERT INTO t VALUES (?)", (n,)), n) for n in range(50)))
        rows = await db.run(lambda c: [n for (n,) in c.execute("SELECT n FROM t ORDER BY rowid")])
        assert rows == list(range(50))
        idents = set(await asyncio.gather(*(db.run(_thread_ident) for _ in range(10))))
        assert len(idents) == 1 and threading.get_ident() not in idents
    finally:
        await db.close()


async def test_errors_reach_the_caller_and_the_thread_carries_on(tmp_path: Path) -> None:
    db = await SqliteThread.connect(str(tmp_path / "t.db"))
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such table"):
            await db.run(lambda c: c.execute("SELECT * FROM missing"))
        assert await db.run(lambda c: c.execute("SELECT 1").fetchone()) == (1,)
    finally:
        await db.close()


async def test_a_cancelled_caller_does_not_stop_the_next_call(tmp_path: Path) -> None:
    db = await SqliteThread.connect(str(tmp_path / "t.db"))
    started = threading.Event()
    release = threading.Event()

    def slow(conn: sqlite3.Connection) -> int:
        started.set()
        release.wait(5)
        return 1

    try:
        task = asyncio.ensure_future(db.run(slow))
        await asyncio.to_thread(started.wait, 5)
        task.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await db.run(lambda c: c.execute("SELECT 2").fetchone()) == (2,)
    finally:
        await db.close()


async def test_closed_connection_refuses_calls_and_closing_twice_is_harmless(tmp_path: Path) -> None:
    db = await SqliteThread.connect(str(tmp_path / "t.db"))
    await db.close()
    await db.close()
    db._thread.join(5)
    assert not db._thread.is_alive(), "the connection's thread ends with it"
    with pytest.raises(ValueError, match="closed"):
        await db.run(lambda c: c.execute("SELECT 1"))


async def test_a_file_that_cannot_be_opened_raises_on_connect(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        await SqliteThread.connect((tmp_path / "missing" / "t.db").as_uri() + "?mode=ro", uri=True)
