"""Attach mode: a daemon holds the scheduler lease, the console follows the feed and sends requests."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.jobs import JobFailure, JobSuccess, NewJob
from inolink_tui.domain.vocabulary import CONNECTIONS_CURSOR, SERVICES_CURSOR, ServiceState, encode_services
from inolink_tui.store import open_store
from inolink_tui.store.base import JobStore, SchedulerLease
from inolink_tui.ui.app import InolinkApp
from inolink_tui.ui.engine_port import (
    ConnectionStatus,
    EnginePort,
    ServiceStatus,
    StoreOnlyEngine,
    this_process,
)
from inolink_tui.ui.options import ConsoleOptions
from inolink_tui.ui.run import _engine_for, foreign_lease
from tests.fakes.memstore import MemoryStore, lease_for
from tests.ui.conftest import NOW, fill, settle
from tests.ui.screen_text import screen_text


def new_job(i: int) -> NewJob:
    return NewJob(EntityType.ACCOUNT, Source.CRM, f"rec-{i}", f"Fabrikam {i}", "9130350", submitted_by="admin")


async def test_store_only_engine_posts_requests_to_the_lease_holder() -> None:
    store = fill(MemoryStore(now=NOW))
    store.lease = lease_for("ops-vm-3:4242", NOW)
    engine = StoreOnlyEngine(store, now=lambda: NOW)
    services = await engine.services()
    assert engine.attached_to == "ops-vm-3:4242"
    assert all(not s.known for s in services)
    message = await engine.run_now("high_priority", actor="console:ann")
    assert "sent to the scheduler on ops-vm-3:4242" in message
    await engine.pause(None, actor="console:ann")
    await engine.resume("low_priority", actor="console:ann")
    assert [(r.kind, r.args, r.actor) for r in store.requests] == [
        ("sync-now", {"service": "high_priority"}, "console:ann"),
        ("pause", {}, "console:ann"),
        ("resume", {"service": "low_priority"}, "console:ann"),
    ]
    assert [a.action for a in store.audit] == ["request:sync-now", "request:pause", "request:resume"]


async def test_store_only_engine_shows_the_daemons_published_service_state() -> None:
    store = MemoryStore(now=NOW)
    store.lease = lease_for("ops-vm-3:4242", NOW)
    store.cursors[SERVICES_CURSOR] = encode_services([ServiceState("high_priority", paused=True, next_run=NOW)])
    services = await StoreOnlyEngine(store, now=lambda: NOW).services()
    assert services == [ServiceStatus("high_priority", paused=True, next_run=NOW)]
    store.cursors[SERVICES_CURSOR] = "{not json"
    assert all(not s.known for s in await StoreOnlyEngine(store, now=lambda: NOW).services())


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped): nothing runs under it."""
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


async def test_a_published_state_without_a_live_daemon_shows_as_stopped() -> None:
    """Before: a killed daemon's last words ("running") stayed on every attached console for good."""
    from inolink_tui.ui.engine_port import bar_mode

    store = MemoryStore(now=NOW)
    store.cursors[SERVICES_CURSOR] = encode_services([ServiceState("crm_to_quickbooks", running=True)])
    lapsed = StoreOnlyEngine(store, now=lambda: NOW)  # no lease at all (lapsed, or released)
    assert [s.state for s in await lapsed.services()] == ["stopped"]
    pid = _dead_pid()
    store.lease = SchedulerLease(f"{socket.gethostname()}:{pid}", pid, NOW + timedelta(seconds=60))
    killed = StoreOnlyEngine(store, lease=store.lease, now=lambda: NOW)  # SIGKILLed: its lease still looks held
    assert killed.attached_to is not None
    assert [s.state for s in await killed.services()] == ["stopped"]
    assert killed.attached_to is None and killed.stopped_daemon == f"{socket.gethostname()}:{pid}"
    assert bar_mode(killed, in_process=False) == ("stopped", f"{socket.gethostname()}:{pid}")


