"""The console's filters at full size, and the same store without schema v8's two big indexes (issue 18 item 4).

bench/store.py calls these: each filter's first page (the console's first window: newest first, 100 rows) and its
count, then the same queries with the v8 indexes dropped from the same file, so both columns come from one run on
one machine. `without_indexes` drops them through a second connection and recreates them from their own SQL.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from inolink_tui.domain.filters import JobSort, parse_filter
from inolink_tui.store.sqlite import SqliteJobStore

V8_INDEXES = ("jobs_by", "jobs_entity")
"""What the comparison drops. Not jobs_inactive: the Inactive view's SQL names it (INDEXED BY), so without it the
query fails rather than slows; its cost is one entry per job made Inactive, none on a completion."""

FILTERS: tuple[str, ...] = (
    "by:ana",
    "by:ana status:queued",
    "view:failed by:ana",
    "view:active by:ana",
    "entity:invoice source:crm",
    "entity:invoice",
    "view:failed entity:invoice source:crm",
    "status:success entity:invoice source:crm",
    "view:active entity:invoice",
    "since:1d",
    "since:1h",
    "until:7d",
    "until:7d by:ana",
    "since:30d until:7d",
    "view:failed since:1d",
    "class:validation",
    "view:failed class:validation",
    "class:conflict",
    "view:inactive",
    "view:inactive by:ana",
    "view:conflicts",
    "processing:yes",
    "globex 4242",
    "globex",
    "4242",
    "view:failed globex",
    "status:success globex",
    "by:ana entity:invoice source:crm",
    "view:failed by:ana entity:invoice",
    "company:4620",
    "zz",
)
"""Each key the console's filter line takes, alone and with a view or status, and the pairs bench/store.py's
data make large: by: (one submitter of five: 200,000 jobs), entity + source (about 125,000), since: (a day:
86,400), until: (395,201, alone, with a submitter, and as a window with since:), class:, company: (a third of the
jobs), free text (rare, and one name in ten: 100,000), and text too short for the trigram index."""

TARGET_MS = 20.0


async def median_ms(fn: Callable[[], Awaitable[Any]], repeat: int) -> tuple[float, Any]:
    """Median of `repeat` runs after one warm-up run (the page cache), in milliseconds."""
    result = await fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


async def measure(store: SqliteJobStore, now: datetime, repeat: int = 3) -> dict[str, dict[str, float]]:
    """Each filter's first page and count, as the console asks for them."""
    figures: dict[str, dict[str, float]] = {}
    for text in FILTERS:
        job_filter = parse_filter(text, now)
        page_ms, page = await median_ms(
            lambda f=job_filter: store.page_after(f, JobSort(), None, limit=100, now=now), repeat
        )
        count_ms, count = await median_ms(lambda f=job_filter: store.count(f, now=now), repeat)
        figures[text] = {"page_ms": round(page_ms, 2), "count_ms": round(count_ms, 2), "count": count}
        figures[text]["page_rows"] = len(page)
    return figures


@contextmanager
def without_indexes(path: Path, names: tuple[str, ...] = V8_INDEXES) -> Iterator[float]:
    """The file as schema v7 had it (the v8 indexes dropped), then the indexes back; yields the seconds the
    drop took. The store's own connections re-prepare their statements on the schema change."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=60)
    try:
        found = dict(
            conn.execute(
                f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({', '.join('?' * len(names))})",
                names,
            ).fetchall()
        )
        missing = set(names) - set(found)
        if missing:
            raise RuntimeError(f"the store has no index {', '.join(sorted(missing))}: not schema v8")
        started = time.perf_counter()
        for name in names:
            conn.execute(f"DROP INDEX {name}")
        yield time.perf_counter() - started
    finally:
        try:
            for sql in found.values():
                conn.execute(sql)
        finally:
            conn.close()


def table(after: dict[str, dict[str, float]], before: dict[str, dict[str, float]]) -> list[str]:
    """The printed comparison: each filter with v8's indexes and without them, both from this run."""
    lines = [
        f"{'filter':42} {'jobs':>9} {'page ms':>9} {'count ms':>9}   {'v7: page':>9} {'count':>9}",
    ]
    for text in FILTERS:
        now_, was = after[text], before[text]
        miss = "" if max(now_["page_ms"], now_["count_ms"]) <= TARGET_MS else "  > 20 ms"
        lines.append(
            f"{text:42} {int(now_['count']):>9,} {now_['page_ms']:>9.2f} {now_['count_ms']:>9.2f}"
            f"   {was['page_ms']:>9.2f} {was['count_ms']:>9.2f}{miss}"
        )
    return lines
