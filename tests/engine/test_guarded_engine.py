"""The engine under the pair guard: `--once` refuses while another engine holds the pair; the long-running engine
skips its cycles naming the holder (a connection problem the console shows), and syncs once the pair comes free.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType, LinkStatus
from inolink_tui.domain.pair import PairHeld
from inolink_tui.engine.claims import CLAIM_COLUMN
from inolink_tui.engine.deferral import Deferred
from inolink_tui.engine.guard import EngineIdentity, PairLease, SharedRow
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY, ServiceWindow
from inolink_tui.engine.pair_guard import EngineGuard
from inolink_tui.engine.runtime import Engine
from tests.engine.conftest import World

PAIR = "org.crm.dynamics.com|9130"


class MemoryRows:
    """`SharedRows` with Dataverse's conditional semantics: ETags bump on every write."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        self._versions = itertools.count(1)

    async def read(self, entity_set: str, row_id: str, columns: list[str]) -> SharedRow | None:
        found = self.rows.get((entity_set, row_id))
        return SharedRow(dict(found[0]), found[1]) if found else None

    async def create_only(self, entity_set: str, row_id: str, values: dict[str, Any]) -> bool:
        if (entity_set, row_id) in self.rows:
            return False
        self.rows[(entity_set, row_id)] = (dict(values), f'W/"{next(self._versions)}"')
        return True

    async def update_if(self, entity_set: str, row_id: str, values: dict[str, Any], etag: str) -> bool:
        found = self.rows.get((entity_set, row_id))
        if found is None or found[1] != etag:
            return False
        self.rows[(entity_set, row_id)] = ({**found[0], **values}, f'W/"{next(self._versions)}"')
        return True


def _guarded(world: World, rows: MemoryRows, **services: ServiceWindow) -> Engine:
    guard = EngineGuard(rows, PAIR, EngineIdentity(host="host-a"), lease_seconds=0.3, claim_seconds=5)
    options = world.engine.options
    if services:
        options = replace(options, services=services)
    engine = Engine(world.store, world.crm, world.qbo, options, clock=world.clock, guard=guard)
    engine.bus.on(world.events.append)
    world.engine = engine
    return engine


async def _other_engine_holds(rows: MemoryRows, ttl: float = 600) -> PairLease:
    other = PairLease(rows, PAIR, EngineIdentity(host="host-b", pid=4242, database="/srv/b.db"), ttl_seconds=ttl)
    await other.acquire()
    return other


async def test_once_refuses_while_another_engine_holds_the_pair(world: World) -> None:
    rows = MemoryRows()
    other = await _other_engine_holds(rows)
    world.account("Never Twice")
    engine = _guarded(world, rows)
    with pytest.raises(PairHeld) as refused:
        await engine.run_once()
    assert "host-b:4242" in str(refused.value) and "/srv/b.db" in str(refused.value) and "until" in str(refused.value)
    assert await world.jobs() == [] and world.qbo.data.get("Customer", {}) == {}
    await other.release()
    assert await engine.run_once() is False
    assert {j.link_status for j in await world.jobs()} == {LinkStatus.SUCCESS}
    assert engine.guard is not None and not engine.guard.lease.held, "released at the end of the run"


@pytest.mark.timeout(20)
async def test_the_running_engine_waits_names_the_holder_and_syncs_when_the_pair_is_free(world: World) -> None:
    rows = MemoryRows()
    other = await _other_engine_holds(rows)
    windows = {
        CRM_TO_QUICKBOOKS: ServiceWindow(interval=timedelta(hours=1)),
        HIGH_PRIORITY: ServiceWindow(enabled=False),
        LOW_PRIORITY: ServiceWindow(enabled=False),
    }
    engine = _guarded(world, rows, **windows)
    world.account("Waiting Room")
    await engine.start()
    try:
        for _ in range(200):
            if engine.guard and engine.guard.skipped:
                break
            await asyncio.sleep(0.02)
        sync_pair = [c for c in engine.connections() if c.system == "Sync pair"]
        assert sync_pair and not sync_pair[0].connected and "host-b:4242" in (sync_pair[0].problem or "")
        assert await world.jobs() == []
        await other.release()
        for _ in range(400):
            if await world.jobs(link_status=LinkStatus.SUCCESS):
                break
            await asyncio.sleep(0.02)
        assert [j.record_name for j in await world.jobs(link_status=LinkStatus.SUCCESS)] == ["Waiting Room"]
        assert next(c for c in engine.connections() if c.system == "Sync pair").connected
    finally:
        await engine.stop()
    assert engine.guard is not None and not engine.guard.lease.held


async def test_a_claim_blocks_other_engines_until_the_pair_changes_hands() -> None:
    rows = MemoryRows()
    rid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    rows.rows[("accounts", rid)] = ({}, 'W/"0"')

    def guard(host: str) -> EngineGuard:
        return EngineGuard(rows, PAIR, EngineIdentity(host=host), lease_seconds=30, claim_seconds=60)

    a, b, c = guard("host-a"), guard("host-b"), guard("host-c")
    await a.lease.acquire()
    await a.claims.claim(EntityType.ACCOUNT, rid, {})
    with pytest.raises(Deferred, match=a.lease.identity.engine_id):  # B does not hold the pair: A's claim stands
        await b.claims.claim(EntityType.ACCOUNT, rid, {})
    await a.lease.release()
    await c.lease.acquire()
    await c.lease.release()
    await b.lease.acquire()  # taken over from C; A's claim was made before, A claims nothing any more
    claimed = await b.claims.claim(EntityType.ACCOUNT, rid, {})
    assert claimed[CLAIM_COLUMN].startswith(b.lease.identity.engine_id)
