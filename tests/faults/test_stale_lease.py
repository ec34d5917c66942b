"""A daemon killed outright leaves its scheduler lease behind; the restart must not be refused for it.

Found by the crash loop: before the fix every restart within the lease's lifetime exited 3
("another process runs the scheduler") although that process no longer existed.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from inolink_tui.headless.daemon import EXIT_LEASE_HELD, Daemon, DaemonOptions
from inolink_tui.store import open_store
from tests.headless.fakes import FakeEngine

pytestmark = pytest.mark.timeout(30)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])


def options() -> DaemonOptions:
    return DaemonOptions(lease_ttl=60, shutdown_grace=2, refresh_interval=0.05, request_poll=0.02, services_poll=0.02)


@pytest.mark.parametrize(
    ("holder_host", "holder_alive", "taken_over"),
    [("here", False, True), ("here", True, False), ("elsewhere", False, False)],
    ids=["dead-here", "alive-here", "other-host"],
)
async def test_a_dead_holder_on_this_host_is_taken_over(
    tmp_path: Path, holder_host: str, holder_alive: bool, taken_over: bool
) -> None:
    alive = sleeper() if holder_alive else None
    try:
        pid = alive.pid if alive else dead_pid()
        host = socket.gethostname() if holder_host == "here" else "another-host.example"
        store = await open_store(tmp_path / "jobs.db")
        try:
            await store.acquire_scheduler_lease(f"{host}:{pid}", pid, ttl_seconds=60)
            code, _ = await Daemon(FakeEngine(), store, options()).run_once()
            lease = await store.scheduler_lease()
        finally:
            await store.close()
    finally:
        if alive:
            alive.kill()
            alive.wait()
    if taken_over:
        assert code != EXIT_LEASE_HELD
        assert lease is None or lease.holder != f"{host}:{pid}"
    else:
        assert code == EXIT_LEASE_HELD
        assert lease is not None and lease.holder == f"{host}:{pid}", "a live or foreign holder keeps its lease"
