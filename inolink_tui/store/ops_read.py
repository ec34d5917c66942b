"""Read queries: job lookups, counts, pages, the change feed and the audit log."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.filters import JobCounts, JobFilter, JobSort
from inolink_tui.domain.jobs import Attempt, LinkJob
from inolink_tui.store import submitted, tally
from inolink_tui.store.base import AuditEntry, Change, JobPage
from inolink_tui.store.codec import JOB_COLUMNS, from_us, job_from_row
from inolink_tui.store.ops_jobs import fetch_attempts, fetch_job, fetch_jobs
from inolink_tui.store.sqlfilter import Where, after_clause, order_by, where_for


def attempts(conn: sqlite3.Connection, job_id: int) -> list[Attempt]:
    return fetch_attempts(conn, job_id)


def get(conn: sqlite3.Connection, job_id: int) -> LinkJob:
    return fetch_job(conn, job_id)


def _processing(conn: sqlite3.Connection, filter: JobFilter | None, now_us: int) -> int:
    where = where_for(filter, now_us)
    row = conn.execute(
        f"SELECT count(*) FROM jobs INDEXED BY jobs_leased"
        f" WHERE lease_until > ? AND link_status = 'Queued' AND ({where.sql})",
        (now_us, *where.params),
    ).fetchone()
    return int(row[0])


def counts(conn: sqlite3.Connection, filter: JobFilter | None, now_us: int) -> JobCounts:
    by_status = {s: 0 for s in LinkStatus}
    by_entity = {e: 0 for e in EntityType}
    by_source = {s: 0 for s in Source}
    if tally.answers(filter):
        grouped = tally.groups(conn, filter)
        processing = _processing(conn, filter, now_us)
    else:
        where, _narrow = _where(conn, filter, now_us)
        grouped = conn.execute(
            "SELECT link_status, entity_type, source, count(*) FROM jobs WHERE " + where.sql + " GROUP BY 1, 2, 3",
            where.params,
        ).fetchall()
        processing = _processing(conn, filter, now_us)
    total = 0
    for status, entity, source, n in grouped:
        total += n
        by_status[LinkStatus(status)] += n
        by_entity[EntityType(entity)] += n
        by_source[Source(source)] += n
    return JobCounts(total=total, by_status=by_status, by_entity=by_entity, by_source=by_source, processing=processing)


def count(conn: sqlite3.Connection, filter: JobFilter | None, now_us: int) -> int:
    if tally.answers(filter):
        return tally.count(conn, filter)
    if filter is not None and submitted.counts_by_blocks(filter):
        counted = submitted.count(conn, filter, now_us)
        if counted is not None:
            return counted
    where, _narrow = _where(conn, filter, now_us)
    return int(conn.execute("SELECT count(*) FROM jobs WHERE " + where.sql, where.params).fetchone()[0])


def page(
    conn: sqlite3.Connection,
    filter: JobFilter | None,
    sort: JobSort | None,
    offset: int,
    limit: int,
    with_total: bool,
    now_us: int,
) -> JobPage:
    where, _narrow = _page_where(conn, filter, sort, now_us)
    order = order_by(sort)
    # Deferred join: walk the OFFSET over ids in the narrowest usable index, then read only the
    # 100 wanted rows; stepping over whole table rows made deep pages 4-5x slower.
    rows = conn.execute(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE id IN"
        f" (SELECT id FROM jobs WHERE {where.sql} ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}",
        (*where.params, limit, offset),
    ).fetchall()
    total = count(conn, filter, now_us) if with_total else None
    return JobPage(jobs=tuple(job_from_row(r) for r in rows), offset=offset, total=total)


def page_after(
    conn: sqlite3.Connection,
    filter: JobFilter | None,
    sort: JobSort | None,
    after: LinkJob | None,
    limit: int,
    now_us: int,
) -> list[LinkJob]:
    where, narrow = _page_where(conn, filter, sort, now_us)
    if after is not None:
        where = where.and_(after_clause(sort, after).sql, *after_clause(sort, after).params)
    recent = None if narrow else _recent_text_page(conn, filter, sort, after, limit, now_us)
    if recent is not None:
        return recent
    rows = conn.execute(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE {where.sql} ORDER BY {order_by(sort)} LIMIT ?",
        (*where.params, limit),
    ).fetchall()
    return [job_from_row(r) for r in rows]


LIKE_SCAN_MAX = 50_000
"""Free text reads the jobs with LIKE alone when the filter's other keys narrow them to this many (about 12 ms)."""


