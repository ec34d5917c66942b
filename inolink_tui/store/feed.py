"""Bounded change feed: readers record how far they have read, and rows every reader has passed are pruned.

Every job writes about four feed rows (created, claimed, completed...), so an unpruned feed grows with the whole
history. A row may go once (a) every live reader has read past it, (b) it is older than FEED_KEEP (the console's
"today" tiles and sparklines re-read the last day of the feed when they start) and (c) it is not the newest row
(whose seq is the feed's end for `latest_seq`).

Readers: every writable store registers itself automatically from `changes_since` (its lowest position read in the
last FEED_REFRESH, refreshed at most that often), so an attached console or the engine's relay needs no extra
call; the CRM mirror's durable cursor counts as a reader too. A reader not seen for READER_TTL is dead (a killed
console) and no longer pins the feed. A `--read-only` console cannot write its position: FEED_KEEP protects it
(it polls every second or so), and a reader that finds its position pruned simply resumes at the next row.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from inolink_tui.store.base import StoreError

log = logging.getLogger(__name__)

FEED_KEEP = timedelta(hours=26)
"""Rows younger than this always stay: a console started now reads the feed back to midnight UTC for its tiles."""
READER_TTL = timedelta(minutes=15)
"""A registered reader not seen for this long is gone (its process died) and stops holding the feed back."""
FEED_REFRESH = 30.0
"""Seconds between two refreshes of one store's reader row (one small write per half minute per process)."""
DURABLE_READERS = ("crm_mirror_seq",)
"""Cursors (in the cursors table) that read the feed and never expire: the CRM mirror resumes from its cursor
after a restart and must find every row after it."""
PRUNE_CHUNK = 5000
PRUNE_PER_TRANSACTION = 50_000
"""Feed rows deleted per write transaction: the first prune of a big old store (millions of rows) goes in steps of
a few tens of milliseconds, so the engine's writes never wait long behind it."""


def reader_name() -> str:
    """host:pid:nonce, unique per open store (two stores in one process are two readers)."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


def note_reader(conn: sqlite3.Connection, name: str, seq: int, now_us: int) -> None:
    conn.execute(
        "INSERT INTO feed_readers(name, seq, seen_at) VALUES (?, ?, ?)"
        " ON CONFLICT(name) DO UPDATE SET seq = excluded.seq, seen_at = excluded.seen_at",
        (name, seq, now_us),
    )


def forget_reader(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("DELETE FROM feed_readers WHERE name = ?", (name,))


def prune(
    conn: sqlite3.Connection,
    now_us: int,
    keep_us: int,
    ttl_us: int,
    chunk: int = PRUNE_CHUNK,
    most: int = PRUNE_PER_TRANSACTION,
) -> int:
    """Delete up to `most` feed rows every live reader has passed and that are older than the keep window; returns
    the count (`most` means there may be more). Runs inside the caller's write transaction; drops expired readers."""
    conn.execute("DELETE FROM feed_readers WHERE seen_at < ?", (now_us - ttl_us,))
    positions = [int(r[0]) for r in conn.execute("SELECT seq FROM feed_readers")]
    marks = ",".join("?" * len(DURABLE_READERS))
    for (value,) in conn.execute(f"SELECT value FROM cursors WHERE name IN ({marks})", DURABLE_READERS):
        if str(value).isdigit():
            positions.append(int(value))
    newest = conn.execute("SELECT max(seq) FROM changes").fetchone()[0]
    if newest is None:
        return 0
    # The first row young enough to keep; rows are appended in time order, so this walks only the old ones.
    young = conn.execute("SELECT seq FROM changes WHERE at >= ? ORDER BY seq LIMIT 1", (now_us - keep_us,)).fetchone()
    upper = min([int(newest) - 1, *(positions), *([int(young[0]) - 1] if young else [])])
    deleted = 0
    while upper > 0 and deleted < most:
        removed = conn.execute(
            "DELETE FROM changes WHERE seq IN (SELECT seq FROM changes WHERE seq <= ? ORDER BY seq LIMIT ?)",
            (upper, min(chunk, most - deleted)),
        ).rowcount
        deleted += removed
        if removed < chunk:
            break
    return deleted


class FeedReaderMixin:
    """The feed-reader bookkeeping of SqliteJobStore (kept here so sqlite.py stays small)."""

    _feed_name: str
    _feed_low: int | None
    _feed_refreshed: float
    read_only: bool

    _write: Callable[..., Awaitable[Any]]

    def _init_feed_reader(self) -> None:
        self._feed_name = reader_name()
        self._feed_low = None
        self._feed_refreshed = float("-inf")

    async def _note_feed_read(self, seq: int, now_us: int) -> None:
        """Remember the lowest position read; write it at most every FEED_REFRESH seconds (writable stores only)."""
        self._feed_low = seq if self._feed_low is None else min(self._feed_low, seq)
        if self.read_only or time.monotonic() - self._feed_refreshed < FEED_REFRESH:
            return
        low, self._feed_low = self._feed_low, None
        self._feed_refreshed = time.monotonic()
        try:
            await self._write("feed position", note_reader, self._feed_name, low, now_us)
        except StoreError as exc:  # best effort: a busy or full disk must not fail the read that triggered it
            log.debug("feed position not recorded: %s", exc)

    async def register_feed_reader(self, name: str, seq: int, *, now_us: int) -> None:
        """An explicit reader (another process's name and position); expires after READER_TTL unless refreshed."""
        await self._write("feed position", note_reader, name, seq, now_us)

    async def forget_feed_reader(self, name: str | None = None) -> None:
        """Drop a reader's row (this store's own when `name` is None: a cleanly closed store pins nothing)."""
        if name is None and (self.read_only or self._feed_refreshed == float("-inf")):
            return
        await self._write("feed position", forget_reader, name or self._feed_name)

    async def prune_feed(self, *, now_us: int) -> int:
        """Delete the feed rows every live reader has passed (see the module docstring); returns how many."""
        keep_us = int(FEED_KEEP / timedelta(microseconds=1))
        ttl_us = int(READER_TTL / timedelta(microseconds=1))
        total = 0
        while True:  # one short transaction per PRUNE_PER_TRANSACTION rows
            deleted: int = await self._write("feed prune", prune, now_us, keep_us, ttl_us)
            total += deleted
            if deleted < PRUNE_PER_TRANSACTION:
                return total
