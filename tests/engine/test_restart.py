"""The engine killed at random points and restarted: nothing is duplicated, nothing is lost."""

from __future__ import annotations

import asyncio
import random
from contextlib import suppress

import pytest

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.enums import EntityType, LinkStatus, RecordLinkStatus
from tests.engine.conftest import OPTIONS, World
from tests.engine.test_crm_to_qbo import seed_mixed

LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED]


@pytest.mark.timeout(60)
async def test_cancelled_at_random_points_50_times_then_everything_linked_once(world: World) -> None:
    rng = random.Random(2026)
    made = seed_mixed(world, 120, rng)
    interrupted = 0
    for _ in range(50):
        engine = world.rebuild()
        task = asyncio.create_task(engine.run_once())
        cut = rng.randint(1, 60)
        calls = 0

        def kill_after_cut(op: str, task: asyncio.Task[bool] = task, cut: int = cut) -> None:
            nonlocal calls
            calls += 1
            if calls == cut:
                task.cancel()  # lands at the next await: inside a port call, a store call, anywhere

        world.crm.fault = world.qbo.fault = kill_after_cut
        with suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 20)
        interrupted += task.cancelled()
        world.crm.fault = world.qbo.fault = None
        world.clock.advance(OPTIONS.lease_seconds + 1)  # the killed process's leases run out
    assert interrupted >= 25, "at least half the runs were killed mid-work"
    progressed = sum(1 for j in (await world.all_jobs()) if j.link_status is LinkStatus.SUCCESS)
    assert progressed > 0, "the kills landed mid-work, not before any work"
    engine = world.rebuild()
    for _ in range(5):
        await engine.run_once()
        if not await world.jobs(link_status=LinkStatus.QUEUED):
            break
    assert not await world.jobs(link_status=LinkStatus.QUEUED)
    assert not await world.jobs(link_status=LinkStatus.ERROR)
    for et, ids in made.items():
        for rid in ids:
            row = world.crm.row(et, rid)
            assert row["ino_linkstatus"] == LINKED, (et, rid)
            succeeded = [j for j in (await world.all_jobs()) if j.crm_record_id == rid]
            assert succeeded and all(j.accounting_id == row["ino_accountingid"] for j in succeeded)
    qbo = world.qbo
    customers = len(made[EntityType.ACCOUNT]) + len(made[EntityType.CONTACT])
    assert len(qbo.active("Customer")) == customers
    assert len(qbo.active("Item")) == len(made[EntityType.PRODUCT]) + 3
    assert len(qbo.data["Estimate"]) == len(made[EntityType.QUOTE])
    assert len(qbo.data["Invoice"]) == len(made[EntityType.ORDER]) + len(made[EntityType.INVOICE])