@pytest.mark.timeout(60)
async def test_an_attached_console_says_daemon_stopped_within_seconds_of_a_kill() -> None:
    """The console attached to a live daemon, the daemon is SIGKILLed: the bar says so within a few seconds."""
    daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])  # noqa: ASYNC220
    try:
        holder = f"{socket.gethostname()}:{daemon.pid}"
        store = fill(MemoryStore(now=NOW))
        store.lease = SchedulerLease(holder, daemon.pid, NOW + timedelta(seconds=60))
        store.cursors[SERVICES_CURSOR] = encode_services([ServiceState("crm_to_quickbooks", running=True)])
        app = InolinkApp(
            store, ConsoleOptions(now=lambda: NOW), engine=StoreOnlyEngine(store, lease=store.lease, now=lambda: NOW)
        )
        async with app.run_test(size=(120, 30)) as pilot:
            await settle(pilot, app)
            for _ in range(100):
                if "CRM→QB running" in screen_text(app) and "Processing 1" in screen_text(app):
                    break
                await pilot.pause(0.05)
            assert f"ATTACHED {holder}" in screen_text(app) and "CRM→QB running" in screen_text(app)
            assert "Processing 1" in screen_text(app)  # a job the daemon holds
            daemon.kill()
            daemon.wait()
            killed_at = time.monotonic()
            while "DAEMON STOPPED" not in screen_text(app):
                assert time.monotonic() - killed_at < 6, screen_text(app)
                await pilot.pause(0.1)
            text = screen_text(app)
            assert f"DAEMON STOPPED ({holder})" in text and "CRM→QB stopped" in text and "running" not in text
            # its job is still leased (until the lease lapses) but nobody works on it
            assert "Stalled 1" in text and "Processing" not in text
    finally:
        daemon.kill()
        daemon.wait()


async def test_store_only_engine_shows_the_daemons_published_token_health() -> None:
    store = MemoryStore(now=NOW)
    assert await StoreOnlyEngine(store).connections() == []  # no daemon has run here
    published = [
        {"name": "Dynamics 365", "connected": True, "problem": None, "access_expires": NOW.isoformat()},
        {
            "name": "QuickBooks Online",
            "connected": True,
            "problem": "invalid_grant: reconnect",
            "refresh_expires": None,
        },
    ]
    store.cursors[CONNECTIONS_CURSOR] = json.dumps(published)
    crm, qbo = await StoreOnlyEngine(store).connections()
    assert crm == ConnectionStatus("Dynamics 365", healthy=True, detail="token ok", access_expires=NOW)
    assert not qbo.healthy and qbo.detail == "invalid_grant: reconnect"
    store.cursors[CONNECTIONS_CURSOR] = "[{}]"
    assert await StoreOnlyEngine(store).connections() == []


class _Factory:
    def __init__(self) -> None:
        self.entered = 0
        self.exited = 0

    @contextlib.asynccontextmanager
    async def __call__(self, store: JobStore) -> AsyncIterator[EnginePort]:
        from tests.ui.fakes import FakeEngine

        self.entered += 1
        try:
            yield FakeEngine(NOW)
        finally:
            self.exited += 1


async def test_console_starts_no_scheduler_when_another_process_holds_the_lease(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "jobs.db")
    try:
        factory = _Factory()
        async with _engine_for(store, factory, read_only=False) as (engine, in_process):
            assert in_process and factory.entered == 1
        assert factory.exited == 1
        lease = await store.acquire_scheduler_lease("ops-vm-3:4242", 4242, ttl_seconds=60)
        assert lease is not None and (await foreign_lease(store)) is not None
        async with _engine_for(store, factory, read_only=False) as (engine, in_process):
            assert not in_process and engine.attached_to == "ops-vm-3:4242"
        assert factory.entered == 1  # no second engine
        await store.release_scheduler_lease("ops-vm-3:4242")
        await store.acquire_scheduler_lease(this_process(), 1, ttl_seconds=60)
        assert await foreign_lease(store) is None  # our own lease is not a foreign daemon
        async with _engine_for(store, factory, read_only=True) as (engine, in_process):
            assert isinstance(engine, StoreOnlyEngine) and not in_process  # read-only never runs an engine
    finally:
        await store.close()


