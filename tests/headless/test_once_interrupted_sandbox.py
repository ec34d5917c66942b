"""`--once` interrupted by SIGTERM, as the issue reproduced it: the real CLI and engine on a standalone sandbox.

Before: exit 0 ("no job ended in Error") with jobs still Queued and 10 of them leased by a process that
no longer existed, so nothing could work them until each lease lapsed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.headless.test_sandbox_daemon import CLI, ROOT, _count, _free_port, _missing, _wait

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(bool(_missing()), reason="not merged yet: " + ", ".join(_missing())),
]


def test_once_interrupted_by_sigterm_gives_back_every_lease_and_says_so(tmp_path: Path) -> None:
    config, db = tmp_path / "s.toml", tmp_path / "jobs.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(tmp_path / "data")}
    sandbox = subprocess.Popen(
        [*CLI, "sandbox", "serve", "--write-config", str(config), "--records", "60", "--port", str(_free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(config.exists, 60, "the sandbox config")
        time.sleep(0.5)
        once = subprocess.Popen(
            [*CLI, "--config", str(config), "--db", str(db), "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            _wait(lambda: _count(db, "SELECT count(*) FROM jobs WHERE lease_worker IS NOT NULL") >= 2, 90, "leases")
            once.send_signal(signal.SIGTERM)
            out, err = once.communicate(timeout=30)
        finally:
            if once.poll() is None:
                once.kill()
        assert once.returncode == 128 + signal.SIGTERM, err[-3000:]
        events = {json.loads(line)["event"]: json.loads(line) for line in out.splitlines() if line.startswith("{")}
        assert "once_interrupted" in events and "once_finished" not in events
        assert _count(db, "SELECT count(*) FROM jobs WHERE lease_until IS NOT NULL") == 0
        assert _count(db, "SELECT count(*) FROM scheduler_lease") == 0
        assert _count(db, "SELECT count(*) FROM jobs WHERE link_status = 'Queued'") > 0  # left for the next run
    finally:
        sandbox.send_signal(signal.SIGTERM)
        try:
            sandbox.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            sandbox.kill()
            sandbox.communicate()