def _page_where(
    conn: sqlite3.Connection, filter: JobFilter | None, sort: JobSort | None, now_us: int
) -> tuple[Where, bool]:
    """`_where` for a page: since: and until: newest first walk a bounded range of ids (`store/submitted.py`)."""
    if filter is not None and submitted.walks(filter, sort):
        bounds = submitted.walk_bounds(conn, filter)
        if bounds is not None:
            where, narrow = _where(conn, filter, now_us, submitted_index=False)
            return where.and_(bounds.sql, *bounds.params), narrow
    return _where(conn, filter, now_us)


def _where(
    conn: sqlite3.Connection, filter: JobFilter | None, now_us: int, *, submitted_index: bool = True
) -> tuple[Where, bool]:
    """`where_for`, and whether free text was left to LIKE because the rest of the filter is narrow.

    The trigram index hands over every job holding the text, whatever else the filter says: the Failed view and a
    name one job in ten has meant 100,000 candidates for 5,000 failed jobs (150 ms at a million). When the filter's
    other keys are ones the tally counts (view, status, entity, source, submitter) and leave at most LIKE_SCAN_MAX
    jobs, their index reads those jobs and LIKE decides each: the same answer (LIKE decides on the index path too).
    company: has no index, so it narrows nothing that is read: the jobs are counted without it."""
    if filter is not None and filter.text.strip():
        rest = replace(filter, text="", companies=())
        if not rest.is_empty and tally.answers(rest) and count(conn, rest, now_us) <= LIKE_SCAN_MAX:
            return where_for(filter, now_us, text_index=False, submitted_index=submitted_index), True
    return where_for(filter, now_us, submitted_index=submitted_index), False


RECENT_TEXT_IDS = 20_000
"""How many of the newest ids a free-text page reads with LIKE before asking the trigram index (about 5 ms)."""


def _recent_text_page(
    conn: sqlite3.Connection,
    filter: JobFilter | None,
    sort: JobSort | None,
    after: LinkJob | None,
    limit: int,
    now_us: int,
) -> list[LinkJob] | None:
    """Newest-first free text, when the newest ids hold a whole page: exact, and far cheaper for common text.

    The trigram index hands over every job holding the text before the page is cut (100,000 candidates for a name
    one job in ten has: 100-200 ms at a million jobs). If the `RECENT_TEXT_IDS` ids just below the page's start hold
    `limit` matches, they are the newest `limit` matches, so they are the page; otherwise None, and the caller asks
    the index. Only for the console's default order (id, newest first)."""
    if RECENT_TEXT_IDS <= 0 or filter is None or not filter.text.strip() or (sort is not None and sort != JobSort()):
        return None
    if after is not None:
        top = after.id
    else:
        row = conn.execute("SELECT max(id) FROM jobs").fetchone()
        if row is None or row[0] is None:
            return None
        top = int(row[0]) + 1
    where = where_for(filter, now_us, text_index=False).and_("id < ? AND id >= ?", top, top - RECENT_TEXT_IDS)
    rows = conn.execute(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE {where.sql} ORDER BY id DESC LIMIT ?", (*where.params, limit)
    ).fetchall()
    return [job_from_row(r) for r in rows] if len(rows) >= limit else None


def open_job_for(conn: sqlite3.Connection, key: str, source: Source) -> LinkJob | None:
    row = conn.execute(
        f"SELECT {JOB_COLUMNS} FROM jobs INDEXED BY jobs_one_open_per_record"
        " WHERE record_key = ? AND source = ? AND link_status = 'Queued'",
        (key, source.value),
    ).fetchone()
    return None if row is None else job_from_row(row)


def jobs_for_record(conn: sqlite3.Connection, key: str, limit: int) -> list[LinkJob]:
    rows = conn.execute(
        f"SELECT {JOB_COLUMNS} FROM jobs WHERE record_key = ? ORDER BY id DESC LIMIT ?", (key, limit)
    ).fetchall()
    return [job_from_row(r) for r in rows]


def latest_seq(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()[0])


def changes_since(conn: sqlite3.Connection, seq: int, limit: int) -> list[Change]:
    rows = conn.execute(
        "SELECT seq, job_id, kind, at FROM changes WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
    ).fetchall()
    return [Change(seq=s, job_id=j, kind=k, at=from_us(a)) for s, j, k, a in rows]


def audit_log(conn: sqlite3.Connection, limit: int) -> list[AuditEntry]:
    rows = conn.execute(
        "SELECT id, at, actor, action, detail, job_count FROM audit ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [
        AuditEntry(id=i, at=from_us(at), actor=actor, action=action, detail=detail, job_count=n)
        for i, at, actor, action, detail, n in rows
    ]


def get_many(conn: sqlite3.Connection, ids: Sequence[int]) -> list[LinkJob]:
    return fetch_jobs(conn, ids)