WRITER = """
import asyncio, sys, time
from pathlib import Path
from inolink_tui.domain.enums import EntityType, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.store import open_store

async def main(path, rounds):
    store = await open_store(Path(path))
    for i in range(rounds):
        sys.stdin.readline()
        await store.enqueue([NewJob(EntityType.ACCOUNT, Source.CRM, f"ext-{i}", f"External {i}", "1")])
        print(time.time(), flush=True)
    await store.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


@pytest.mark.timeout(120)
async def test_attached_console_follows_another_process_and_its_requests_reach_the_daemon(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    daemon = await open_store(path)  # the headless daemon's connection
    console_store = await open_store(path)
    try:
        await daemon.acquire_scheduler_lease("daemon-host:999", 999, ttl_seconds=600)
        await daemon.enqueue([new_job(i) for i in range(30)])
        lease = await foreign_lease(console_store)
        app = InolinkApp(
            console_store, ConsoleOptions(actor="console:ops"), engine=StoreOnlyEngine(console_store, lease=lease)
        )
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert "ATTACHED daemon-host:999" in screen_text(app)
            assert app.jobs.table.total == 30

            # another OS process writes; the console shows it within the feed interval
            writer = subprocess.Popen(  # noqa: ASYNC220 - a line-by-line handshake, each step is instant
                [sys.executable, "-c", WRITER, str(path), "3"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            delays = []
            try:
                for expected in (31, 32, 33):
                    assert writer.stdin is not None and writer.stdout is not None
                    writer.stdin.write("go\n")
                    writer.stdin.flush()
                    committed = float(writer.stdout.readline())
                    for _ in range(300):
                        if app.jobs.table.total == expected and app.jobs.table.job_at(0) is not None:
                            break
                        await pilot.pause(0.01)
                    delays.append(time.time() - committed)
                    assert app.jobs.table.total == expected
            finally:
                writer.communicate(timeout=30)
            print(f"\nattach: change visible after {', '.join(f'{d * 1000:.0f} ms' for d in delays)}")
            assert min(delays) < 0.5

            # the daemon finishes one and fails one; the console shows both
            claimed = await daemon.claim("daemon-worker", limit=2)
            await daemon.complete(claimed[0].id, "daemon-worker", JobSuccess(accounting_id="77"))
            await daemon.fail(
                claimed[1].id,
                "daemon-worker",
                JobFailure(ErrorClass.DUPLICATE, "Duplicate Name Exists Error", error_code="6240"),
                max_attempts=1,
            )
            wanted = {claimed[0].id: LinkStatus.SUCCESS, claimed[1].id: LinkStatus.ERROR}
            for _ in range(200):
                await pilot.pause(0.01)
                statuses = {j.id: j.link_status for j in app.jobs.table.window.jobs}  # the window around the viewport
                if all(statuses.get(i) is status for i, status in wanted.items()):
                    break
            assert all(statuses.get(i) is status for i, status in wanted.items())

            # control actions from the console reach the daemon through the store
            await pilot.press("s")
            await settle(pilot, app)
            await pilot.press("enter")  # first service
            await settle(pilot, app)
            await pilot.press("p")
            await settle(pilot, app)
            taken = await daemon.take_requests("daemon-host:999")
            assert [(r.kind, r.actor) for r in taken] == [("sync-now", "console:ops"), ("pause", "console:ops")]
            assert taken[0].args == {"service": "high_priority"}
            audit = await daemon.audit_log()
            assert {a.actor for a in audit} == {"console:ops"}
    finally:
        await console_store.close()
        await daemon.close()
