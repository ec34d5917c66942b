"""bench/store_write_cost.py, as the README runs it: two trees taking turns, figures per CPU second (issue 18)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_write_cost_bench_compares_two_trees(tmp_path: Path) -> None:
    out = tmp_path / "cost.json"
    run = subprocess.run(
        [
            *(sys.executable, str(ROOT / "bench" / "store_write_cost.py"), "--before", str(ROOT)),
            *("--rows", "10000", "--rounds", "1", "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    last = run.stdout.strip().splitlines()[-1]
    assert last.startswith("store_write_cost: enqueue_cpu_ratio="), run.stdout
    report = json.loads(out.read_text())
    assert report["rows"] == 10_000 and len(report["runs"]["before"]) == len(report["runs"]["after"]) == 1
    for figures in (*report["runs"]["before"], *report["runs"]["after"]):
        assert figures["module"].startswith(str(ROOT))
        assert figures["enqueue_per_cpu_s"] > 0 and figures["claim_complete_per_cpu_s"] > 0
