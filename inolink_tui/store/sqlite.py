"""SqliteJobStore: the JobStore on one SQLite file, shared safely by several processes.

Two SQLite connections per store, each on its own thread (store/executor.py):
- a writer whose every transaction starts with `BEGIN IMMEDIATE` (a deferred BEGIN that later
  upgrades to a write lock fails at once with "database is locked" when another process got there
  first; IMMEDIATE takes the lock up front), retried in short jittered steps up to the busy
  timeout, and fed by a group committer so concurrent calls share one commit;
- a query-only reader, so the console's paging never queues behind the engine's writes. WAL mode
  lets it see the last committed state while a writer works.
Each transaction body is a plain function over sqlite3 (ops_*.py) run on the connection's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import random
import sqlite3
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from inolink_tui.domain.enums import EntityType, Source
from inolink_tui.domain.filters import MAX_JOB_ID, JobCounts, JobFilter, JobSort
from inolink_tui.domain.jobs import Attempt, JobFailure, JobSuccess, LinkJob, NewJob, record_key, utcnow
from inolink_tui.domain.links import RecordLink
from inolink_tui.store import ops_admin, ops_jobs, ops_misc, ops_read, ops_wait
from inolink_tui.store.base import (
    AuditEntry,
    BulkResult,
    Change,
    ControlRequest,
    EnqueueResult,
    JobNotFoundError,
    JobPage,
    ReadOnlyError,
    SchedulerLease,
    StoreError,
)
from inolink_tui.store.codec import to_us
from inolink_tui.store.errors import StoreSchemaError, translate
from inolink_tui.store.executor import SqliteThread
from inolink_tui.store.feed import FeedReaderMixin
from inolink_tui.store.files import prepare_path, refuse_foreign, tighten
from inolink_tui.store.groupcommit import GroupCommitter, run_batch
from inolink_tui.store.schema import SCHEMA_VERSION, migrate, user_version

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_BUSY_TIMEOUT_MS = 5000
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


def _now_us(now: datetime | None) -> int:
    return to_us(now if now is not None else utcnow())


def _seconds_us(seconds: float) -> int:
    if seconds <= 0:
        raise ValueError(f"a lease must last a positive time, got {seconds} s")
    return int(timedelta(seconds=seconds) / timedelta(microseconds=1))


def _begin_immediate(conn: sqlite3.Connection, timeout_ms: int) -> None:
    """Take the write lock, retrying every millisecond or two until `timeout_ms` has passed.

    SQLite's own busy handler backs off to 100 ms sleeps, so under a steady stream of short
    transactions from another process it keeps missing the gaps and gives up ("database is locked")
    after the timeout although the lock was free most of the time. Short jittered retries find the
    gaps; the writer connection therefore has busy_timeout 0 and waits here instead.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if code not in (_SQLITE_BUSY, _SQLITE_LOCKED) or time.monotonic() >= deadline:
                raise
        time.sleep(random.uniform(0.0002, 0.002))


