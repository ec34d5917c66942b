"""Job lifecycle transactions, as plain functions over an sqlite3 connection.

Each function is the whole body of one `BEGIN IMMEDIATE` transaction and runs on the connection's
own thread in a single hop, so a transaction never interleaves with another coroutine's statements
and costs one thread round-trip instead of one per statement.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Sequence
from datetime import UTC
from typing import cast

from inolink_tui.domain.enums import AttemptOutcome, LinkStatus
from inolink_tui.domain.jobs import (
    Attempt,
    JobFailure,
    JobSuccess,
    LinkJob,
    NewJob,
    check_transition,
    record_key,
)
from inolink_tui.store.base import EnqueueResult, JobNotFoundError, LeaseLostError, StoreError
from inolink_tui.store.codec import (
    ATTEMPT_COLUMNS,
    EPOCH,
    JOB_COLUMNS,
    ONE_US,
    attempt_from_row,
    dumps,
    fold,
    job_from_row,
    to_us,
)
from inolink_tui.store.submitted import note_inserted, note_submitted
from inolink_tui.store.tally import TALLY_FOLD_MIN, TallyKey, add_enqueued, add_inserted, fold_tally

__all__ = ["TALLY_FOLD_MIN", "fold_tally"]  # re-exported: writers elsewhere fold through this module

_MAX_CLAIM = 10_000


def add_changes(conn: sqlite3.Connection, ids: Sequence[int], kind: str, now_us: int) -> None:
    conn.executemany(
        "INSERT INTO changes(job_id, kind, at) VALUES (?, ?, ?)", [(job_id, kind, now_us) for job_id in ids]
    )


def fetch_attempts(conn: sqlite3.Connection, job_id: int) -> list[Attempt]:
    rows = conn.execute(
        f"SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE job_id = ? ORDER BY number", (job_id,)
    ).fetchall()
    return [attempt_from_row(r) for r in rows]


def fetch_job(conn: sqlite3.Connection, job_id: int) -> LinkJob:
    """The job with its attempts; JobNotFoundError if absent."""
    row = conn.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFoundError(f"no job {job_id}")
    return job_from_row(row, tuple(fetch_attempts(conn, job_id)))


def fetch_jobs(conn: sqlite3.Connection, ids: Sequence[int]) -> list[LinkJob]:
    """Jobs with these ids, in the order of `ids` (absent ids are left out)."""
    if not ids:
        return []
    rows = conn.execute(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),)
    ).fetchall()
    by_id = {row[0]: job_from_row(row) for row in rows}
    return [by_id[i] for i in ids if i in by_id]


def enqueue(conn: sqlite3.Connection, jobs: Sequence[NewJob], now_us: int, prefix: str) -> EnqueueResult:
    """Insert the jobs that have no open twin; report the open job that absorbed each duplicate.

    De-duplication happens twice: in Python within the batch, and against the database through the
    partial UNIQUE index (INSERT OR IGNORE), so a batch without duplicates costs no extra lookups.
    """
    depends = {j.depends_on for j in jobs if j.depends_on is not None}
    if depends:
        found = {
            r[0]
            for r in conn.execute(
                "SELECT id FROM jobs WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(sorted(depends)),)
            )
        }
        missing = sorted(depends - found)
        if missing:
            raise ValueError(f"depends_on refers to no job: {', '.join(map(str, missing[:10]))}")
    row = conn.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0),"
        " coalesce((SELECT max(id) FROM jobs), 0))"
    ).fetchone()
    next_id = int(row[0]) + 1
    first_in_batch: dict[tuple[str, str], int] = {}
    # Per input job: (True, new id) or (False, index of the earlier job in this batch it duplicates).
    outcome: list[tuple[bool, int]] = []
    rows: list[tuple[object, ...]] = []
    # Enum members are passed as they are: they are str subclasses whose text is the label, and
    # skipping `.value` (a descriptor call) per column is a measurable share of a big batch.
    # Locals and a hand-inlined record_key: this loop runs once per job of a 50,000-job batch, and
    # attribute lookups and property calls were a fifth of enqueue's time.
    append_row = rows.append
    append_outcome = outcome.append
    tallies: Counter[TallyKey] = Counter()
    for index, job in enumerate(jobs):
        crm_id = job.crm_record_id
        entity = job.entity_type
        source = job.source
        key = f"{entity.value}:crm:{crm_id.lower()}" if crm_id else record_key(entity, crm_id, job.qbo_id)
        twin = first_in_batch.get((key, source))
        if twin is not None:
            append_outcome((False, twin))
            continue
        first_in_batch[(key, source)] = index
        job_id = next_id + len(rows)
        at = job.submitted_at
        submitted = now_us if at is None else (at - EPOCH) // ONE_US if at.tzinfo is UTC else to_us(at)
        if submitted > now_us:
            # A service clock ahead of ours (QuickBooks' LastUpdatedTime, Dataverse's modifiedon) must not date a
            # job in the future: the job is due from its Submitted At, and would wait out the skew in Queued.
            submitted = now_us
        by = job.submitted_by
        by_fold = by.casefold()
        name = job.record_name
        due = job.next_attempt_at
        payload = job.payload
        append_row(
            (
                job_id,
                entity,
                source,
                by,
                by_fold,
                submitted,
                job.qbo_id,
                job.company,
                crm_id,
                name,
                name.casefold(),
                job.qbo_entity,
                job.operation,
                f"{prefix}-{job_id}",
                key,
                submitted if due is None else to_us(due),
                None if payload is None else dumps(payload),
                job.depends_on,
                now_us,
            )
        )
        tallies[(entity.value, source.value, by_fold, job.company)] += 1
        append_outcome((True, job_id))
    added = _insert_rows(conn, rows)
    inserted: set[int] | None = None
    if added != len(rows):
        # Some rows met an open job already in the database; find which, and that job's id.
        inserted = {
            r[0] for r in conn.execute("SELECT id FROM jobs WHERE id >= ? AND id < ?", (next_id, next_id + len(rows)))
        }
    resolved: list[int] = []  # the id each input job ended up as (created, existing or its twin's)
    created: list[int] = []
    existing: list[int] = []
    for index, (is_new, ref) in enumerate(outcome):
        if not is_new:
            twin_id = resolved[ref]
            existing.append(twin_id)
            resolved.append(twin_id)
            continue
        if inserted is not None and ref not in inserted:
            job = jobs[index]
            open_row = conn.execute(
                "SELECT id FROM jobs INDEXED BY jobs_one_open_per_record"
                " WHERE record_key = ? AND source = ? AND link_status = 'Queued'",
                (job.record_key, job.source),
            ).fetchone()
            if open_row is None:
                raise StoreError(f"job for {job.record_key} was neither inserted nor found open")
            existing.append(open_row[0])
            resolved.append(open_row[0])
            continue
        created.append(ref)
        resolved.append(ref)
    index_dirty_text(conn)
    fold_tally(conn)
    if created:
        conn.execute(
            "INSERT INTO changes(job_id, kind, at) SELECT id, 'created', ? FROM jobs WHERE id >= ? AND id < ?"
            " ORDER BY id",
            (now_us, next_id, next_id + len(rows)),
        )
        if inserted is None:
            # Every row went in as a new active Queued job: the counts are known without reading them back.
            add_enqueued(conn, tallies)
            note_submitted(conn, next_id, [cast(int, row[5]) for row in rows])
        else:
            add_inserted(conn, next_id, next_id + len(rows))
            note_inserted(conn, next_id, next_id + len(rows))
        conn.execute(
            "INSERT INTO job_text(text, job_id) SELECT name_fold || char(10) || coalesce(accounting_id, ''), id"
            " FROM jobs WHERE id >= ? AND id < ?",
            (next_id, next_id + len(rows)),
        )
    return EnqueueResult(created=tuple(created), existing=tuple(existing))


_INSERT_JOBS = (
    "INSERT OR IGNORE INTO jobs(id, entity_type, link_status, source, submitted_by, submitted_by_fold,"
    " submitted_at, accounting_id, company, crm_record_id, record_name, name_fold, qbo_entity, operation,"
    " request_id, record_key, next_attempt_at, payload, depends_on, updated_at) VALUES "
)
_ROW = "(?, ?, 'Queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_ROWS_PER_INSERT = 500
"""Rows per multi-row INSERT: 9,500 parameters, well under SQLite's 32,766 limit."""


