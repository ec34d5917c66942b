"""A synchronous, query-only look at a job store for one-shot commands (`jobs list`, `jobs show`).

Why not the JobStore: opening it starts an event loop and two connection threads, takes the writer's path (WAL
switch, schema check, bookkeeping catch-up), and imports asyncio (with ssl, sockets, concurrent.futures) for the
sake of a query or two: most of what `jobs list` cost beyond the interpreter (issue 18 item 3). A snapshot is one
plain sqlite3 connection, `query_only`, each read one deferred transaction (a page and its count agree), running
the very same query functions the store runs on its reader thread (store/ops_read.py).

It opens only a store that is exactly at this version: an empty, older, newer or foreign file (or any error while
finding out) gives None, and the caller opens the full store, which migrates it or says what is wrong, exactly as
before. Errors during reads are the store's own one-line StoreErrors (store/errors.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import Attempt, LinkJob, utcnow
from inolink_tui.store import ops_read
from inolink_tui.store.codec import to_us
from inolink_tui.store.errors import translate
from inolink_tui.store.files import prepare_path
from inolink_tui.store.schema import SCHEMA_VERSION, user_version

T = TypeVar("T")

BUSY_TIMEOUT_MS = 5000
"""As the store's (sqlite.DEFAULT_BUSY_TIMEOUT_MS): a reader waits this long only while a checkpoint or recovery
holds the file; WAL lets it read beside the engine's writes."""


class StoreSnapshot:
    """Read-only queries on one connection; close it (or use `with`) when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path, busy_timeout_ms: int) -> None:
        self.path = path
        self._conn = conn
        self._busy_timeout_ms = busy_timeout_ms

    def _read(self, fn: Callable[..., T], *args: Any) -> T:
        conn = self._conn
        try:
            conn.execute("BEGIN")
            try:
                return fn(conn, *args)
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise translate(exc, self.path, self._busy_timeout_ms) from exc

    def page_after(
        self, filter: JobFilter | None, sort: JobSort | None, after: LinkJob | None, *, limit: int, now: datetime
    ) -> list[LinkJob]:
        """As JobStore.page_after."""
        if limit < 0:
            raise ValueError(f"limit must not be negative (got {limit})")
        return self._read(ops_read.page_after, filter, sort, after, limit, to_us(now))

    def count(self, filter: JobFilter | None, *, now: datetime | None = None) -> int:
        """As JobStore.count."""
        return self._read(ops_read.count, filter, to_us(now if now is not None else utcnow()))

    def get(self, job_id: int) -> LinkJob:
        """As JobStore.get: JobNotFoundError when there is no such job."""
        return self._read(ops_read.get, job_id)

    def attempts(self, job_id: int) -> list[Attempt]:
        """As JobStore.attempts."""
        return self._read(ops_read.attempts, job_id)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> StoreSnapshot:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()


def open_snapshot(
    path: Path, *, read_only: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> StoreSnapshot | None:
    """The store at `path` for reading, or None when it is not a job store at exactly this version (open the
    JobStore then: it migrates, or reports the problem). A missing file is the store's StoreOpenError.

    `read_only` (`--read-only`) opens the file read-only (`mode=ro`), as the read-only JobStore does; otherwise
    read-write as its reader does, which a WAL file needs when no other process has it open."""
    path = prepare_path(Path(path), read_only=True, create=False)
    uri = path.as_uri() + ("?mode=ro" if read_only else "?mode=rw")
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout_ms / 1000)
    except sqlite3.Error:
        return None
    try:
        conn.execute("PRAGMA query_only = ON")
        if user_version(conn) != SCHEMA_VERSION:
            conn.close()
            return None
        if conn.execute("SELECT 1 FROM meta WHERE key = 'request_id_prefix'").fetchone() is None:
            conn.close()
            return None
    except sqlite3.Error:  # locked, corrupt, not ours: the full open says which, in its own words
        conn.close()
        return None
    return StoreSnapshot(conn, path, busy_timeout_ms)