def _read_tx(conn: sqlite3.Connection, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """A deferred transaction: every statement of `fn` sees the same snapshot (page + total agree)."""
    conn.execute("BEGIN")
    try:
        return fn(conn, *args, **kwargs)
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


CACHE_KIB = 65_536
"""Page cache per connection (64 MiB). SQLite's default of 2 MiB holds a few percent of the
indexes of a million-job store, so every batched insert or completion re-read its b-tree pages
from the OS; at this size the hot upper levels and recent leaves of every index stay resident."""

MMAP_BYTES = 1 << 30
"""Memory-mapped reads up to 1 GiB: pages are read from the OS cache without a copy. Address space,
not memory: the kernel shares these pages with its file cache."""


def _configure(conn: sqlite3.Connection, busy_timeout_ms: int, writer: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    conn.execute("PRAGMA temp_store = MEMORY")
    if writer:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("journal_mode is %s, not WAL: readers and writers will block each other", mode)
        # NORMAL in WAL mode: a power cut may lose the last commits but never corrupts the file.
        conn.execute("PRAGMA synchronous = NORMAL")
    else:
        conn.execute("PRAGMA query_only = ON")


def _check_version(conn: sqlite3.Connection, path: Path) -> str:
    version = user_version(conn)
    if version == 0:
        raise StoreSchemaError(f"{path}: not an inolink-tui job store (empty schema)")
    if version < SCHEMA_VERSION:
        raise StoreSchemaError(
            f"{path}: schema version {version} needs upgrading to {SCHEMA_VERSION}; open it once without --read-only"
        )
    if version > SCHEMA_VERSION:
        raise StoreSchemaError(
            f"{path}: schema version {version} is newer than this inolink-tui understands ({SCHEMA_VERSION})"
        )
    return str(conn.execute("SELECT value FROM meta WHERE key = 'request_id_prefix'").fetchone()[0])


def _prepare_writer(conn: sqlite3.Connection, busy_timeout_ms: int, path: Path) -> str:
    refuse_foreign(conn, path)  # before WAL and the migrations change anything in another application's file
    tighten(path)  # ours: no longer readable by every user (see store/files.py)
    _configure(conn, busy_timeout_ms, writer=True)
    conn.execute("PRAGMA busy_timeout = 0")  # _begin_immediate does the waiting (see there)
    migrate(conn, begin=functools.partial(_begin_immediate, timeout_ms=busy_timeout_ms))
    _tidy(conn, busy_timeout_ms)
    # Every write starts with _begin_immediate, which does its own waiting; once it holds the
    # write lock nothing else in WAL mode can make a statement busy.
    return _check_version(conn, path)


def _tidy(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Catch up on the bookkeeping writers do in passing (tally deltas, text index), once, when a writer opens.

    Claims and enqueues keep both short while an engine runs; a store written by other means (an older version,
    a bulk import, a crash before the next claim) can carry a long backlog, and every console count would then
    sum it again. Folding it here costs one statement, once.
    """
    deltas = conn.execute("SELECT 1 FROM job_tally_delta LIMIT 1 OFFSET ?", (ops_jobs.TALLY_FOLD_MIN - 1,)).fetchone()
    if deltas is None and conn.execute("SELECT 1 FROM job_text_dirty LIMIT 1").fetchone() is None:
        return  # the usual case: nothing to catch up on, so no write lock is taken at start-up
    started = time.perf_counter()
    _begin_immediate(conn, timeout_ms=busy_timeout_ms)
    try:
        ops_jobs.fold_tally(conn)
        ops_jobs.index_dirty_text(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    took = time.perf_counter() - started
    if took > 0.5:
        log.info("store bookkeeping caught up in %.1f s (tally deltas folded, text index extended)", took)


def _prepare_reader(conn: sqlite3.Connection, busy_timeout_ms: int, path: Path) -> str:
    _configure(conn, busy_timeout_ms, writer=False)
    return _check_version(conn, path)


class SqliteJobStore(FeedReaderMixin):
    """The JobStore Protocol on SQLite (see store/base.py for the semantics every method keeps)."""

    def __init__(
        self,
        path: Path,
        *,
        reader: SqliteThread,
        writer: SqliteThread | None,
        request_id_prefix: str,
        busy_timeout_ms: int,
    ) -> None:
        self.path = path
        self.read_only = writer is None
        self._reader = reader
        self._writer = writer
        self._prefix = request_id_prefix
        self._busy_timeout_ms = busy_timeout_ms
        self._committer: GroupCommitter | None = None
        self._init_feed_reader()
        if writer is not None:
            begin = functools.partial(_begin_immediate, timeout_ms=busy_timeout_ms)
            self._committer = GroupCommitter(lambda calls: writer.run(run_batch, begin, calls))

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        read_only: bool = False,
        create: bool = True,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> SqliteJobStore:
        """Open the store at `path`; `create` allows making it (and its folder) when there is none."""
        path = await asyncio.to_thread(prepare_path, Path(path), read_only=read_only, create=create)
        writer: SqliteThread | None = None
        reader: SqliteThread | None = None
        timeout = busy_timeout_ms / 1000
        try:
            if not read_only:
                # mode=rw: the file exists (prepare_path made it, owner-only); never let SQLite create another
                rw = path.as_uri() + "?mode=rw"
                writer = await SqliteThread.connect(rw, uri=True, isolation_level=None, timeout=timeout)
                prefix = await writer.run(_prepare_writer, busy_timeout_ms, path)
                reader = await SqliteThread.connect(rw, uri=True, isolation_level=None, timeout=timeout)
            else:
                uri = path.as_uri() + "?mode=ro"
                reader = await SqliteThread.connect(uri, uri=True, isolation_level=None, timeout=timeout)
            prefix = await reader.run(_prepare_reader, busy_timeout_ms, path)
        except sqlite3.Error as exc:
            await _close_quietly(writer, reader)
            raise translate(exc, path, busy_timeout_ms) from exc
        except BaseException:
            await _close_quietly(writer, reader)
            raise
        return cls(path, reader=reader, writer=writer, request_id_prefix=prefix, busy_timeout_ms=busy_timeout_ms)

    async def close(self) -> None:
        if self._committer is not None:
            with contextlib.suppress(StoreError):
                await self.forget_feed_reader()
            await self._committer.drain()
        await _close_quietly(self._writer, self._reader)

    async def __aenter__(self) -> SqliteJobStore:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- plumbing --------------------------------------------------------------------------
    async def _write(
        self, action: str, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kw: P.kwargs
    ) -> T:
        if self._committer is None:
            raise ReadOnlyError(f"read-only: {action} refused (started with --read-only)")
        try:
            result: T = await self._committer.submit(fn, *args, **kw)
            return result
        except sqlite3.Error as exc:
            raise translate(exc, self.path, self._busy_timeout_ms) from exc

    async def _read(self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kw: P.kwargs) -> T:
        try:
            return await self._reader.run(_read_tx, fn, *args, **kw)
        except sqlite3.Error as exc:
            raise translate(exc, self.path, self._busy_timeout_ms) from exc

    # --- jobs: lifecycle -------------------------------------------------------------------
    async def enqueue(self, jobs: Sequence[NewJob], *, now: datetime | None = None) -> EnqueueResult:
        if not jobs:
            if self._writer is None:
                raise ReadOnlyError("read-only: enqueue refused (started with --read-only)")
            return EnqueueResult()
        return await self._write("enqueue", ops_jobs.enqueue, list(jobs), _now_us(now), self._prefix)

    async def claim(
        self,
        worker: str,
        *,
        limit: int = 1,
        lease_seconds: float = 60.0,
        sources: Sequence[Source] = (),
        entity_types: Sequence[EntityType] = (),
        now: datetime | None = None,
    ) -> list[LinkJob]:
        return await self._write(
            "claim",
            ops_jobs.claim,
            worker,
            limit,
            _seconds_us(lease_seconds),
            [s.value for s in sources],
            [e.value for e in entity_types],
            _now_us(now),
        )

    async def heartbeat(self, job_id: int, worker: str, *, lease_seconds: float, now: datetime | None = None) -> None:
        await self._write("heartbeat", ops_jobs.heartbeat, job_id, worker, _seconds_us(lease_seconds), _now_us(now))

    async def complete(
        self, job_id: int, worker: str, success: JobSuccess, *, duration_ms: int = 0, now: datetime | None = None
    ) -> LinkJob:
        """See JobStore.complete. The returned job carries no attempt history (get() loads it)."""
        return await self._write(
            "complete", ops_jobs.complete, job_id, worker, success, max(0, duration_ms), _now_us(now)
        )

    async def fail(
        self,
        job_id: int,
        worker: str,
        failure: JobFailure,
        *,
        max_attempts: int,
        duration_ms: int = 0,
        now: datetime | None = None,
    ) -> LinkJob:
        """See JobStore.fail. The returned job carries no attempt history (get() loads it)."""
        return await self._write(
            "fail", ops_jobs.fail, job_id, worker, failure, max_attempts, max(0, duration_ms), _now_us(now)
        )

    async def release(self, job_id: int, worker: str, *, reason: str = "", now: datetime | None = None) -> None:
        await self._write("release", ops_jobs.release, job_id, worker, reason, _now_us(now))

    async def defer(
        self, job_id: int, worker: str, *, until: datetime, reason: str, now: datetime | None = None
    ) -> None:
        await self._write("defer", ops_wait.defer, job_id, worker, to_us(until), reason, _now_us(now))

    async def requeue(
        self, actor: str, *, ids: Sequence[int] = (), filter: JobFilter | None = None, now: datetime | None = None
    ) -> BulkResult:
        if ids and filter is not None:
            raise ValueError("requeue takes job ids or a filter, not both")
        if filter is not None:
            return await self._write("requeue", ops_admin.requeue_filter, actor, filter, _now_us(now))
        return await self._write("requeue", ops_admin.requeue_ids, actor, list(ids), _now_us(now))

    async def mark_error(
        self,
        actor: str,
        ids: Sequence[int],
        *,
        reason: str = "Marked as Error by operator",
        now: datetime | None = None,
    ) -> BulkResult:
        return await self._write("mark-error", ops_admin.mark_error, actor, list(ids), reason, _now_us(now))

    async def set_inactive(
        self, actor: str, ids: Sequence[int], inactive: bool, *, now: datetime | None = None
    ) -> BulkResult:
        action = "set-inactive" if inactive else "set-active"
        return await self._write(action, ops_admin.set_inactive, actor, list(ids), inactive, _now_us(now))

    # --- jobs: reading ---------------------------------------------------------------------
    async def get(self, job_id: int) -> LinkJob:
        if not 0 < job_id <= MAX_JOB_ID:  # no such job, and SQLite could not even bind a larger number
            raise JobNotFoundError(f"no job {job_id}")
        return await self._read(ops_read.get, job_id)

    async def get_many(self, ids: Sequence[int]) -> list[LinkJob]:
        return await self._read(ops_read.get_many, list(ids))

    async def attempts(self, job_id: int) -> list[Attempt]:
        return await self._read(ops_read.attempts, job_id)

    async def count(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> int:
        return await self._read(ops_read.count, filter, _now_us(now))

    async def counts(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> JobCounts:
        return await self._read(ops_read.counts, filter, _now_us(now))

    async def page(
        self,
        filter: JobFilter | None = None,
        sort: JobSort | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        with_total: bool = False,
        now: datetime | None = None,
    ) -> JobPage:
        if offset < 0 or limit < 0:
            raise ValueError(f"offset and limit must not be negative (got offset={offset}, limit={limit})")
        return await self._read(ops_read.page, filter, sort, offset, limit, with_total, _now_us(now))

    async def page_after(
        self,
        filter: JobFilter | None,
        sort: JobSort | None,
        after: LinkJob | None,
        *,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[LinkJob]:
        if limit < 0:
            raise ValueError(f"limit must not be negative (got {limit})")
        return await self._read(ops_read.page_after, filter, sort, after, limit, _now_us(now))

    async def open_job_for(self, entity_type: EntityType, crm_record_id: str, source: Source) -> LinkJob | None:
        return await self._read(ops_read.open_job_for, record_key(entity_type, crm_record_id), source)

    async def jobs_for_record(self, entity_type: EntityType, crm_record_id: str, *, limit: int = 50) -> list[LinkJob]:
        return await self._read(ops_read.jobs_for_record, record_key(entity_type, crm_record_id), limit)

    # --- change feed and audit -------------------------------------------------------------
    async def latest_seq(self) -> int:
        return await self._read(ops_read.latest_seq)

    async def changes_since(self, seq: int, *, limit: int = 1000) -> list[Change]:
        changes = await self._read(ops_read.changes_since, seq, limit)
        await self._note_feed_read(seq, _now_us(None))  # registers this reader (see store/feed.py)
        return changes

    async def audit_log(self, *, limit: int = 100) -> list[AuditEntry]:
        return await self._read(ops_read.audit_log, limit)

    async def record_audit(
        self, actor: str, action: str, detail: str, job_count: int, *, now: datetime | None = None
    ) -> int:
        return await self._write(action, ops_admin.record_audit, actor, action, detail, job_count, _now_us(now))

    # --- record links, cursors -------------------------------------------------------------
    async def get_link(self, entity_type: EntityType, crm_id: str) -> RecordLink | None:
        return await self._read(ops_misc.get_link, entity_type, crm_id)

    async def find_link_by_qbo(self, qbo_entity: str, qbo_id: str, company: str) -> RecordLink | None:
        return await self._read(ops_misc.find_link_by_qbo, qbo_entity, qbo_id, company)

    async def links(self, entity_type: EntityType, company: str) -> list[RecordLink]:
        return await self._read(ops_misc.links, entity_type, company)

    async def upsert_link(self, link: RecordLink) -> None:
        await self._write("record-link update", ops_misc.upsert_link, link, _now_us(None))

    async def get_cursor(self, name: str) -> str | None:
        return await self._read(ops_misc.get_cursor, name)

    async def set_cursor(self, name: str, value: str) -> None:
        await self._write("cursor update", ops_misc.set_cursor, name, value, _now_us(None))

    # --- scheduler lease and control requests ----------------------------------------------
    async def acquire_scheduler_lease(
        self, holder: str, pid: int, *, ttl_seconds: float, now: datetime | None = None
    ) -> SchedulerLease | None:
        return await self._write(
            "scheduler lease", ops_misc.acquire_scheduler_lease, holder, pid, _seconds_us(ttl_seconds), _now_us(now)
        )

    async def release_scheduler_lease(self, holder: str) -> None:
        await self._write("scheduler lease release", ops_misc.release_scheduler_lease, holder)

    async def scheduler_lease(self, *, now: datetime | None = None) -> SchedulerLease | None:
        return await self._read(ops_misc.scheduler_lease, _now_us(now))

    async def post_request(self, actor: str, kind: str, args: dict[str, Any], *, now: datetime | None = None) -> int:
        return await self._write(f"{kind} request", ops_misc.post_request, actor, kind, args, _now_us(now))

    async def take_requests(self, taker: str, *, now: datetime | None = None) -> list[ControlRequest]:
        return await self._write("taking requests", ops_misc.take_requests, taker, _now_us(now))


async def _close_quietly(*connections: SqliteThread | None) -> None:
    for db in connections:
        if db is None:
            continue
        try:
            await db.close()
        except (sqlite3.Error, ValueError) as exc:  # already closed, or closing a broken file
            log.debug("closing store connection: %s", exc)


__all__ = ["DEFAULT_BUSY_TIMEOUT_MS", "SqliteJobStore", "StoreError"]
