"""Operator actions (requeue, mark as Error, inactive) as single transactions with one audit row each."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import TransitionError, check_transition
from inolink_tui.store.base import BulkResult
from inolink_tui.store.codec import fold
from inolink_tui.store.ops_jobs import add_changes, fold_tally
from inolink_tui.store.sqlfilter import where_for

_IDS_IN_AUDIT = 20


def record_audit(conn: sqlite3.Connection, actor: str, action: str, detail: str, job_count: int, now_us: int) -> int:
    """Every operator action ends here, in its own transaction: fold the tally deltas it appended (a requeue of
    100,000 jobs appends 200,000), so the counts every console reads stay one short table, not a long sum."""
    fold_tally(conn)
    cursor = conn.execute(
        "INSERT INTO audit(at, actor, action, detail, job_count) VALUES (?, ?, ?, ?, ?)",
        (now_us, actor, action, detail, job_count),
    )
    return int(cursor.lastrowid or 0)


def _describe_ids(ids: Sequence[int], skipped: dict[int, str]) -> str:
    shown = ", ".join(str(i) for i in ids[:_IDS_IN_AUDIT])
    more = f" and {len(ids) - _IDS_IN_AUDIT} more" if len(ids) > _IDS_IN_AUDIT else ""
    text = f"ids {shown}{more}" if ids else "no ids"
    if skipped:
        text += f"; skipped {len(skipped)}"
    return text


def _unique(ids: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(int(i) for i in ids))


def _rows(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[str, str, str, int]]:
    """id -> (status, record_key, source, inactive) for the ids that exist."""
    rows = conn.execute(
        "SELECT id, link_status, record_key, source, inactive FROM jobs WHERE id IN (SELECT value FROM json_each(?))",
        (json.dumps(list(ids)),),
    ).fetchall()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def requeue_ids(conn: sqlite3.Connection, actor: str, ids: Sequence[int], now_us: int) -> BulkResult:
    wanted = _unique(ids)
    found = _rows(conn, wanted)
    changed: list[int] = []
    skipped: dict[int, str] = {}
    for job_id in wanted:
        if job_id not in found:
            skipped[job_id] = f"no job {job_id}"
            continue
        status, key, source, _ = found[job_id]
        try:
            check_transition(job_id, LinkStatus(status), LinkStatus.QUEUED)
        except TransitionError as exc:
            skipped[job_id] = str(exc)
            continue
        if status != LinkStatus.ERROR:
            skipped[job_id] = f"job {job_id} is {status}; only Error jobs can be requeued"
            continue
        other = conn.execute(
            "SELECT id FROM jobs INDEXED BY jobs_one_open_per_record"
            " WHERE record_key = ? AND source = ? AND link_status = 'Queued'",
            (key, source),
        ).fetchone()
        if other is not None:
            skipped[job_id] = f"job {job_id}: job {other[0]} is already queued for the same record"
            continue
        _requeue_one(conn, job_id, now_us)
        changed.append(job_id)
    add_changes(conn, changed, "requeued", now_us)
    audit_id = record_audit(conn, actor, "requeue", _describe_ids(wanted, skipped), len(changed), now_us)
    return BulkResult(changed=tuple(changed), skipped=skipped, audit_id=audit_id)


def _requeue_one(conn: sqlite3.Connection, job_id: int, now_us: int) -> None:
    conn.execute(
        "UPDATE jobs SET link_status = 'Queued', next_attempt_at = ?, lease_worker = NULL, lease_until = NULL,"
        " updated_at = ? WHERE id = ?",
        (now_us, now_us, job_id),
    )


def requeue_filter(conn: sqlite3.Connection, actor: str, filter: JobFilter, now_us: int) -> BulkResult:
    """Requeue every Error job the filter selects, in one UPDATE.

    Per record and Source only the newest Error job is requeued, and none where a Queued job
    already exists: the partial UNIQUE index allows one open job per record, and so does InoLink.
    """
    where = where_for(filter, now_us, alias="j")
    rows = conn.execute(
        "WITH candidates AS ("
        "  SELECT j.id, row_number() OVER (PARTITION BY j.record_key, j.source ORDER BY j.id DESC) AS rn"
        "  FROM jobs j WHERE j.link_status = 'Error' AND (" + where.sql + ")"
        "  AND NOT EXISTS (SELECT 1 FROM jobs o INDEXED BY jobs_one_open_per_record"
        "                  WHERE o.record_key = j.record_key AND o.source = j.source"
        "                  AND o.link_status = 'Queued'))"
        " UPDATE jobs SET link_status = 'Queued', next_attempt_at = ?, lease_worker = NULL, lease_until = NULL,"
        " updated_at = ? WHERE id IN (SELECT id FROM candidates WHERE rn = 1) RETURNING id",
        (*where.params, now_us, now_us),
    ).fetchall()
    changed = sorted(r[0] for r in rows)
    add_changes(conn, changed, "requeued", now_us)
    audit_id = record_audit(conn, actor, "requeue", f"filter: {filter.describe()}", len(changed), now_us)
    return BulkResult(changed=tuple(changed), skipped={}, audit_id=audit_id)


def mark_error(conn: sqlite3.Connection, actor: str, ids: Sequence[int], reason: str, now_us: int) -> BulkResult:
    wanted = _unique(ids)
    found = _rows(conn, wanted)
    changed: list[int] = []
    skipped: dict[int, str] = {}
    for job_id in wanted:
        if job_id not in found:
            skipped[job_id] = f"no job {job_id}"
            continue
        status = found[job_id][0]
        if status != LinkStatus.QUEUED:
            skipped[job_id] = f"job {job_id} is {status}; only Queued jobs can be marked as Error"
            continue
        check_transition(job_id, LinkStatus.QUEUED, LinkStatus.ERROR)
        changed.append(job_id)
    if changed:
        conn.execute(
            "UPDATE jobs SET link_status = 'Error', error_description = ?, error_fold = ?, error_code = NULL,"
            " error_class = NULL, lease_worker = NULL, lease_until = NULL, updated_at = ?"
            " WHERE id IN (SELECT value FROM json_each(?))",
            (reason, fold(reason), now_us, json.dumps(changed)),
        )
    add_changes(conn, changed, "marked-error", now_us)
    detail = f"{_describe_ids(wanted, skipped)}; reason: {reason}"
    audit_id = record_audit(conn, actor, "mark-error", detail, len(changed), now_us)
    return BulkResult(changed=tuple(changed), skipped=skipped, audit_id=audit_id)


def set_inactive(conn: sqlite3.Connection, actor: str, ids: Sequence[int], inactive: bool, now_us: int) -> BulkResult:
    wanted = _unique(ids)
    found = _rows(conn, wanted)
    changed: list[int] = []
    skipped: dict[int, str] = {}
    word = "inactive" if inactive else "active"
    for job_id in wanted:
        if job_id not in found:
            skipped[job_id] = f"no job {job_id}"
        elif bool(found[job_id][3]) == inactive:
            skipped[job_id] = f"job {job_id} is already {word}"
        else:
            changed.append(job_id)
    if changed:
        conn.execute(
            "UPDATE jobs SET inactive = ?, updated_at = ? WHERE id IN (SELECT value FROM json_each(?))",
            (int(inactive), now_us, json.dumps(changed)),
        )
    add_changes(conn, changed, word, now_us)
    audit_id = record_audit(conn, actor, f"set-{word}", _describe_ids(wanted, skipped), len(changed), now_us)
    return BulkResult(changed=tuple(changed), skipped=skipped, audit_id=audit_id)
