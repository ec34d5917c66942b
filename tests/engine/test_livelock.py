"""Failure 2 of issue 12: a CRM -> QuickBooks job waiting for an older QuickBooks -> CRM job that does not run.

The older job stays Queued (its High Priority cycle was cut short, or it is outside its window, or paused); the
newer one was deferred "waiting for the older job N of the same record" every second, forever: the CRM to
QuickBooks cycle never ended (the daemon then skipped every later run) and the attempts table grew by a row
per second.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from inolink_tui.domain.enums import AttemptOutcome, EntityType, ErrorClass, LinkStatus, Operation, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY, ServiceWindow
from tests.engine.conftest import World
from tests.fakes.memstore import MemoryStore as MemStore


async def _livelock_state(world: World) -> tuple[int, str]:
    """A linked account with an older Queued QuickBooks -> CRM job, then a CRM edit of it."""
    await world.engine.run_once()  # starts the change feeds
    rid = world.account("Oakridge Electric")
    await world.engine.run_once()
    link = await world.store.get_link(EntityType.ACCOUNT, rid)
    assert link is not None and link.qbo_id
    older = await world.store.enqueue(
        [
            NewJob(
                EntityType.ACCOUNT,
                Source.ACCOUNTING,
                rid,
                "Oakridge Electric",
                "9130",
                operation=Operation.UPDATE,
                qbo_entity="Customer",
                qbo_id=link.qbo_id,
            )
        ],
        now=world.clock(),
    )
    world.crm.edit(EntityType.ACCOUNT, rid, telephone1="(650) 555-0100")
    return older.created[0], rid


async def test_the_crm_cycle_ends_while_a_job_waits_for_an_older_job_of_the_other_direction(world: World) -> None:
    older, rid = await _livelock_state(world)
    started = time.monotonic()
    finished = await asyncio.wait_for(world.engine.cycles.crm_to_quickbooks(), timeout=20)
    assert finished.error is None
    assert time.monotonic() - started < 10, "the cycle waited for a job its own drain cannot run"
    [newer] = await world.jobs(source=Source.CRM, crm_record_id=rid, operation=Operation.UPDATE)
    assert newer.link_status is LinkStatus.QUEUED
    if not isinstance(world.store, MemStore):  # the SQLite store keeps the waits
        waits = [a for a in await world.store.attempts(newer.id) if a.outcome is AttemptOutcome.WAITING]
        assert len(waits) == 1, f"a wait is recorded once, not once per look: {len(waits)} rows"
        assert f"older job {older}" in str(waits[0].message)
    # The older job's service runs: the waiting job goes next.
    await world.engine.cycles.high_priority()
    await world.engine.cycles.crm_to_quickbooks()
    assert (await world.store.get(newer.id)).link_status is LinkStatus.SUCCESS


async def test_once_runs_the_waiting_job_after_the_older_one_and_terminates(world: World) -> None:
    _, rid = await _livelock_state(world)
    assert await asyncio.wait_for(world.engine.run_once(), timeout=30) is False
    jobs = await world.jobs(crm_record_id=rid)
    assert {j.link_status for j in jobs} == {LinkStatus.SUCCESS}, [(j.id, j.source, j.link_status) for j in jobs]


async def test_a_wait_for_a_job_that_never_runs_ends_in_error_with_a_hint(world: World) -> None:
    if isinstance(world.store, MemStore):
        pytest.skip("the bound is measured on the wait's attempt row, which only the SQLite store keeps")
    older, rid = await _livelock_state(world)
    engine = world.rebuild(dependency_max_wait=0.5)
    await engine.cycles.crm_to_quickbooks()
    world.clock.advance(1)
    await engine.cycles.crm_to_quickbooks()
    [newer] = await world.jobs(source=Source.CRM, crm_record_id=rid, operation=Operation.UPDATE)
    assert newer.link_status is LinkStatus.ERROR
    assert newer.error_class is ErrorClass.REFERENCE
    assert f"older job {older}" in (newer.error_description or "")
    assert "requeue" in (newer.error_description or "")
    assert (await world.store.get(older)).link_status is LinkStatus.QUEUED  # the older job is untouched


@pytest.mark.timeout(30)
async def test_once_ends_within_its_budget_when_the_older_jobs_service_is_off(world: World) -> None:
    """High Priority disabled: the older job will not run in this pass; the run still ends, the job says why."""
    older, rid = await _livelock_state(world)
    services = dict(world.engine.options.services)
    services[HIGH_PRIORITY] = ServiceWindow(enabled=False)
    engine = world.rebuild(services=services)
    started = time.monotonic()
    assert await asyncio.wait_for(engine.run_once(), timeout=25) is False
    assert time.monotonic() - started < 15
    [newer] = await world.jobs(source=Source.CRM, crm_record_id=rid, operation=Operation.UPDATE)
    assert newer.link_status is LinkStatus.QUEUED
    if not isinstance(world.store, MemStore):
        [wait] = [a for a in await world.store.attempts(newer.id) if a.outcome is AttemptOutcome.WAITING]
        assert f"older job {older}" in str(wait.message)


@pytest.mark.timeout(30)
async def test_the_running_engine_keeps_running_its_crm_cycle_while_a_job_waits(world: World) -> None:
    """The daemon's CRM -> QuickBooks cycle ends, so later runs are not skipped as 'already running'."""
    _, rid = await _livelock_state(world)
    windows = {
        CRM_TO_QUICKBOOKS: ServiceWindow(interval=timedelta(hours=1)),
        HIGH_PRIORITY: ServiceWindow(enabled=False),
        LOW_PRIORITY: ServiceWindow(enabled=False),
    }
    engine = world.rebuild(services=windows)
    runner = engine.scheduler.runners[CRM_TO_QUICKBOOKS]
    await engine.start()
    try:
        for _ in range(500):
            if runner.runs >= 1 and not runner.running:
                break
            await asyncio.sleep(0.02)
        assert not runner.running, "the CRM -> QuickBooks cycle never ended"
        later = world.account("Later Promotion")
        await asyncio.wait_for(engine.run_now(CRM_TO_QUICKBOOKS), timeout=15)
        assert [j.link_status for j in await world.jobs(crm_record_id=later)] == [LinkStatus.SUCCESS]
    finally:
        await engine.stop()
    assert [
        j.link_status for j in await world.jobs(source=Source.CRM, crm_record_id=rid, operation=Operation.UPDATE)
    ] == [LinkStatus.QUEUED]
