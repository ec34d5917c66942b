"""The pair lease renewed in one Dataverse request (a write conditional on the version our last write left), over
the sandbox's Web API (one sandbox for the module): it counts one request, and it never renews a lease another
engine took over meanwhile (the 412 sends it back to reading the row, which names the other engine)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.pair import PairHeld
from inolink_tui.domain.vocabulary import System
from inolink_tui.engine.guard import LEASE_SET, EngineIdentity, pair_key
from inolink_tui.engine.guard_dataverse import DataverseRows
from inolink_tui.engine.options import LiveOptions
from inolink_tui.engine.pair_guard import EngineGuard
from inolink_tui.engine.runtime import Engine
from tests.connectors.sandbox_support import dv_settings, needs_dataverse, sandbox
from tests.engine.conftest import OPTIONS
from tests.engine.fakes import FakeClock, FakeCrm, FakeQbo
from tests.fakes.memstore import MemoryStore

pytestmark = [needs_dataverse, pytest.mark.timeout(60), pytest.mark.asyncio(loop_scope="module")]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def handle() -> AsyncIterator[Any]:
    async with sandbox(records=2) as handle:
        yield handle


@pytest_asyncio.fixture(loop_scope="module")
async def client(handle: Any) -> AsyncIterator[DataverseClient]:
    client = DataverseClient(dv_settings(handle))
    try:
        yield client
    finally:
        await client.aclose()


def _guard(client: DataverseClient, pair: str, host: str, clock: Any = utcnow) -> EngineGuard:
    return EngineGuard(
        DataverseRows(client), pair, EngineIdentity(host=host), lease_seconds=30, claim_seconds=60, clock=clock
    )


def _requests(handle: Any) -> list[str]:
    return [f"{r.method} {r.status}" for r in handle.sandbox.stats.log if r.api == "dataverse"]


async def test_a_held_lease_is_renewed_in_one_request(handle: Any, client: DataverseClient) -> None:
    guard = _guard(client, pair_key("https://one.crm.dynamics.com", "1"), "host-a")
    await guard.lease.acquire()
    before = await guard.lease.rows.read(LEASE_SET, guard.lease.row_id, ["ino_expireson"])
    handle.sandbox.stats.reset()
    await guard.renew()
    await guard.renew()
    assert _requests(handle) == ["PATCH 200", "PATCH 200"]
    after = await guard.lease.rows.read(LEASE_SET, guard.lease.row_id, ["ino_expireson", "ino_holder"])
    assert before is not None and after is not None
    assert after.values["ino_holder"] == guard.lease.identity.holder and after.etag != before.etag
    assert guard.renewal_requests == 1
    assert guard.requests_per_hour() == pytest.approx(3600 / 10)  # renewed every third of 30 s, one request each


async def test_a_lease_taken_over_meanwhile_is_not_renewed(handle: Any, client: DataverseClient) -> None:
    pair = pair_key("https://two.crm.dynamics.com", "2")
    now: list[datetime] = [utcnow()]
    first = _guard(client, pair, "host-a", clock=lambda: now[0])
    await first.lease.acquire()
    # Its renewals failed for a while: its lease ran out and another engine took the pair over.
    now[0] = utcnow() - timedelta(minutes=5)
    await first.lease.acquire()  # the row now says the first engine's lease ended 4.5 minutes ago
    now[0] = utcnow()
    second = _guard(client, pair, "host-b")
    await second.lease.acquire()
    assert second.lease.held
    handle.sandbox.stats.reset()
    with pytest.raises(PairHeld):
        await first.renew()
    assert not first.lease.held
    # The one-request renewal was refused (412: the row changed), then the row was read and named the other engine.
    assert _requests(handle)[:2] == ["PATCH 412", "GET 200"]
    row = await second.lease.rows.read(LEASE_SET, second.lease.row_id, ["ino_holder"])
    assert row is not None and row.values["ino_holder"] == second.lease.identity.holder
    assert first.renewal_requests == 3


async def test_the_engines_idle_report_counts_a_renewal_as_one_request(client: DataverseClient) -> None:
    """What the daemon's `live_idle_cost` line and /metrics show for the lease: one request every 10 s here."""
    guard = _guard(client, pair_key("https://three.crm.dynamics.com", "3"), "host-c")
    clock = FakeClock()
    options = replace(OPTIONS, live=LiveOptions())
    engine = Engine(MemoryStore(), FakeCrm(clock), FakeQbo(clock), options, clock=clock, guard=guard)
    await guard.lease.acquire()
    await guard.renew()
    assert engine.live is not None
    assert engine.live.meter.fixed() == {System.CRM: pytest.approx(360.0)}
