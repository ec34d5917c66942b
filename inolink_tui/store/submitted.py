"""Pages of `since:` and `until:` without sorting every job in the range (schema v9's job_blocks).

The console pages newest first, by id. Asked for `until:7d` at a million jobs, SQLite read the 395,201 older jobs
through jobs_submitted and sorted them by id to hand over 100 (100-115 ms). Ids are not Submitted At, but they
mostly follow it, and job_blocks says for each block of 1,024 ids the earliest and latest Submitted At in it. The
blocks that can hold a match bound the matching ids from above and below; the page walks ids down inside those
bounds and stops at its last row. Whatever the order of Submitted At, the bounds hold (a block outside them has no
job in the range), so the answer is the plain query's; only the speed depends on how well ids follow time. When
they do not (the bounds span many blocks) and the range holds few jobs, the page reads the range from
jobs_submitted instead, as before, which is then cheap.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.store.codec import to_us
from inolink_tui.store.sqlfilter import Where, where_for

BLOCK_BITS = 10
"""Ids per block: 1 << 10 = 1,024. A walk reads at most one block's worth of non-matching ids at either end."""

WALK_MAX_IDS = 65_536
"""Bounds at most this far apart are walked without asking further (64 blocks; at most ~15 ms of rows)."""

PROBE = 5_000
"""Wider bounds: a range holding fewer jobs than this is read from jobs_submitted and sorted (a few ms)."""


_NOTE = (
    "INSERT INTO job_blocks(block, min_submitted, max_submitted, n) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
    " min_submitted = min(min_submitted, excluded.min_submitted),"
    " max_submitted = max(max_submitted, excluded.max_submitted), n = n + excluded.n"
)


def note_submitted(conn: sqlite3.Connection, first_id: int, submitted: Sequence[int]) -> None:
    """Add new jobs with consecutive ids from `first_id`, Submitted At `submitted` (µs), to job_blocks."""
    rows: list[tuple[int, int, int, int]] = []
    i, n = 0, len(submitted)
    while i < n:
        job_id = first_id + i
        block = job_id >> BLOCK_BITS
        end = min(n, i + ((block + 1) << BLOCK_BITS) - job_id)
        chunk = submitted[i:end]
        rows.append((block, min(chunk), max(chunk), len(chunk)))
        i = end
    conn.executemany(_NOTE, rows)


def note_inserted(conn: sqlite3.Connection, first_id: int, end_id: int) -> None:
    """Add the jobs just inserted, ids first_id <= id < end_id (some of the batch met an open twin), to job_blocks."""
    rows = conn.execute(
        f"SELECT id >> {BLOCK_BITS}, min(submitted_at), max(submitted_at), count(*) FROM jobs"
        " WHERE id >= ? AND id < ? GROUP BY 1",
        (first_id, end_id),
    ).fetchall()
    conn.executemany(_NOTE, rows)


def _range(filter: JobFilter) -> tuple[str, tuple[int, ...]]:
    clauses: list[str] = []
    params: list[int] = []
    if filter.submitted_until is not None:
        clauses.append("min_submitted <= ?")
        params.append(to_us(filter.submitted_until))
    if filter.submitted_since is not None:
        clauses.append("max_submitted >= ?")
        params.append(to_us(filter.submitted_since))
    return " AND ".join(clauses), tuple(params)


def id_bounds(conn: sqlite3.Connection, filter: JobFilter) -> tuple[int, int]:
    """[low, high): every job Submitted within the filter's since:/until: has an id in it (empty: no such job)."""
    sql, params = _range(filter)
    top = conn.execute(f"SELECT block FROM job_blocks WHERE {sql} ORDER BY block DESC LIMIT 1", params).fetchone()
    if top is None:
        return 0, 0
    bottom = conn.execute(f"SELECT block FROM job_blocks WHERE {sql} ORDER BY block LIMIT 1", params).fetchone()
    return int(bottom[0]) << BLOCK_BITS, (int(top[0]) + 1) << BLOCK_BITS


