"""Headless start to first cycle: process start of `inolink-tui --no-ui` to its first `cycle_started` line;
and the CLI's own start: `--help` and `jobs list`, each as a ratio to a bare `python -c "import sqlite3, click"`.

    uv run python bench/headless_start.py            # median of 5 starts
    uv run python bench/headless_start.py --runs 9
    uv run python bench/headless_start.py --bytecode env   # as this shell runs Python (see below)

Measured from just before the process is spawned (so interpreter start-up and imports count) to
the moment the parent reads the first JSON log line whose event is `cycle_started`, against a
config written by the sandbox (`sandbox serve --write-config`, its own process). Each start gets
a fresh job database and is stopped with SIGTERM. The baseline beside it is the bare interpreter
start (`python -c pass`) and `inolink-tui --help` on the same machine in the same run: the floor
any Python CLI pays. Ends with the line `headless: start_to_first_cycle_s=X python_start_s=Y help_ratio=H
jobs_list_ratio=J`.

CPU: beside each wall time, the CPU the process used (user + system): the daemon's when its first cycle_started line is
read (`cpu_to_first_cycle_s`, from /proc), and each short command's (`cpu_s`, `cpu_help_ratio`, `cpu_jobs_list_ratio`).
On this shared machine the wall times move with everyone's load; the CPU times hardly do.

Bytecode: by default (`--bytecode warm`) every child process reads and writes compiled bytecode in a private cache
(PYTHONPYCACHEPREFIX in the run's temporary folder) that one untimed run of each command fills first, as an
installed copy reads its .pyc files. A shell with PYTHONDONTWRITEBYTECODE=1 (this project's development machines
have it) and a venv installed without bytecode (uv's default) compile every module from source on every start:
about 2 s more to the first cycle here. `--bytecode env` measures that, with the environment as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _common import bytecode_env, load_average, machine, median, stamp, write_results  # noqa: E402

TIMEOUT = 60.0


def cli() -> list[str]:
    script = Path(sys.executable).with_name("inolink-tui")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from inolink_tui.cli import main; main()"]


CHILD_ENV: dict[str, str] = dict(os.environ)
"""The environment of every timed process (see --bytecode)."""


def child_env(folder: Path, bytecode: str) -> dict[str, str]:
    env = bytecode_env(folder, bytecode)
    env["XDG_CACHE_HOME"] = str(folder / "cache")  # the config stamp of `jobs list`, private to this run
    return env


def start_sandbox(folder: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [*cli(), "sandbox", "serve", "--records", "20", "--write-config", str(folder / "s.toml")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=CHILD_ENV,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise RuntimeError("the sandbox did not start")
    return process, json.loads(line)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU the process has used so far (Linux /proc; None elsewhere): unlike the wall time, it hardly
    moves with the machine's load, so it shows what a change cut even on a busy machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _forward(stream: IO[str], lines: queue.SimpleQueue[str]) -> None:
    """Every line of `stream`, then "" at its end."""
    for line in stream:
        lines.put(line)
    lines.put("")


CPU_AT_FIRST_CYCLE: list[float] = []
"""The daemon's CPU seconds when its first cycle_started line was read, one per timed start."""


ALL_DAY = """
[services.high_priority]
days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
start = "00:00"
end = "23:59"
"""
"""Appended to the sandbox's config: the High Priority service runs every day, all day. Its default window (08:00-17:00,
as InoLink's) applies in live mode too, and the other services skip Sundays: after 17:00, or on a Sunday evening, no
cycle would start at all and a run would measure the clock instead of the start."""


