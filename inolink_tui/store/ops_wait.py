"""A job that waits (deferred, still Queued): one attempt row per wait, not one per look.

A job waiting for another job is looked at again every second or so; appending an attempt each time grew the
attempts table by about one row per waiting job per second (issue 12). The row of an unchanged wait (same
reason, nothing else happened in between) is updated instead: `started_at` stays when the wait began, and
`duration_ms` becomes how long it has lasted, which is also what bounds a dependency wait in the engine. Such an
update adds no change-feed row either (nothing a viewer shows changed but the next look's time).
"""

from __future__ import annotations

import sqlite3

from inolink_tui.domain.enums import AttemptOutcome, LinkStatus
from inolink_tui.domain.jobs import check_transition
from inolink_tui.store.ops_jobs import add_attempt, add_changes, held


def defer(conn: sqlite3.Connection, job_id: int, worker: str, until_us: int, reason: str, now_us: int) -> None:
    status, _ = held(conn, job_id, worker)
    check_transition(job_id, status, LinkStatus.QUEUED)
    conn.execute(
        "UPDATE jobs SET next_attempt_at = ?, lease_worker = NULL, lease_until = NULL, updated_at = ? WHERE id = ?",
        (until_us, now_us, job_id),
    )
    last = conn.execute(
        "SELECT id, started_at, outcome, message FROM attempts WHERE job_id = ? ORDER BY number DESC LIMIT 1",
        (job_id,),
    ).fetchone()
    if last is not None and last[2] == AttemptOutcome.WAITING.value and last[3] == reason:
        conn.execute(
            "UPDATE attempts SET duration_ms = ?, worker = ? WHERE id = ?",
            (max(0, (now_us - int(last[1])) // 1000), worker, last[0]),
        )
        return  # nothing a viewer shows changed: no change-feed row either
    else:
        add_attempt(
            conn,
            job_id,
            started_us=now_us,
            duration_ms=0,
            outcome=AttemptOutcome.WAITING,
            worker=worker,
            message=reason,
        )
    add_changes(conn, [job_id], "deferred", now_us)
