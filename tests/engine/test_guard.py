"""The pair lease and the record claims over the sandbox's Dataverse Web API (real HTTP, real ETags).

Two engines racing for one pair: exactly one wins, the other is told who holds it and until when; an expired
lease, or one whose holder's process is gone, is taken over; a release frees it at once. Claims: of two engines
claiming one record, one wins and the other's job waits with the holder named.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.pair import PairHeld
from inolink_tui.engine.claims import CLAIM_COLUMN, RecordClaims
from inolink_tui.engine.deferral import Deferred
from inolink_tui.engine.guard import LEASE_SET, EngineIdentity, PairLease, pair_key
from inolink_tui.engine.guard_dataverse import DataverseRows
from tests.connectors.sandbox_support import dv_settings, needs_dataverse, sandbox

pytestmark = needs_dataverse


@pytest.fixture
async def rows() -> AsyncIterator[DataverseRows]:
    async with sandbox() as handle:
        client = DataverseClient(dv_settings(handle))
        try:
            yield DataverseRows(client)
        finally:
            await client.aclose()


def _lease(rows: DataverseRows, identity: EngineIdentity, ttl: float = 30.0, **kw: object) -> PairLease:
    return PairLease(rows, pair_key("https://org.crm.dynamics.com", "9130"), identity, ttl_seconds=ttl, **kw)  # type: ignore[arg-type]


async def test_of_engines_racing_for_a_pair_exactly_one_wins(rows: DataverseRows) -> None:
    engines = [EngineIdentity(pid=1, host=f"host-{i}", database=f"/data/{i}.db") for i in range(5)]
    leases = [_lease(rows, e) for e in engines]
    results = await asyncio.gather(*(lease.acquire() for lease in leases), return_exceptions=True)
    winners = [lease for lease, r in zip(leases, results, strict=True) if r is None]
    assert len(winners) == 1, results
    refused = [r for r in results if isinstance(r, PairHeld)]
    assert len(refused) == 4
    for held in refused:
        assert held.holder == winners[0].identity.holder and held.until is not None
        assert "org.crm.dynamics.com|9130" in str(held) and "until" in str(held)
    # The winner renews; the others are still refused.
    await winners[0].acquire()
    with pytest.raises(PairHeld):
        await leases[results.index(refused[0])].acquire()


async def test_an_expired_lease_is_taken_over_and_a_released_one_is_free_at_once(rows: DataverseRows) -> None:
    clock_a = [utcnow()]
    first = _lease(rows, EngineIdentity(host="host-a", pid=1), ttl=10, clock=lambda: clock_a[0])
    second = _lease(rows, EngineIdentity(host="host-b", pid=2), ttl=10)
    clock_a[0] = utcnow() - timedelta(seconds=60)  # the first engine's lease ran out long ago
    await first.acquire()
    await second.acquire()
    assert first.identity.engine_id in second.dead_engines
    await second.release()
    third = _lease(rows, EngineIdentity(host="host-c", pid=3))
    await third.acquire()
    row = await rows.read(LEASE_SET, third.row_id, ["ino_holder", "ino_name"])
    assert row is not None and row.values["ino_holder"] == third.identity.holder
    assert row.values["ino_name"] == "org.crm.dynamics.com|9130"


async def test_a_lease_whose_process_is_gone_on_this_host_is_taken_over(rows: DataverseRows) -> None:
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    dead = _lease(rows, EngineIdentity(pid=gone.pid), ttl=600)
    await dead.acquire()
    alive = _lease(rows, EngineIdentity(), ttl=600)  # this process, this host
    await alive.acquire()
    assert alive.held
    # A live holder on this host keeps it.
    with pytest.raises(PairHeld):
        await _lease(rows, EngineIdentity(pid=gone.pid + 1_000_000), ttl=600).acquire()


async def test_of_two_engines_claiming_one_record_one_pushes_and_the_other_waits(rows: DataverseRows) -> None:
    accounts = await rows.client.list_rows("accounts", select=["accountid"])
    record = str(accounts[0]["accountid"])
    a, b = EngineIdentity(), EngineIdentity()
    claims = [RecordClaims(rows, e, ttl_seconds=60, retry_seconds=1) for e in (a, b)]
    results = await asyncio.gather(
        *(c.claim(EntityType.ACCOUNT, record, {"accountid": record}) for c in claims), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, dict)]
    waited = [r for r in results if isinstance(r, Deferred)]
    assert len(won) == 1 and len(waited) == 1, results
    winner = a if won[0][CLAIM_COLUMN].startswith(a.engine_id) else b
    loser = claims[1] if winner is a else claims[0]
    with pytest.raises(Deferred, match=winner.engine_id):
        await loser.claim(EntityType.ACCOUNT, record, {"accountid": record})
    # The winner's write-back clears the claim; the record is then free for anyone.
    row = await rows.read("accounts", record, [CLAIM_COLUMN])
    assert row is not None
    winning = claims[0] if winner is a else claims[1]
    assert loser.unclaim(EntityType.ACCOUNT, record) == {}, "a claim that is not ours is never cleared"
    assert await rows.update_if("accounts", record, winning.unclaim(EntityType.ACCOUNT, record), row.etag)
    assert (await loser.claim(EntityType.ACCOUNT, record, {"accountid": record}))[CLAIM_COLUMN]