def _few_in_range(conn: sqlite3.Connection, filter: JobFilter) -> bool:
    clauses: list[str] = []
    params: list[int] = []
    if filter.submitted_since is not None:
        clauses.append("submitted_at >= ?")
        params.append(to_us(filter.submitted_since))
    if filter.submitted_until is not None:
        clauses.append("submitted_at <= ?")
        params.append(to_us(filter.submitted_until))
    row = conn.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM jobs INDEXED BY jobs_submitted WHERE {' AND '.join(clauses)} LIMIT ?)",
        (*params, PROBE),
    ).fetchone()
    return int(row[0]) < PROBE


def walks(filter: JobFilter | None, sort: JobSort | None) -> bool:
    """Whether a page of `filter` in `sort` order may walk ids: since:/until: set, newest first by id."""
    if filter is None or (filter.submitted_since is None and filter.submitted_until is None) or filter.ids:
        return False
    return sort is None or sort == JobSort()


def walk_bounds(conn: sqlite3.Connection, filter: JobFilter) -> Where | None:
    """The id range a newest-first page of `filter` walks, or None when reading jobs_submitted is the better way
    (the bounds are wide and the range holds fewer than PROBE jobs). The caller keeps SQLite off jobs_submitted."""
    low, high = id_bounds(conn, filter)
    if high - low > WALK_MAX_IDS and _few_in_range(conn, filter):
        return None
    return Where("id >= ? AND id < ?", (low, high))


STRADDLING_MAX = 16
"""A since:/until: count reads the jobs of at most this many blocks that straddle the range (16,384 rows, ~3 ms)."""

INTERVALS_MAX = 16
"""With other keys, a count reads at most this many id ranges of blocks wholly inside the range."""


def counts_by_blocks(filter: JobFilter) -> bool:
    """Whether a count of `filter` may go through job_blocks: since:/until: set; no free text (which has its own
    way in, `ops_read._where`) and no id list."""
    has_range = filter.submitted_since is not None or filter.submitted_until is not None
    return has_range and not filter.text.strip() and not filter.ids


def _in_blocks(where: Where, block_from: int, block_to: int) -> Where:
    return where.and_("id >= ? AND id < ?", block_from << BLOCK_BITS, (block_to + 1) << BLOCK_BITS)


def _count(conn: sqlite3.Connection, where: Where) -> int:
    return int(conn.execute(f"SELECT count(*) FROM jobs WHERE {where.sql}", where.params).fetchone()[0])


def count(conn: sqlite3.Connection, filter: JobFilter, now_us: int) -> int | None:
    """Jobs Submitted within the filter's range (and its other keys). A block wholly inside the range has every job
    in it: alone, its job count says how many; with other keys, the runs of such blocks are id ranges each key's index
    reads. The few blocks that straddle the range are counted job by job. None when more than STRADDLING_MAX blocks
    straddle or more than INTERVALS_MAX runs are needed (ids far from time order): the caller counts otherwise."""
    low = to_us(filter.submitted_since) if filter.submitted_since is not None else -(2**63)
    high = to_us(filter.submitted_until) if filter.submitted_until is not None else 2**63 - 1
    straddling = conn.execute(
        "SELECT block FROM job_blocks WHERE max_submitted >= ? AND min_submitted <= ?"
        " AND NOT (min_submitted >= ? AND max_submitted <= ?) LIMIT ?",
        (low, high, low, high, STRADDLING_MAX + 1),
    ).fetchall()
    if len(straddling) > STRADDLING_MAX:
        return None
    with_time = where_for(filter, now_us, submitted_index=False)
    total = sum(_count(conn, _in_blocks(with_time, b, b)) for (b,) in straddling)
    rest = replace(filter, submitted_since=None, submitted_until=None)
    if rest.is_empty:
        inside = conn.execute(
            "SELECT coalesce(sum(n), 0) FROM job_blocks WHERE min_submitted >= ? AND max_submitted <= ?", (low, high)
        ).fetchone()
        return total + int(inside[0])
    runs: list[list[int]] = []
    rows = conn.execute(
        "SELECT block, min_submitted >= ? AND max_submitted <= ? FROM job_blocks ORDER BY block", (low, high)
    )
    for block, inside in rows:
        if not inside:
            continue
        if runs and runs[-1][1] == block - 1:
            runs[-1][1] = block
        else:
            if len(runs) == INTERVALS_MAX:
                return None
            runs.append([block, block])
    without_time = where_for(rest, now_us)
    return total + sum(_count(conn, _in_blocks(without_time, a, b)) for a, b in runs)