def _insert_rows(conn: sqlite3.Connection, rows: list[tuple[object, ...]]) -> int:
    """INSERT OR IGNORE the rows; return how many went in.

    Several hundred rows per statement rather than one statement per row (executemany): each
    statement of an AUTOINCREMENT table also reads and rewrites its sqlite_sequence row, and each
    pays SQLite's per-statement setup, which together were about a third of the insert's cost.
    """
    added = 0
    full = _INSERT_JOBS + ", ".join([_ROW] * _ROWS_PER_INSERT)
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        sql = full if len(chunk) == _ROWS_PER_INSERT else _INSERT_JOBS + ", ".join([_ROW] * len(chunk))
        added += conn.execute(sql, [value for row in chunk for value in row]).rowcount
    return added


TEXT_INDEX_BATCH = 5_000
"""Edited jobs indexed per write at most: keeps the claim that does it short."""


def index_dirty_text(conn: sqlite3.Connection, limit: int = TEXT_INDEX_BATCH) -> int:
    """Add the current searchable text of up to `limit` edited jobs to the trigram index."""
    ids = [r[0] for r in conn.execute("SELECT job_id FROM job_text_dirty ORDER BY job_id LIMIT ?", (limit,))]
    if not ids:
        return 0
    ids_json = json.dumps(ids)
    conn.execute(
        "INSERT INTO job_text(text, job_id)"
        " SELECT name_fold || char(10) || coalesce(accounting_id, '') || char(10) || error_fold, id"
        " FROM jobs WHERE id IN (SELECT value FROM json_each(?))",
        (ids_json,),
    )
    conn.execute("DELETE FROM job_text_dirty WHERE job_id IN (SELECT value FROM json_each(?))", (ids_json,))
    return len(ids)


