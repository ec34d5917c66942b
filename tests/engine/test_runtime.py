"""The Engine as the console and the daemon drive it: start, run now, pause, stop."""

from __future__ import annotations

import asyncio
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, LinkStatus
from inolink_tui.domain.events import CycleFinished, ServicePaused
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY, ServiceWindow
from inolink_tui.engine.tokens import FileTokenStore, TokenFileError
from tests.engine.conftest import World


@pytest.mark.timeout(20)
async def test_started_engine_runs_now_pauses_and_stops(world: World) -> None:
    closed: list[str] = []

    async def close() -> None:
        closed.append("x")

    windows = {name: ServiceWindow(interval=timedelta(hours=1)) for name in (CRM_TO_QUICKBOOKS, HIGH_PRIORITY)}
    windows[LOW_PRIORITY] = ServiceWindow(enabled=False)
    engine = world.rebuild(services=windows)
    engine._closers = (close,)
    world.account("Started Co")
    await engine.start()
    try:
        status = {s.name: s for s in engine.services()}
        assert status[CRM_TO_QUICKBOOKS].next_run is not None and status[LOW_PRIORITY].next_run is None
        # start() already runs the overdue services; a run-now meanwhile is folded into one more run.
        runner = engine.scheduler.runners[CRM_TO_QUICKBOOKS]
        result = await asyncio.wait_for(engine.run_now(CRM_TO_QUICKBOOKS), 10)
        await asyncio.wait_for(runner.wait_idle(), 10)
        assert result is None or isinstance(result, CycleFinished)
        assert runner.runs == 2 and isinstance(runner.last_result, CycleFinished)
        assert (await world.jobs(entity_type=EntityType.ACCOUNT))[0].link_status is LinkStatus.SUCCESS
        assert engine.pause(None) == [CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY]
        assert any(isinstance(e, ServicePaused) for e in world.events)
        assert all(s.paused and s.next_run is None for s in engine.services())
        assert engine.resume(HIGH_PRIORITY) == [HIGH_PRIORITY]
        status = {s.name: s for s in engine.services()}
        assert status[HIGH_PRIORITY].next_run is not None
        assert status[CRM_TO_QUICKBOOKS].last_finished is not None
        assert [c.system for c in engine.connections()] == ["Dynamics 365", "QuickBooks Online"]
    finally:
        await engine.stop()
    assert closed == ["x"]


@pytest.mark.timeout(20)
async def test_stop_lets_the_job_in_hand_finish_and_claims_no_more(world: World) -> None:
    for i in range(6):
        world.account(f"Slow {i}")
    gate = asyncio.Event()
    started = asyncio.Event()

    original = world.qbo.create

    async def slow_create(*args: object, **kwargs: object) -> dict[str, object]:
        started.set()
        await gate.wait()
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    world.qbo.create = slow_create  # type: ignore[method-assign]
    engine = world.rebuild(workers=1)
    task = engine.run_now(CRM_TO_QUICKBOOKS)
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(engine.stop())
    await asyncio.sleep(0.05)
    gate.set()
    await asyncio.wait_for(stopping, 10)
    await task
    done = await world.jobs(link_status=LinkStatus.SUCCESS)
    assert len(done) == 1, "the job in hand finished; no further job was claimed"
    assert len(await world.jobs(link_status=LinkStatus.QUEUED)) == 5


def test_token_file_round_trip_is_private(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "sub" / "tokens.json")
    assert store.load("quickbooks:1") is None
    store.save("quickbooks:1", {"refresh_token": "r1"})
    store.save("quickbooks:2", {"refresh_token": "r2"})
    assert store.load("quickbooks:1") == {"refresh_token": "r1"}
    assert stat.S_IMODE((tmp_path / "sub" / "tokens.json").stat().st_mode) == 0o600
    assert set(json.loads((tmp_path / "sub" / "tokens.json").read_text())) == {"quickbooks:1", "quickbooks:2"}
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(TokenFileError, match=r"bad\.json"):
        FileTokenStore(tmp_path / "bad.json").load("x")


@pytest.mark.timeout(20)
async def test_a_slow_job_keeps_its_lease_with_heartbeats(world: World) -> None:
    world.account("Slow But Steady")
    original = world.qbo.create

    async def slow_create(*args: object, **kwargs: object) -> dict[str, object]:
        await asyncio.sleep(0.5)  # five lease lengths
        return await original(*args, **kwargs)  # type: ignore[arg-type]

    world.qbo.create = slow_create  # type: ignore[method-assign]
    engine = world.rebuild(lease_seconds=0.1, workers=1)
    pool = engine.cycles.crm_pool
    task = asyncio.create_task(engine.run_once())
    await asyncio.sleep(0.3)
    assert await world.store.claim("intruder", lease_seconds=1, now=world.clock()) == []
    await asyncio.wait_for(task, 10)
    assert pool.lease_seconds == 0.1
    assert len(world.qbo.active("Customer")) == 1


@pytest.mark.timeout(20)
async def test_start_catches_up_services_that_are_due(world: World) -> None:
    windows = {name: ServiceWindow(interval=timedelta(hours=1)) for name in (CRM_TO_QUICKBOOKS, HIGH_PRIORITY)}
    windows[LOW_PRIORITY] = ServiceWindow(enabled=False)
    engine = world.rebuild(services=windows)
    assert await engine.overdue_services() == [CRM_TO_QUICKBOOKS, HIGH_PRIORITY]  # never ran
    world.account("Early Bird")
    await engine.start()
    try:
        for _ in range(200):
            if (await world.jobs(link_status=LinkStatus.SUCCESS)) and not any(s.running for s in engine.services()):
                break
            await asyncio.sleep(0.02)
        assert (await world.jobs(link_status=LinkStatus.SUCCESS))[0].record_name == "Early Bird"
        assert await engine.overdue_services() == []  # ran just now
        world.clock.advance(3601)
        assert await engine.overdue_services() == [CRM_TO_QUICKBOOKS, HIGH_PRIORITY]
    finally:
        await engine.stop()