def one_start(config: Path, db: Path) -> float:
    """Seconds from spawning the daemon to reading its first cycle_started line (its CPU time then goes to
    CPU_AT_FIRST_CYCLE)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [*cli(), "--config", str(config), "--db", str(db), "--no-ui"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=CHILD_ENV,
    )
    lines: queue.SimpleQueue[str] = queue.SimpleQueue()
    assert process.stdout is not None
    # A reader thread, so a daemon that goes quiet before its first cycle fails the run after TIMEOUT (naming the last
    # thing it logged) instead of blocking the benchmark on readline for ever.
    threading.Thread(target=_forward, args=(process.stdout, lines), daemon=True).start()
    last = ""
    try:
        deadline = started + TIMEOUT
        while (remaining := deadline - time.perf_counter()) > 0:
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                break
            if not line:
                raise RuntimeError(f"the daemon exited ({process.wait()}) before its first cycle; last: {last}")
            try:
                event = json.loads(line).get("event")
            except ValueError:
                continue
            last = line.strip()[:300]
            if event == "cycle_started":
                elapsed = time.perf_counter() - started
                cpu = cpu_seconds(process.pid)
                if cpu is not None:
                    CPU_AT_FIRST_CYCLE.append(cpu)
                return elapsed
        raise RuntimeError(f"no cycle_started within {TIMEOUT:g} s; the daemon's last line: {last}")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


CHILD_CPU: dict[str, list[float]] = {}
"""User + system CPU seconds of each timed run, by command name (resource.getrusage of the children)."""


def timed(command: list[str], name: str = "") -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=CHILD_ENV)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if name:
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        CHILD_CPU.setdefault(name, []).append(cpu)
    return elapsed


def interleaved(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Each command `runs` times, taking turns, after one untimed run each (bytecode cache, config stamp): a
    change in the machine's load then touches every command alike, and the ratios stay fair."""
    for command in commands.values():
        timed(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command, name))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--bytecode", choices=("warm", "env"), default="warm", help="see the module's docstring")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    before = machine()
    started_at = stamp()
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="inolink-headless-bench-") as tmp:
        folder = Path(tmp)
        CHILD_ENV.clear()
        CHILD_ENV.update(child_env(folder, args.bytecode))
        sandbox, _info = start_sandbox(folder)
        try:
            config = folder / "s.toml"
            with config.open("a", encoding="utf-8") as handle:
                handle.write(ALL_DAY)
            starts = []
            one_start(config, folder / "warm-up.db")  # fills the bytecode cache (with --bytecode warm)
            CPU_AT_FIRST_CYCLE.clear()
            for run in range(args.runs):
                db = folder / f"jobs-{run}.db"
                starts.append(one_start(config, db))
            figures["start_to_first_cycle_s"] = median(starts)
            figures["start_to_first_cycle_runs_s"] = [round(s, 4) for s in starts]
            if CPU_AT_FIRST_CYCLE:
                figures["cpu_to_first_cycle_s"] = round(median(CPU_AT_FIRST_CYCLE), 3)
            commands = {
                "bare": [sys.executable, "-c", "import sqlite3, click"],
                "python": [sys.executable, "-c", "pass"],
                "help": [*cli(), "--help"],
                "jobs_list": [*cli(), "--config", str(config), "--db", str(folder / "jobs-0.db"), "jobs", "list"],
            }
            times = interleaved(commands, max(args.runs, 7))
        finally:
            sandbox.send_signal(signal.SIGTERM)
            sandbox.wait(15)
    figures["python_start_s"] = median(times["python"])
    figures["bare_sqlite3_click_s"] = median(times["bare"])
    figures["cli_help_s"] = median(times["help"])
    figures["jobs_list_s"] = median(times["jobs_list"])
    figures["help_ratio"] = round(figures["cli_help_s"] / figures["bare_sqlite3_click_s"], 2)
    figures["jobs_list_ratio"] = round(figures["jobs_list_s"] / figures["bare_sqlite3_click_s"], 2)
    cpu = {name: median(values) for name, values in CHILD_CPU.items()}
    if cpu.get("bare"):  # CPU time hardly moves with the machine's load: the same ratios, steadier
        figures["cpu_s"] = cpu
        figures["cpu_help_ratio"] = round(cpu["help"] / cpu["bare"], 2)
        figures["cpu_jobs_list_ratio"] = round(cpu["jobs_list"] / cpu["bare"], 2)
    figures["bytecode"] = args.bytecode
    figures["environment_writes_bytecode"] = "PYTHONDONTWRITEBYTECODE" not in os.environ
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
        f" python_start_s={figures['python_start_s']} help_ratio={figures['help_ratio']}"
        f" jobs_list_ratio={figures['jobs_list_ratio']} bytecode={args.bytecode}"
    )


if __name__ == "__main__":
    main()
