"""Re-applying a Deadlock Win loser's values: one ordinary Link Job writes the losing side, the other side follows."""

from __future__ import annotations

import pytest

from inolink_tui.domain.conflicts import conflict_of, reapply_job
from inolink_tui.domain.enums import DeadlockWin, EntityType, LinkStatus, Source
from tests.engine.conftest import World
from tests.engine.test_qbo_to_crm import linked_account


@pytest.mark.parametrize("winner", [DeadlockWin.CRM, DeadlockWin.QUICKBOOKS])
async def test_reapplied_losing_values_end_on_both_sides(world: World, winner: DeadlockWin) -> None:
    engine = world.rebuild(deadlock_win=winner)
    rid, qid = await linked_account(world)
    world.crm.edit(EntityType.ACCOUNT, rid, telephone1="111-CRM")
    world.qbo.edit("Customer", qid, PrimaryPhone={"FreeFormNumber": "222-QBO"})
    assert await engine.run_once() is False
    (settled,) = [j for j in await world.all_jobs() if conflict_of(j.payload) is not None]
    loser = "222-QBO" if winner is DeadlockWin.CRM else "111-CRM"
    kept = "111-CRM" if winner is DeadlockWin.CRM else "222-QBO"
    conflict = conflict_of(settled.payload)
    assert conflict is not None and conflict.winning_values is not None, "the kept values are recorded"
    assert kept in str(conflict.winning_values) and loser in str(conflict.losing_values)
    assert all(f.winning_known for f in conflict.fields if f.field in conflict.winning_values)
    new = reapply_job(settled, "console:tester")
    assert new.source is (Source.CRM if winner is DeadlockWin.CRM else Source.ACCOUNTING)
    created = (await world.store.enqueue([new])).created
    assert created
    for _ in range(3):  # the re-apply job, then the other direction's ordinary sync
        assert await engine.run_once() is False
    job = await world.store.get(created[0])
    assert job.link_status is LinkStatus.SUCCESS, job.error_description
    assert world.crm.row(EntityType.ACCOUNT, rid)["telephone1"] == loser
    assert world.qbo.data["Customer"][qid]["PrimaryPhone"] == {"FreeFormNumber": loser}
    # Settled: no new conflict, nothing keeps bouncing.
    assert [j.id for j in await world.all_jobs() if conflict_of(j.payload) is not None] == [settled.id]
    total = len(await world.all_jobs())
    assert await engine.run_once() is False
    assert len(await world.all_jobs()) == total