def claim(
    conn: sqlite3.Connection,
    worker: str,
    limit: int,
    lease_us: int,
    sources: Sequence[str],
    entity_types: Sequence[str],
    now_us: int,
) -> list[LinkJob]:
    """Lease up to `limit` due jobs, oldest first, at most one per record key."""
    index_dirty_text(conn)
    fold_tally(conn)
    if limit <= 0:
        return []
    limit = min(limit, _MAX_CLAIM)
    extra = ""
    params: list[object] = [now_us, now_us, now_us]
    if sources:
        extra += f" AND j.source IN ({', '.join('?' * len(sources))})"
        params.extend(sources)
    if entity_types:
        extra += f" AND j.entity_type IN ({', '.join('?' * len(entity_types))})"
        params.extend(entity_types)
    params.append(limit * 2 + 16)
    candidates = conn.execute(
        "SELECT j.id, j.record_key FROM jobs j INDEXED BY jobs_due"
        " WHERE j.link_status = 'Queued' AND j.next_attempt_at <= ?"
        " AND (j.lease_until IS NULL OR j.lease_until <= ?)"
        " AND (j.depends_on IS NULL OR NOT EXISTS"
        "      (SELECT 1 FROM jobs d WHERE d.id = j.depends_on AND d.link_status = 'Queued'))"
        " AND NOT EXISTS (SELECT 1 FROM jobs o INDEXED BY jobs_one_open_per_record"
        "      WHERE o.record_key = j.record_key AND o.link_status = 'Queued'"
        "      AND o.id <> j.id AND o.lease_until > ?)" + extra + " ORDER BY j.next_attempt_at, j.id LIMIT ?",
        params,
    ).fetchall()
    chosen: list[int] = []
    keys: set[str] = set()
    for job_id, key in candidates:
        if key in keys:
            continue
        keys.add(key)
        chosen.append(job_id)
        if len(chosen) == limit:
            break
    if not chosen:
        return []
    ids_json = json.dumps(chosen)
    conn.execute(
        "UPDATE jobs SET lease_worker = ?, lease_until = ?, updated_at = ?"
        " WHERE id IN (SELECT value FROM json_each(?))",
        (worker, now_us + lease_us, now_us, ids_json),
    )
    add_changes(conn, chosen, "claimed", now_us)
    return fetch_jobs(conn, chosen)


