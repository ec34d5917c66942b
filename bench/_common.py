"""Helpers the benchmark scripts share: the machine's details, memory figures, and writing results.

A figure means little without the machine it was measured on and how busy that machine was, so
every results file carries the platform, the versions of what was measured, the load average
before and after, and a fixed pure-Python reference loop a reader can compare across runs.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import timeit
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PACKAGES = ("textual", "httpx", "uvicorn", "starlette", "aiosqlite", "pydantic", "msal", "intuit-oauth")


def load_average() -> list[float] | None:
    return [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def versions() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def machine() -> dict[str, Any]:
    """The machine and its load right now; `python_reference_us` is the same loop store.py times."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": load_average(),
        "python_reference_us": round(min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6, 2),
        "versions": versions(),
        "commit": git_commit(),
    }


def peak_rss_mib() -> float:
    """Peak resident memory of this process (Linux reports ru_maxrss in KiB)."""
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kib / 1024 if sys.platform != "darwin" else kib / 1024 / 1024, 1)


def rss_mib() -> float:
    """Resident memory now (psutil is a dev dependency; fall back to /proc)."""
    try:
        import psutil  # type: ignore[import-untyped]
    except ImportError:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)
    return round(float(psutil.Process().memory_info().rss) / 2**20, 1)


def median(values: Sequence[float], digits: int = 4) -> float:
    return round(statistics.median(values), digits)


def stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def write_results(name: str, report: dict[str, Any], out: Path | None = None, *, keep_runs: int = 0) -> Path:
    """Write `bench/results/<name>.json`; with `keep_runs`, append to the file's last runs instead.

    The sync benchmark keeps its last few runs side by side because one run of it is one sample:
    the reader sees both (or more) rather than a single lucky figure.
    """
    path = out or RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    if keep_runs:
        runs: list[dict[str, Any]] = []
        if path.exists():
            try:
                previous = json.loads(path.read_text())
                runs = list(previous.get("runs", [])) if isinstance(previous, dict) else []
            except ValueError:
                runs = []
        runs = [*runs, report][-keep_runs:]
        document: dict[str, Any] = {"benchmark": name, "latest": report, "runs": runs}
    else:
        document = report
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def bytecode_env(folder: Path, bytecode: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for timed child processes. `warm`: compiled bytecode read from and written to a private
    cache in `folder` (fill it with one untimed run), as an installed copy reads its .pyc files; `env`: this
    shell's environment as it is (with PYTHONDONTWRITEBYTECODE=1 and a venv installed without bytecode, every
    start compiles every module from source: seconds on this machine)."""
    env = dict(os.environ if base is None else base)
    if bytecode == "warm":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
    return env
