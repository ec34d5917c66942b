"""The README's "Reproduce" block: every benchmark it names exists, starts, and takes every flag the line names.

The runs themselves take minutes to hours (they are the benchmarks), so this checks what can go stale cheaply: a
renamed script or a dropped flag. `bench/store_write_cost.py` is also run in full by tests/store.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _reproduce_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("#### Reproduce", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


LINES = _reproduce_lines()


def test_the_block_names_each_benchmark() -> None:
    named = {re.search(r"bench/(\w+)\.py", line).group(1) for line in LINES}  # type: ignore[union-attr]
    assert {"sync_throughput", "console_scale", "store", "headless_start", "latency"} <= named


@pytest.mark.parametrize("line", LINES)
def test_each_line_runs_with_the_flags_it_names(line: str) -> None:
    script = re.search(r"bench/\w+\.py", line)
    assert script is not None, line
    answer = subprocess.run(
        [sys.executable, str(ROOT / script.group(0)), "--help"], capture_output=True, text=True, timeout=60
    )
    assert answer.returncode == 0, answer.stderr
    for flag in re.findall(r"(?<![\w-])--[a-z][a-z-]*", line):
        assert flag in answer.stdout, f"{script.group(0)} has no {flag}"