def held(conn: sqlite3.Connection, job_id: int, worker: str) -> tuple[LinkStatus, int]:
    """(status, processed count) of a job `worker` still holds; LeaseLostError otherwise.

    A lease that ran out but was not taken by anyone else still belongs to its worker: finishing
    the work then is harmless, while refusing it would throw away a completed API call.
    """
    row = conn.execute("SELECT link_status, lease_worker, processed_count FROM jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise JobNotFoundError(f"no job {job_id}")
    status, holder, count = row
    if holder != worker:
        who = f"now held by {holder}" if holder else f"released; it is {status}"
        raise LeaseLostError(f"job {job_id}: {worker} no longer holds its lease ({who})")
    return LinkStatus(status), int(count)


def add_attempt(
    conn: sqlite3.Connection,
    job_id: int,
    *,
    started_us: int,
    duration_ms: int,
    outcome: AttemptOutcome,
    worker: str,
    http_status: int | None = None,
    error_code: str | None = None,
    message: str | None = None,
) -> None:
    conn.execute(
        "INSERT INTO attempts(job_id, number, started_at, duration_ms, outcome, http_status, error_code, message,"
        " worker) VALUES (?, (SELECT count(*) + 1 FROM attempts WHERE job_id = ?), ?, ?, ?, ?, ?, ?, ?)",
        (job_id, job_id, started_us, duration_ms, outcome.value, http_status, error_code, message, worker),
    )


def complete(
    conn: sqlite3.Connection, job_id: int, worker: str, success: JobSuccess, duration_ms: int, now_us: int
) -> LinkJob:
    """Queued -> Success. The hot path is one UPDATE that also checks the lease and returns the row."""
    rows = conn.execute(
        "UPDATE jobs SET link_status = 'Success', processed_at = ?, processed_count = processed_count + 1,"
        " accounting_id = coalesce(?, accounting_id), qbo_entity = coalesce(?, qbo_entity),"
        " crm_record_id = coalesce(?, crm_record_id), record_name = coalesce(?, record_name),"
        " name_fold = coalesce(?, name_fold), payload = coalesce(?, payload), operation = coalesce(?, operation),"
        " error_description = NULL, error_fold = '', error_code = NULL, error_class = NULL,"
        " lease_worker = NULL, lease_until = NULL, updated_at = ?"
        f" WHERE id = ? AND lease_worker = ? AND link_status = 'Queued' RETURNING {JOB_COLUMNS}",
        (
            now_us,
            success.accounting_id,
            success.qbo_entity,
            success.crm_record_id,
            success.record_name,
            fold(success.record_name) if success.record_name is not None else None,
            dumps(success.payload),
            success.operation,
            now_us,
            job_id,
            worker,
        ),
    ).fetchall()
    if not rows:
        status, _ = held(conn, job_id, worker)  # raises JobNotFoundError or LeaseLostError
        check_transition(job_id, status, LinkStatus.SUCCESS)  # raises for a job that is not Queued
        raise StoreError(f"job {job_id}: completion matched no row")  # unreachable: leases live on Queued jobs
    add_attempt(
        conn,
        job_id,
        started_us=now_us - duration_ms * 1000,
        duration_ms=duration_ms,
        outcome=AttemptOutcome.SUCCESS,
        worker=worker,
        message=success.message,
    )
    add_changes(conn, [job_id], "completed", now_us)
    return job_from_row(rows[0])


def fail(
    conn: sqlite3.Connection,
    job_id: int,
    worker: str,
    failure: JobFailure,
    max_attempts: int,
    duration_ms: int,
    now_us: int,
) -> LinkJob:
    status, count = held(conn, job_id, worker)
    attempts = count + 1
    retry = failure.error_class.retryable and attempts < max_attempts and failure.retry_at is not None
    wanted = LinkStatus.QUEUED if retry else LinkStatus.ERROR
    check_transition(job_id, status, wanted)
    next_attempt = to_us(failure.retry_at) if retry and failure.retry_at is not None else None
    rows = conn.execute(
        "UPDATE jobs SET link_status = ?, processed_at = ?, processed_count = ?, next_attempt_at = ?,"
        " error_description = ?, error_fold = ?, error_code = ?, error_class = ?,"
        f" lease_worker = NULL, lease_until = NULL, updated_at = ? WHERE id = ? RETURNING {JOB_COLUMNS}",
        (
            wanted.value,
            now_us,
            attempts,
            next_attempt,
            failure.description,
            fold(failure.description),
            failure.error_code,
            failure.error_class.value,
            now_us,
            job_id,
        ),
    ).fetchall()
    add_attempt(
        conn,
        job_id,
        started_us=now_us - duration_ms * 1000,
        duration_ms=duration_ms,
        outcome=AttemptOutcome.RETRY if retry else AttemptOutcome.ERROR,
        worker=worker,
        http_status=failure.http_status,
        error_code=failure.error_code,
        message=failure.description,
    )
    add_changes(conn, [job_id], "retry" if retry else "failed", now_us)
    return job_from_row(rows[0])


def release(conn: sqlite3.Connection, job_id: int, worker: str, reason: str, now_us: int) -> None:
    held(conn, job_id, worker)
    conn.execute(
        "UPDATE jobs SET lease_worker = NULL, lease_until = NULL, updated_at = ? WHERE id = ?", (now_us, job_id)
    )
    add_attempt(
        conn,
        job_id,
        started_us=now_us,
        duration_ms=0,
        outcome=AttemptOutcome.RELEASED,
        worker=worker,
        message=reason or None,
    )
    add_changes(conn, [job_id], "released", now_us)


def heartbeat(conn: sqlite3.Connection, job_id: int, worker: str, lease_us: int, now_us: int) -> None:
    """Extend a lease. Not a change-feed event: nothing a viewer shows changes."""
    held(conn, job_id, worker)
    conn.execute("UPDATE jobs SET lease_until = ? WHERE id = ?", (now_us + lease_us, job_id))
