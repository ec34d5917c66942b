"""A record promoted while a CRM to QuickBooks cycle runs, after that cycle's promoted query for its table and before
its change-tracking read, is queued by that cycle. Before, the read moved the cursor past the promotion and dropped
it (the row was not linked yet), so live mode's probe, which reads from that cursor, never saw it: it waited for the
next whole cycle (up to 5 minutes at rest: a likely cause of the lone promotion that took 107 s in a run of
bench/latency.py)."""

from __future__ import annotations

from typing import Any

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from tests.engine.conftest import World


async def test_a_promotion_between_the_promoted_query_and_the_change_read_is_queued(world: World) -> None:
    crm = world.crm
    early = world.account("Early Promotion Ltd")
    late = crm.add(EntityType.ACCOUNT, name="Late Promotion Ltd")
    assert await world.engine.run_once() is False  # primes the change-tracking cursors
    query = crm.promoted
    armed = [True]

    async def promoted(entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]:
        rows = await query(entity_type, limit=limit)
        if entity_type is EntityType.ACCOUNT and armed[0]:
            armed[0] = False
            crm.promote(EntityType.ACCOUNT, late)  # a CRM user, a moment after the query ran
        return rows

    crm.promoted = promoted  # type: ignore[method-assign]
    await world.engine.cycles.crm_to_quickbooks()
    assert not armed[0]
    jobs = {j.crm_record_id: j for j in await world.jobs(source=Source.CRM)}
    assert jobs[early].link_status is LinkStatus.SUCCESS
    assert late in jobs, "the late promotion was queued by the cycle that read its change"
    assert jobs[late].link_status is LinkStatus.SUCCESS
    assert crm.row(EntityType.ACCOUNT, late)["ino_accountingid"]
