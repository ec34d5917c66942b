"""Signals and states (issue 12, item 6): SIGHUP, `--once` interrupted, a full disk, where /metrics listens."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.headless.daemon import EXIT_CONFIG, Daemon, DaemonOptions, default_holder
from inolink_tui.headless.metrics import Metrics
from inolink_tui.headless.once import run_once
from inolink_tui.store import StoreFullError, open_store
from inolink_tui.store.base import JobStore, SchedulerLease
from tests.headless.fakes import FakeEngine, FakeStore

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]


def _options(**kw: object) -> DaemonOptions:
    values: dict[str, object] = {
        "lease_ttl": 3.0,
        "shutdown_grace": 3.0,
        "refresh_interval": 0.05,
        "request_poll": 0.02,
        "services_poll": 0.02,
    }
    values.update(kw)
    return DaemonOptions(**values)  # type: ignore[arg-type]


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def _until(predicate: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


class HoldingEngine(FakeEngine):
    """`run_once` claims jobs as the real engine's workers do (`<host>:<pid>:<pool>-<n>`) and is cancelled
    while it holds them; like the real engine it does not give them back itself when cancelled."""

    def __init__(self, store: JobStore) -> None:
        super().__init__()
        self.store = store
        self.claimed = 0

    async def run_once(self) -> bool:
        for n in range(3):
            self.claimed += len(await self.store.claim(f"{default_holder()}:crm-{n}", limit=1, lease_seconds=300))
        await asyncio.sleep(600)
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
async def test_once_interrupted_gives_back_its_job_leases_and_exits_128_plus_the_signal(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """Before: exit 0 ("no job ended in Error") with the jobs still leased until their leases lapsed."""
    db = tmp_path / "jobs.db"
    store = await open_store(db)
    try:
        await store.enqueue([NewJob(EntityType.ACCOUNT, Source.CRM, f"crm-{i}", f"C {i}", "123") for i in range(5)])
        engine = HoldingEngine(store)
        daemon = Daemon(engine, store, _options())
        task = asyncio.create_task(run_once(daemon))
        await _until(lambda: engine.claimed == 3)
        os.kill(os.getpid(), sig)  # the daemon's own handler, as a person's `kill` reaches it
        assert await asyncio.wait_for(task, 10) == 128 + sig.value
        counts = await store.counts()
        assert counts.processing == 0  # every job lease given back at once, not when it lapses
        assert counts.by_status[LinkStatus.QUEUED] == counts.total == 5  # nothing lost: the next run does them
        assert await store.scheduler_lease() is None
    finally:
        await store.close()
    released = _rows(db, "SELECT count(*) FROM attempts WHERE outcome = 'released'")
    assert released == [(3,)]


def _start_daemon(db: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "STORE_ENGINE_WORK_SECONDS": "0.2", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.headless.store_engine", str(db), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _seed(db: Path, n: int) -> None:
    store = await open_store(db)
    try:
        await store.enqueue([NewJob(EntityType.ACCOUNT, Source.CRM, f"crm-{i}", f"C {i}", "123") for i in range(n)])
    finally:
        await store.close()


def test_sighup_stops_the_daemon_cleanly_and_releases_every_lease(tmp_path: Path) -> None:
    """Before: SIGHUP's default action killed the daemon on the spot, its scheduler lease and job leases left."""
    db = tmp_path / "jobs.db"
    asyncio.run(_seed(db, 40))
    proc = _start_daemon(db)
    try:
        deadline = time.monotonic() + 30
        while not _rows(db, "SELECT count(*) FROM jobs WHERE lease_worker IS NOT NULL")[0][0]:
            assert time.monotonic() < deadline, "the daemon never held a job"
            time.sleep(0.05)
        proc.send_signal(signal.SIGHUP)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    events = [json.loads(line)["event"] for line in out.splitlines() if line.strip()]
    assert events.index("shutdown") < events.index("scheduler_lease_released") < events.index("stopped")
    assert _rows(db, "SELECT count(*) FROM scheduler_lease") == [(0,)]
    assert _rows(db, "SELECT count(*) FROM jobs WHERE lease_until IS NOT NULL") == [(0,)]


class FullDiskStore(FakeStore):
    """The disk fills up after the daemon started: every write (lease renewal included) fails."""

    full = False

    async def acquire_scheduler_lease(
        self, holder: str, pid: int, *, ttl_seconds: float, now: datetime | None = None
    ) -> SchedulerLease | None:
        if self.full:
            raise StoreFullError("jobs.db: the disk is full; free some space and retry (database or disk is full)")
        return await super().acquire_scheduler_lease(holder, pid, ttl_seconds=ttl_seconds, now=now)


async def test_a_disk_that_fills_up_exits_2_with_the_disk_message(caplog: pytest.LogCaptureFixture) -> None:
    """Before: exit 3, whose documented meaning is "another process holds the lease" (nobody did)."""
    engine, store = FakeEngine(), FullDiskStore()
    daemon = Daemon(engine, store, _options(lease_ttl=0.3))
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    store.full = True
    assert await asyncio.wait_for(task, 10) == EXIT_CONFIG
    errors = [r.getMessage() for r in caplog.records if getattr(r, "event", None) == "store_error"]
    assert errors and "the disk is full" in errors[0]
    assert not [r for r in caplog.records if getattr(r, "event", None) == "scheduler_lease_lost"]


async def test_metrics_listen_on_this_machine_only_unless_told() -> None:
    """Before: /metrics listened on 0.0.0.0 (every interface) with no way to choose."""
    engine, store = FakeEngine(), FakeStore()
    daemon = Daemon(engine, store, _options(metrics_port=0), metrics=Metrics())
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    assert daemon.metrics is not None and daemon.metrics._server is not None
    assert daemon.metrics._server.server_address[0] == "127.0.0.1"
    daemon.request_stop("test")
    await task


def test_metrics_bind_reaches_the_exporter(tmp_path: Path) -> None:
    """`--metrics-bind ADDR` is where /metrics listens (the log line names it)."""
    db = tmp_path / "jobs.db"
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "INOLINK_ENGINE_FACTORY": "tests.headless.store_engine:build_engine",
    }
    cmd = [sys.executable, "-m", "inolink_tui", "--db", str(db), "--no-ui", "--metrics-port", "0"]
    outputs = {}
    for bind in (None, "0.0.0.0"):
        proc = subprocess.Popen(
            cmd + (["--metrics-bind", bind] if bind else []),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert proc.stdout is not None
            line = ""
            deadline = time.monotonic() + 30
            while '"metrics_started"' not in line:
                assert time.monotonic() < deadline, "no metrics_started line"
                line = proc.stdout.readline()
            outputs[bind] = json.loads(line)["message"]
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=20)
        assert proc.returncode == 0
    assert outputs[None].startswith("metrics on http://127.0.0.1:")
    assert outputs["0.0.0.0"].startswith("metrics on http://0.0.0.0:")
