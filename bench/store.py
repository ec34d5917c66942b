"""Benchmark of the SQLite job store at scale (issue 8). Prints its figures; not a timed test.

    uv run python bench/store.py            # 1,000,000 jobs
    uv run python bench/store.py --quick    # 100,000 jobs
    uv run python bench/store.py --rows 250000 --path /tmp/jobs.db --keep

Measures batched enqueue, claim + complete (claims in batches, completions concurrent as the
engine's workers would issue them), and the console's reads at full size: a page of 100 at several
offsets and keyset positions, filtered pages and counts. Then each filter the console offers (first
page and count, bench/store_filters.py) with schema v8's indexes and, on the same file, without them;
claim + complete and an enqueue into the full store are timed both ways too. Writes
bench/results/store.json with the machine's details, and ends with the line
`store: enqueue_per_s=X claim_complete_per_s=Y page_ms=Z filters_within_20ms=N/M
claim_complete_with_v8_vs_without=R`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import timeit
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inolink_tui.domain.enums import EntityType, ErrorClass, JobView, LinkStatus, Source  # noqa: E402
from inolink_tui.domain.filters import JobFilter, JobSort  # noqa: E402
from inolink_tui.domain.jobs import JobFailure, JobSuccess, NewJob  # noqa: E402
from inolink_tui.store.sqlite import SqliteJobStore  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
import store_filters  # noqa: E402

BATCH = 50_000
NAMES = ["Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Wonka", "Tyrell", "Cyberdyne", "Soylent"]


def build_batch(start: int, count: int, base: datetime) -> list[NewJob]:
    rng = random.Random(start)
    entities = list(EntityType)
    users = ["admin", "ops", "sync", "Ana", "Bo"]
    return [
        NewJob(
            entity_type=entities[i % 6],
            source=Source.CRM if i % 4 else Source.ACCOUNTING,
            crm_record_id=f"{i:08x}-0000-4000-8000-{i:012x}",
            record_name=f"{NAMES[i % 10]} {rng.randrange(100_000)} Ltd",
            company="9130" if i % 3 else "4620",
            submitted_by=users[i % 5],
            submitted_at=base + timedelta(seconds=i),
        )
        for i in range(start, start + count)
    ]


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int = 5) -> tuple[float, Any]:
    """Median milliseconds of `repeat` runs (the first run warms the page cache and is dropped)."""
    result = await fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), result


async def claim_and_settle(
    store: SqliteJobStore, now: datetime, done: int, goal: int, failures: int
) -> tuple[int, int]:
    """Claim in batches of 500 and settle each job concurrently, as the engine's workers do; one in ten fails."""
    while done < goal:
        claimed = await store.claim("bench", limit=min(500, goal - done), lease_seconds=600, now=now)
        if not claimed:
            break

        async def settle(job_id: int, k: int) -> None:
            if k % 10 == 0:
                failure = JobFailure(ErrorClass.VALIDATION, f"Duplicate Name Exists Error {k % 97}", "6240", 400)
                await store.fail(job_id, "bench", failure, max_attempts=3, now=now)
            else:
                await store.complete(job_id, "bench", JobSuccess(accounting_id=str(job_id)), now=now)

        await asyncio.gather(*(settle(job.id, done + k) for k, job in enumerate(claimed)))
        failures += sum(1 for k in range(len(claimed)) if (done + k) % 10 == 0)
        done += len(claimed)
    return done, failures


