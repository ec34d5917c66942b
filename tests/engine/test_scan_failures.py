"""A service's scan that breaks half-way: the jobs it queued before still run in the same cycle.

Under the sandbox's malformed-body fault (tests/faults/test_malformed_jobs.py) a change-feed read could fail five
times running after the promoted records were queued. The early drain had already run dry, so the jobs queued
after it stayed Queued, never attempted, and `--once` ended with them waiting for a next run.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.events import CycleFinished
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY
from inolink_tui.engine.ports import PortError
from tests.engine.conftest import World


async def test_jobs_queued_after_the_early_drain_ran_dry_still_run_when_the_scan_then_fails(world: World) -> None:
    account = world.account("Early Ltd")
    contact = world.crm.add(EntityType.CONTACT, firstname="Late", lastname="Comer")
    world.crm.promote(EntityType.CONTACT, contact)
    pool = world.engine.cycles.crm_pool
    drain, promoted = pool.drain, world.crm.promoted
    early_drain_ended, contact_queued = asyncio.Event(), asyncio.Event()

    async def drain_and_tell(**kwargs: Any) -> Any:
        try:
            return await drain(**kwargs)
        finally:
            early_drain_ended.set()

    async def promoted_after_the_early_drain(entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]:
        if entity_type is EntityType.CONTACT:  # read only once the account's job ran and the early drain ended
            async with asyncio.timeout(10):
                await early_drain_ended.wait()
            contact_queued.set()
        return await promoted(entity_type, limit=limit)

    pool.drain = drain_and_tell  # type: ignore[method-assign]
    world.crm.promoted = promoted_after_the_early_drain  # type: ignore[method-assign]

    def change_feed_breaks(op: str) -> PortError | None:
        """After the promoted records: the change feed fails (a transient failure the connector gave up on)."""
        if op == "changes" and contact_queued.is_set():
            return PortError(ErrorClass.TRANSIENT, "HTTP 503 five times", status=503)
        return None

    world.crm.fault = change_feed_breaks

    broken = await world.engine.run_once()

    by_record = {j.crm_record_id: j for j in await world.jobs(source=Source.CRM)}
    assert by_record[account].link_status is LinkStatus.SUCCESS
    late = by_record[contact]
    assert late.link_status is LinkStatus.SUCCESS, (late, await world.store.attempts(late.id))
    assert broken, "the scan's failure is still reported"
    crm_cycles = [e for e in world.events if isinstance(e, CycleFinished) and e.service == CRM_TO_QUICKBOOKS]
    assert crm_cycles[0].error and "five times" in crm_cycles[0].error
    assert crm_cycles[0].succeeded == 2, "the jobs drained after the failure are counted"


async def test_high_priority_runs_the_jobs_of_a_cdc_round_before_a_later_round_fails(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inolink_tui.engine import high_priority

    monkeypatch.setattr(high_priority, "CDC_PAGE_LIMIT", 2)
    world.qbo.cdc_cap = 2  # a full answer: the cycle asks again, and that second read fails
    await world.engine.run_once()  # starts the change feed
    for name in ("Round One", "Round Two", "Round Three"):
        world.clock.advance(1.0)
        world.qbo.add("Customer", {"DisplayName": name, "CompanyName": name})
    cdc_calls = world.qbo.calls.get("cdc", 0)

    def second_round_fails(op: str) -> PortError | None:
        if op == "cdc" and world.qbo.calls["cdc"] >= cdc_calls + 2:
            return PortError(ErrorClass.TRANSIENT, "CDC HTTP 503 five times", status=503)
        return None

    world.qbo.fault = second_round_fails
    world.events.clear()
    assert await world.engine.run_once() is True

    names = {r["name"] for r in world.crm.tables["accounts"].values()}
    assert names == {"Round One", "Round Two"}, "the first round's customers reached CRM in this cycle"
    assert not await world.jobs(link_status=LinkStatus.QUEUED)
    high = [e for e in world.events if isinstance(e, CycleFinished) and e.service == HIGH_PRIORITY]
    assert high[0].error and "five times" in high[0].error
    assert high[0].succeeded == 2
