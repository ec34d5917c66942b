"""What a schema change costs the store's writers: two source trees, alternating, per CPU second (issue 18 item 4).

    uv run python bench/store_write_cost.py --before /tmp/old-checkout            # this tree against that one
    uv run python bench/store_write_cost.py --before /tmp/old --rows 100000 --rounds 3

Each round runs, in a fresh child process per tree (each importing the store from its own tree), a batched enqueue
of `--rows` jobs into a fresh file, then claim + complete of a tenth of them (claims of 500, completions concurrent,
one in ten failed, as bench/store.py does), and reports jobs per second of the child's CPU time: on a machine
shared with other work, the wall clock moves with everyone's load, a process's CPU time much less. The trees take
turns (before, after, before, ...) so drifting load touches both. Writes bench/results/store_write_cost.json and
ends with `store_write_cost: enqueue_cpu_ratio=R claim_complete_cpu_ratio=R` (after / before; 1.0 = no cost).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import asyncio, json, sys, time
from datetime import UTC, datetime, timedelta
tree, path, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, tree)
sys.path.insert(1, tree + "/bench")
import store as bench  # bench/store.py of that tree: its data and its claim + complete loop
from inolink_tui.store.sqlite import SqliteJobStore
import inolink_tui.store.sqlite as module

async def main():
    base = datetime(2026, 1, 1, tzinfo=UTC)
    store = await SqliteJobStore.open(__import__("pathlib").Path(path))
    try:
        cpu = 0.0
        for start in range(0, rows, bench.BATCH):
            batch = bench.build_batch(start, min(bench.BATCH, rows - start), base)
            c0 = time.process_time()
            await store.enqueue(batch, now=base + timedelta(seconds=start + len(batch)))
            cpu += time.process_time() - c0
        c0 = time.process_time()
        done, _ = await bench.claim_and_settle(store, base + timedelta(days=400), 0, rows // 10, 0)
        settle_cpu = time.process_time() - c0
    finally:
        await store.close()
    figures = {"enqueue_per_cpu_s": rows / cpu, "claim_complete_per_cpu_s": done / settle_cpu}
    print(json.dumps({"module": module.__file__, **figures}))

asyncio.run(main())
"""


def run_child(tree: Path, rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="inolink-write-cost-") as tmp:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(tree), str(Path(tmp) / "jobs.db"), str(rows)],
            check=True,
            capture_output=True,
            text=True,
            cwd=tmp,
        )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if not str(result["module"]).startswith(str(tree)):
        raise RuntimeError(f"the child imported {result['module']}, not the store of {tree}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="a checkout of the code to compare against")
    parser.add_argument("--after", type=Path, default=ROOT, help="the code measured (default: this tree)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "store_write_cost.json")
    args = parser.parse_args()
    if args.rows < 10_000:
        parser.error("--rows must be at least 10,000")
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    runs: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
    for number in range(args.rounds):
        for name in ("before", "after") if number % 2 == 0 else ("after", "before"):
            result = run_child(trees[name], args.rows)
            runs[name].append(result)
            print(
                f"round {number + 1} {name:6}: enqueue {result['enqueue_per_cpu_s']:,.0f} jobs per CPU s,"
                f" claim + complete {result['claim_complete_per_cpu_s']:,.0f}",
                flush=True,
            )
    medians = {
        name: {
            key: statistics.median(r[key] for r in results) for key in ("enqueue_per_cpu_s", "claim_complete_per_cpu_s")
        }
        for name, results in runs.items()
    }
    ratios = {key: medians["after"][key] / medians["before"][key] for key in medians["after"]}
    report = {
        "benchmark": "store_write_cost",
        "timestamp": started.isoformat().replace("+00:00", "Z"),
        "trees": {k: str(v) for k, v in trees.items()},
        "rows": args.rows,
        "rounds": args.rounds,
        "load_average_1_5_15": {
            "before": [round(x, 2) for x in load_before],
            "after": [round(x, 2) for x in os.getloadavg()],
        },
        "runs": runs,
        "medians": medians,
        "ratios_after_over_before": ratios,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")
    print(
        f"store_write_cost: enqueue_cpu_ratio={ratios['enqueue_per_cpu_s']:.3f}"
        f" claim_complete_cpu_ratio={ratios['claim_complete_per_cpu_s']:.3f}"
    )


if __name__ == "__main__":
    main()
