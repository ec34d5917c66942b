"""Timing of the Conflicts view and `class:conflict` over a job store (issue 16). Not a timed test.

    uv run python bench/conflicts.py                 # 100,000 jobs, 1% settled by Deadlock Win
    uv run python bench/conflicts.py --rows 1000000
    uv run python bench/conflicts.py --drop-indexes   # the same reads without schema v7's partial indexes

Builds the store as bench/store.py does, completes every job (one in a hundred with a Deadlock Win payload,
one in fifty failed with a conflict error), then times a 100-row page and a count of each filter.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.store import BATCH, build_batch, timed  # noqa: E402
from inolink_tui.domain.enums import ErrorClass, JobView  # noqa: E402
from inolink_tui.domain.filters import JobFilter, JobSort, parse_filter  # noqa: E402
from inolink_tui.domain.jobs import JobFailure, JobSuccess  # noqa: E402
from inolink_tui.store.sqlite import SqliteJobStore  # noqa: E402

CONFLICT = {"conflict": {"winner": "QuickBooks", "losing_side": "CRM", "losing_values": {"name": "Before"}}}


async def run(rows: int, path: Path, *, drop_indexes: bool = False) -> dict[str, float]:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    now = base + timedelta(days=400)
    store = await SqliteJobStore.open(path)
    try:
        for start in range(0, rows, BATCH):
            await store.enqueue(build_batch(start, min(BATCH, rows - start), base), now=base)
        done = settled = 0
        while True:
            claimed = await store.claim("bench", limit=500, lease_seconds=600, now=now)
            if not claimed:
                break
            for k, job in enumerate(claimed, start=done):
                if k % 100 == 0:
                    settled += 1
                    await store.complete(job.id, "bench", JobSuccess(accounting_id="1", payload=CONFLICT), now=now)
                elif k % 50 == 1:
                    failure = JobFailure(ErrorClass.CONFLICT, "Stale Object Error", "5010", 400)
                    await store.fail(job.id, "bench", failure, max_attempts=1, now=now)
                else:
                    await store.complete(job.id, "bench", JobSuccess(accounting_id="1"), now=now)
            done += len(claimed)
        if drop_indexes:
            await store.close()
            with sqlite3.connect(path) as conn:
                conn.execute("DROP INDEX jobs_conflict")
                conn.execute("DROP INDEX jobs_error_class")
            store = await SqliteJobStore.open(path)
        view = JobFilter(view=JobView.CONFLICTS)
        cls = parse_filter("class:conflict", now)
        figures: dict[str, float] = {}
        figures["page_view_conflicts_ms"], page = await timed(lambda: store.page(view, JobSort(), limit=100))
        assert len(page.jobs) == 100
        figures["count_view_conflicts_ms"], n = await timed(lambda: store.count(view))
        assert n == settled, (n, settled)
        figures["page_class_conflict_ms"], page = await timed(lambda: store.page(cls, JobSort(), limit=100))
        figures["count_class_conflict_ms"], n = await timed(lambda: store.count(cls))
        figures["settled"] = settled
        figures["class_conflict_jobs"] = n
        return figures
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--drop-indexes", action="store_true", help="time the reads without the partial indexes")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="inolink-conflicts-") as tmp:
        figures = asyncio.run(run(args.rows, Path(tmp) / "jobs.db", drop_indexes=args.drop_indexes))
    for key, value in figures.items():
        sys.stdout.write(f"{key}: {value:.2f}\n" if isinstance(value, float) else f"{key}: {value}\n")


if __name__ == "__main__":
    main()
