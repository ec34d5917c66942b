"""A disk that fills up under a running daemon, for real: a 2 MiB tmpfs (needs root; skipped otherwise).

Before: the daemon kept running until its scheduler lease could not be renewed for a whole lease time,
then exited 3, documented as "another process holds the scheduler lease", naming nobody. Now: exit 2
(a person must act) with the store's own "the disk is full" message.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.headless.test_signals import _seed

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path) -> None:
    with open(directory / "filler", "wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 4096)
        except OSError:
            pass


def test_a_disk_that_fills_under_the_daemon_ends_it_with_exit_2_and_the_disk_message(small_disk: Path) -> None:
    db = small_disk / "jobs.db"
    asyncio.run(_seed(db, 3))
    env = {**os.environ, "STORE_ENGINE_WORK_SECONDS": "0.01", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.headless.store_engine", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = []
        deadline = time.monotonic() + 30
        while not any('"engine_started"' in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            lines.append(proc.stdout.readline())
        time.sleep(0.5)  # its three jobs done
        _fill(small_disk)
        out, err = proc.communicate(timeout=60)  # the lease time here is 10 s (half of lease_seconds 20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    events = [json.loads(line) for line in "".join(lines).splitlines() + out.splitlines() if line.startswith("{")]
    assert proc.returncode == 2, err[-2000:]
    errors = [e for e in events if e["event"] == "store_error"]
    assert errors and "the disk is full" in str(errors[-1]["message"]), events[-5:]
    assert not [e for e in events if e["event"] == "scheduler_lease_lost"]
