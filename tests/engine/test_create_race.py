"""A record created on one side while the engine's own create of it is in flight is never created twice.

Live mode with QuickBooks webhooks: a CRM -> QuickBooks job creates the QuickBooks customer, and the webhook's High
Priority CDC read can run before that job saved its record link. The read queues a Link Job of Source Accounting
(CREATE, no link yet); run before the push is done, it created a second CRM account whenever QuickBooks' name differs
from CRM's (a ':' becomes '-': linking by name cannot find the CRM row, and the wait for an older CRM job looked it up
by QuickBooks' name). The reverse: a CRM scan reading the account a QuickBooks -> CRM job just created.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Operation, Source
from inolink_tui.engine.ports import PortError
from tests.engine.conftest import World


@pytest.mark.parametrize("name", ["Webhook Race Ltd", "Webhook_Race: 50% Ltd"])
async def test_high_priority_inside_the_push_window_creates_no_second_account(world: World, name: str) -> None:
    world.rebuild(once_wait_seconds=0.3)  # the read inside the window drains a job that waits for the push
    assert await world.engine.run_once() is False  # primes the feeds
    rid = world.account(name)
    create = world.qbo.create
    inside: list[list[Any]] = []

    async def create_then_webhook(entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        made = await create(entity, body, request_id=request_id)
        if entity == "Customer" and not inside:
            world.clock.advance(1)
            await world.engine.cycles.high_priority()  # the webhook's CDC read, before the push saved its link
            inside.append(await world.jobs(source=Source.ACCOUNTING))
        return made

    world.qbo.create = create_then_webhook  # type: ignore[method-assign]
    await world.engine.cycles.crm_to_quickbooks()
    assert inside and len(inside[0]) == 1, "the CDC read inside the window queued a job for the new customer"
    assert inside[0][0].link_status is LinkStatus.QUEUED  # it waited for the push
    for _ in range(2):
        world.clock.advance(5)
        await world.engine.cycles.high_priority()
    assert len(world.crm.tables["accounts"]) == 1, list(world.crm.tables["accounts"].values())
    assert len(world.qbo.active("Customer")) == 1
    (pulled,) = await world.jobs(source=Source.ACCOUNTING)
    assert (pulled.link_status, pulled.operation, pulled.crm_record_id) == (LinkStatus.SUCCESS, Operation.UPDATE, rid)
    qbo_id = world.qbo.active("Customer")[0]["Id"]
    assert world.crm.row(EntityType.ACCOUNT, rid)["ino_accountingid"] == qbo_id


async def test_crm_scan_inside_the_pull_window_creates_no_second_customer(world: World) -> None:
    assert await world.engine.run_once() is False  # primes the feeds
    world.clock.advance(5)
    world.qbo.add("Customer", {"DisplayName": "Reverse Race Ltd", "CompanyName": "Reverse Race Ltd"})
    create = world.crm.create
    inside: list[int] = []

    async def create_then_scan(entity_type: EntityType, columns: Mapping[str, Any]) -> Any:
        written = await create(entity_type, columns)
        if entity_type is EntityType.ACCOUNT and not inside:
            world.clock.advance(1)
            await world.engine.cycles.crm_to_quickbooks()  # a CRM scan reads the new row before its link is saved
            inside.append(len(await world.jobs(source=Source.CRM)))
        return written

    world.crm.create = create_then_scan  # type: ignore[method-assign]
    world.clock.advance(1)
    await world.engine.cycles.high_priority()
    assert inside == [0], "the CRM scan inside the window queued nothing for the row"
    for _ in range(2):
        world.clock.advance(5)
        await world.engine.cycles.crm_to_quickbooks()
        await world.engine.cycles.high_priority()
    assert len(world.crm.tables["accounts"]) == 1
    assert len(world.qbo.active("Customer")) == 1
    assert [(j.source, j.link_status) for j in await world.all_jobs()] == [(Source.ACCOUNTING, LinkStatus.SUCCESS)]


async def test_a_create_whose_answer_was_lost_is_not_created_again_in_crm(world: World) -> None:
    """QuickBooks made the customer but the answer never came (a timeout): the job waits for its retry, Queued and
    not running, when the CDC read finds the customer; its retry replays the requestid and links it."""
    world.rebuild(backoff_base_seconds=30.0)  # the retry comes after the High Priority read
    assert await world.engine.run_once() is False  # primes the feeds
    rid = world.account("Lost: Answer Ltd")
    create = world.qbo.create
    lost: list[str] = []

    async def create_then_time_out(entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        made = await create(entity, body, request_id=request_id)
        if entity == "Customer" and not lost:
            lost.append(str(made["Id"]))
            raise PortError(ErrorClass.TRANSIENT, "QuickBooks did not answer in time")
        return made

    world.qbo.create = create_then_time_out  # type: ignore[method-assign]
    await world.engine.cycles.crm_to_quickbooks()
    (pushed,) = await world.jobs(source=Source.CRM)
    assert pushed.link_status is LinkStatus.QUEUED and lost
    world.clock.advance(1)
    await world.engine.cycles.high_priority()  # the customer, with no link
    world.clock.advance(60)
    await world.engine.cycles.crm_to_quickbooks()  # the retry links it
    world.clock.advance(5)
    await world.engine.cycles.high_priority()
    assert len(world.crm.tables["accounts"]) == 1, list(world.crm.tables["accounts"].values())
    assert [c["Id"] for c in world.qbo.active("Customer")] == lost
    assert world.crm.row(EntityType.ACCOUNT, rid)["ino_accountingid"] == lost[0]
    assert {(j.source, j.link_status) for j in await world.all_jobs()} == {
        (Source.CRM, LinkStatus.SUCCESS),
        (Source.ACCOUNTING, LinkStatus.SUCCESS),
    }
