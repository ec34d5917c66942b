"""Headless start to first cycle: process start of `inolink-tui --no-ui` to its first `cycle_started` line.

    uv run python bench/headless_start.py            # median of 5 starts
    uv run python bench/headless_start.py --runs 9

Measured from just before the process is spawned (so interpreter start-up and imports count) to
the moment the parent reads the first JSON log line whose event is `cycle_started`, against a
config written by the sandbox (`sandbox serve --write-config`, its own process). Each start gets
a fresh job database and is stopped with SIGTERM. The baseline beside it is the bare interpreter
start (`python -c pass`) and `inolink-tui --help` on the same machine in the same run: the floor
any Python CLI pays. Ends with the line `headless: start_to_first_cycle_s=X python_start_s=Y`.
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _common import load_average, machine, median, stamp, write_results  # noqa: E402

TIMEOUT = 60.0


def cli() -> list[str]:
    script = Path(sys.executable).with_name("inolink-tui")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from inolink_tui.cli import main; main()"]


def start_sandbox(folder: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [*cli(), "sandbox", "serve", "--records", "20", "--write-config", str(folder / "s.toml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError("the sandbox did not start")
    return process, json.loads(line)


def one_start(config: Path, db: Path) -> float:
    """Seconds from spawning the daemon to reading its first cycle_started line."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*cli(), "--config", str(config), "--db", str(db), "--no-ui"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = started + TIMEOUT
        while time.perf_counter() < deadline:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError(f"the daemon exited ({process.wait()}) before its first cycle")
            try:
                event = json.loads(line).get("event")
            except ValueError:
                continue
            if event == "cycle_started":
                return time.perf_counter() - started
        raise RuntimeError("no cycle_started within 60 s")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    before = machine()
    started_at = stamp()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="inolink-headless-bench-") as tmp:
        folder = Path(tmp)
        sandbox, _info = start_sandbox(folder)
        try:
            config = folder / "s.toml"
            starts = []
            for run in range(args.runs):
                db = folder / f"jobs-{run}.db"
                starts.append(one_start(config, db))
            figures["start_to_first_cycle_s"] = median(starts)
            figures["start_to_first_cycle_runs_s"] = [round(s, 4) for s in starts]
        finally:
            sandbox.send_signal(signal.SIGTERM)
            sandbox.wait(15)
    python = [timed([sys.executable, "-c", "pass"]) for _ in range(args.runs)]
    helps = [timed([*cli(), "--help"]) for _ in range(args.runs)]
    figures["python_start_s"] = median(python)
    figures["cli_help_s"] = median(helps)
    report = {
        "benchmark": "headless_start",
        "timestamp": started_at,
        "machine": before,
        "machine_after": {"load_average_1_5_15": load_average()},
        "measured": "process spawn of `inolink-tui --no-ui` to the first cycle_started JSON line (median)",
        "runs": args.runs,
        **figures,
    }
    path = write_results("headless_start", report, args.out)
    print(json.dumps(figures))
    print(f"wrote {path}")
    print(
        f"headless: start_to_first_cycle_s={figures['start_to_first_cycle_s']}"
        f" python_start_s={figures['python_start_s']}"
    )


if __name__ == "__main__":
    main()
