"""The Engine as the console and the daemon drive it: start, run now, pause, stop."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from inolink_tui.domain.enums import EntityType, LinkStatus
from inolink_tui.domain.events import CycleFinished, ServicePaused
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY, ServiceWindow
from inolink_tui.engine.processor import Outcome
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
        assert status[CRM_TO_QUICKBOOKS].last_run is not None and runner.last_finished is not None
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


@pytest.mark.timeout(20)
async def test_jobs_of_one_record_never_run_together_and_keep_their_order(world: World) -> None:
    from inolink_tui.domain.enums import Operation, Source
    from inolink_tui.domain.jobs import NewJob

    rid = world.account("Busy Record")
    others = [world.account(f"Other {i}") for i in range(4)]
    await world.engine.run_once()
    qid = world.crm.row(EntityType.ACCOUNT, rid)["ino_accountingid"]
    # Three jobs for one record from both directions, plus unrelated work for the other workers.
    await world.store.enqueue(
        [
            NewJob(EntityType.ACCOUNT, Source.CRM, rid, "Busy Record", "9130", Operation.UPDATE),
            NewJob(EntityType.ACCOUNT, Source.ACCOUNTING, rid, "Busy Record", "9130", Operation.UPDATE, qbo_id=qid),
        ],
        now=world.clock(),
    )
    for other in others:
        await world.store.enqueue(
            [NewJob(EntityType.ACCOUNT, Source.CRM, other, "Other", "9130", Operation.UPDATE)], now=world.clock()
        )
    engine = world.rebuild(workers=4)
    original = engine.processor.process
    running: dict[str, int] = {}
    peak: dict[str, int] = {}
    order: list[int] = []

    async def watched(job: LinkJob, worker: str) -> Outcome:
        key = job.crm_record_id
        running[key] = running.get(key, 0) + 1
        peak[key] = max(peak.get(key, 0), running[key])
        if key == rid:
            order.append(job.id)
        try:
            await asyncio.sleep(0.05)
            return await original(job, worker)
        finally:
            running[key] -= 1

    engine.processor.process = watched  # type: ignore[method-assign]
    # The QuickBooks -> CRM pool starts first, yet the record's older CRM job still goes first.
    await asyncio.gather(engine.cycles.qbo_pool.drain(wait_seconds=2), engine.cycles.crm_pool.drain(wait_seconds=2))
    assert peak[rid] == 1
    done = [j for j in await world.jobs(crm_record_id=rid) if j.processed_at is not None]
    finished = [j.id for j in sorted(done, key=lambda j: j.processed_at or world.clock())]
    assert finished == sorted(finished) and len(finished) == 3  # the first link, then the two updates