async def run(rows: int, path: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"rows": rows}
    base = datetime(2026, 1, 1, tzinfo=UTC)
    store = await SqliteJobStore.open(path)
    try:
        # --- enqueue --------------------------------------------------------------------------
        store_seconds = 0.0
        for start in range(0, rows, BATCH):
            batch = build_batch(start, min(BATCH, rows - start), base)
            t0 = time.perf_counter()
            # Submitted At one second apart (the batch's clock is its last job's), as jobs arriving over 11.6 days
            # would have them: since: and until: need the spread.
            result = await store.enqueue(batch, now=base + timedelta(seconds=start + len(batch)))
            store_seconds += time.perf_counter() - t0
            assert len(result.created) == len(batch), "benchmark data has no duplicates"
        figures["enqueue_per_s"] = round(rows / store_seconds)
        figures["enqueue_seconds"] = round(store_seconds, 2)
        print(f"enqueue: {rows:,} jobs in {store_seconds:.1f} s = {rows / store_seconds:,.0f} jobs/s", flush=True)

        # --- claim + complete -----------------------------------------------------------------
        # In rounds, alternately without schema v8's indexes (dropped, rebuilt after the round) and with them, after
        # a first round that warms the page cache (counted in the total only), so the write cost the indexes add
        # is measured in this run, on the same file, at the same size.
        work = min(rows // 10, 50_000)
        rounds = 7
        now = base + timedelta(days=400)
        done = 0
        failures = 0
        seconds_by_kind = {"warm_up": 0.0, "with_v8": 0.0, "without_v8": 0.0}
        cpu_by_kind = {"warm_up": 0.0, "with_v8": 0.0, "without_v8": 0.0}
        jobs_by_kind = {"warm_up": 0, "with_v8": 0, "without_v8": 0}
        for number in range(rounds):
            kind = "warm_up" if number == 0 else "without_v8" if number % 2 else "with_v8"
            goal = work * (number + 1) // rounds
            started_round = done
            with store_filters.without_indexes(path) if kind == "without_v8" else contextlib.nullcontext():
                t0, cpu0 = time.perf_counter(), time.process_time()
                done, failures = await claim_and_settle(store, now, done, goal, failures)
                seconds_by_kind[kind] += time.perf_counter() - t0
                cpu_by_kind[kind] += time.process_time() - cpu0
            jobs_by_kind[kind] += done - started_round
        seconds = sum(seconds_by_kind.values())
        for kind in ("with_v8", "without_v8"):
            figures[f"claim_complete_per_s_{kind}"] = round(jobs_by_kind[kind] / seconds_by_kind[kind])
            # Per second of this process's CPU (every thread): what the indexes cost the store itself, much less
            # moved by other processes than the wall clock on a shared machine.
            figures[f"claim_complete_per_cpu_s_{kind}"] = round(jobs_by_kind[kind] / cpu_by_kind[kind])
        print(
            f"claim+complete with v8's indexes {figures['claim_complete_per_s_with_v8']:,} jobs/s"
            f" ({figures['claim_complete_per_cpu_s_with_v8']:,} per CPU second), without"
            f" {figures['claim_complete_per_s_without_v8']:,} jobs/s"
            f" ({figures['claim_complete_per_cpu_s_without_v8']:,} per CPU second;"
            f" 3 rounds each of {work // rounds:,}, alternating)"
        )
        figures["claim_complete_per_s"] = round(done / seconds)
        figures["claim_complete_jobs"] = done
        print(f"claim+complete: {done:,} jobs ({failures:,} failed) in {seconds:.1f} s = {done / seconds:,.0f} jobs/s")

        # --- console reads at full size -------------------------------------------------------
        reads: dict[str, float] = {}
        default = JobSort()
        for label, offset in (("offset_0", 0), ("offset_mid", rows // 2), ("offset_end", rows - 100)):
            reads[f"page_{label}"], page = await timed(lambda o=offset: store.page(None, default, offset=o, limit=100))
            assert len(page.jobs) == 100
        mid = (await store.page(None, default, offset=rows // 2, limit=1)).jobs[0]
        reads["page_keyset_mid"], after = await timed(lambda: store.page_after(None, default, mid, limit=100))
        assert len(after) == 100
        by_time = JobSort("submitted_at", descending=False)
        reads["page_sorted_submitted_offset_mid"], _ = await timed(
            lambda: store.page(None, by_time, offset=rows // 2, limit=100)
        )
        failed = JobFilter(view=JobView.FAILED)
        reads["page_view_failed"], page = await timed(lambda: store.page(failed, default, limit=100))
        assert page.jobs and all(j.link_status is LinkStatus.ERROR for j in page.jobs)
        invoices = JobFilter(entity_types=(EntityType.INVOICE,), sources=(Source.CRM,))
        reads["page_entity_source_mid"], _ = await timed(lambda: store.page(invoices, default, offset=rows // 20))
        text = JobFilter(text="globex 4242")
        reads["page_text_filter"], _ = await timed(lambda: store.page(text, default, limit=100), repeat=3)
        reads["count_unfiltered"], total = await timed(lambda: store.count())
        assert total == rows
        reads["counts_tiles"], _ = await timed(lambda: store.counts())
        reads["count_view_failed"], n_failed = await timed(lambda: store.count(failed))
        assert n_failed == failures
        by_user = JobFilter(submitted_by=("ana",), statuses=(LinkStatus.QUEUED,))
        reads["count_by_user_queued"], _ = await timed(lambda: store.count(by_user), repeat=3)
        reads["count_text_filter"], _ = await timed(lambda: store.count(text), repeat=3)
        for key, value in reads.items():
            print(f"{key}: {value:.2f} ms")

        # --- each filter the console offers, with schema v8's indexes and without them ---------
        data_now = base + timedelta(seconds=rows)  # since:1d means the data's last day
        filters = await store_filters.measure(store, data_now)
        with store_filters.without_indexes(path):
            filters_v7 = await store_filters.measure(store, data_now, repeat=1)
        for line in store_filters.table(filters, filters_v7):
            print(line)
        figures["filters"] = filters
        figures["filters_without_v8"] = filters_v7
        figures["filters_within_20ms"] = sum(
            1 for f in filters.values() if max(f["page_ms"], f["count_ms"]) <= store_filters.TARGET_MS
        )
        figures["filters_measured"] = len(filters)

        # --- enqueue into the full store, with the v8 indexes and without ----------------------
        extra = 20_000
        for number, kind in enumerate(("with_v8", "without_v8", "with_v8_again")):
            batch = build_batch(rows + number * extra, extra, base + timedelta(seconds=rows))
            if kind == "without_v8":
                with store_filters.without_indexes(path):
                    t0 = time.perf_counter()
                    await store.enqueue(batch, now=data_now)
                    took = time.perf_counter() - t0
            else:
                t0 = time.perf_counter()
                await store.enqueue(batch, now=data_now)
                took = time.perf_counter() - t0
            figures[f"enqueue_full_per_s_{kind}"] = round(extra / took)
        print(
            f"enqueue of {extra:,} into the full store: with v8's indexes {figures['enqueue_full_per_s_with_v8']:,}"
            f" / {figures['enqueue_full_per_s_with_v8_again']:,} jobs/s, without"
            f" {figures['enqueue_full_per_s_without_v8']:,} jobs/s"
        )
        figures["reads_ms"] = {k: round(v, 2) for k, v in reads.items()}
        page_keys = ("page_offset_0", "page_offset_mid", "page_offset_end", "page_keyset_mid")
        figures["page_ms"] = round(max(reads[k] for k in page_keys), 2)
        figures["page_ms_is"] = "worst of a 100-row page at offset 0, middle, end, and keyset from the middle"
    finally:
        await store.close()
    figures["db_bytes"] = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return figures


def raw_insert_reference(rows: int = 100_000) -> int:
    """Rows/s of a bare executemany into a one-index WAL table: the machine's SQLite ceiling right
    now, so the store's figures can be read against the load the machine was under."""
    with tempfile.TemporaryDirectory(prefix="inolink-raw-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "raw.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v TEXT, n INTEGER)")
        conn.execute("CREATE INDEX t_k ON t(k)")
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO t(k, v, n) VALUES (?, ?, ?)",
            ((f"key{i * 7919 % 1_000_003}", "value", i) for i in range(rows)),
        )
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
    return round(rows / elapsed)


def machine() -> dict[str, Any]:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": [round(x, 2) for x in load] if load else None,
        # A fixed pure-Python loop: lets a reader compare runs on a busy or a different machine.
        "python_reference_us": round(min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6, 2),
        "sqlite_raw_insert_per_s": raw_insert_reference(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--path", type=Path, help="database file (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the database file afterwards")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "store.json")
    args = parser.parse_args()
    rows = 100_000 if args.quick else args.rows
    if rows < 1000:
        parser.error("--rows must be at least 1000")
    with tempfile.TemporaryDirectory(prefix="inolink-bench-") as tmp:
        path = args.path or Path(tmp) / "jobs.db"
        if path.exists():
            parser.error(f"{path} exists; the benchmark needs a fresh file")
        before = machine()
        started = datetime.now(UTC)
        figures = asyncio.run(run(rows, path))
        if args.keep:
            print(f"kept {path}" if args.path else "--keep needs --path")
    report = {
        "benchmark": "store",
        "timestamp": started.isoformat().replace("+00:00", "Z"),
        "machine": before,
        "machine_after": {"load_average_1_5_15": machine()["load_average_1_5_15"]},
        **figures,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    share = figures["claim_complete_per_s_with_v8"] / figures["claim_complete_per_s_without_v8"]
    cpu_share = figures["claim_complete_per_cpu_s_with_v8"] / figures["claim_complete_per_cpu_s_without_v8"]
    print(
        f"store: enqueue_per_s={figures['enqueue_per_s']} claim_complete_per_s={figures['claim_complete_per_s']}"
        f" page_ms={figures['page_ms']}"
        f" filters_within_20ms={figures['filters_within_20ms']}/{figures['filters_measured']}"
        f" claim_complete_with_v8_vs_without={share:.3f} (cpu {cpu_share:.3f})"
    )


if __name__ == "__main__":
    main()
