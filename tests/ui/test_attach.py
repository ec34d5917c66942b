"""Attach mode: a daemon holds the scheduler lease, the console follows the feed and sends requests."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.jobs import JobFailure, JobSuccess, NewJob
from inolink_tui.store import open_store
from inolink_tui.store.base import JobStore
from inolink_tui.ui.app import InolinkApp
from inolink_tui.ui.engine_port import (
    CONNECTIONS_CURSOR,
    SERVICES_CURSOR,
    ConnectionStatus,
    EnginePort,
    ServiceStatus,
    StoreOnlyEngine,
    this_process,
)
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
    published = [ServiceStatus("high_priority", paused=True, next_run=NOW).as_json()]
    store.cursors[SERVICES_CURSOR] = json.dumps(published)
    services = await StoreOnlyEngine(store).services()
    assert services == [ServiceStatus("high_priority", paused=True, next_run=NOW)]
    store.cursors[SERVICES_CURSOR] = "{not json"
    assert all(not s.known for s in await StoreOnlyEngine(store).services())


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
        app = InolinkApp(console_store, engine=StoreOnlyEngine(console_store, lease=lease), actor="console:ops")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            assert "ATTACHED daemon-host:999" in screen_text(app)
            assert app.table.total == 30

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
                        if app.table.total == expected and app.table.job_at(0) is not None:
                            break
                        await pilot.pause(0.01)
                    delays.append(time.time() - committed)
                    assert app.table.total == expected
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
                statuses = {j.id: j.link_status for j in app.table._window}  # the window around the viewport
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
