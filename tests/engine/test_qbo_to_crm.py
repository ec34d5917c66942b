"""QuickBooks -> CRM, echoes, Deadlock Win, the CRM job mirror, Unlink, and balances."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inolink_tui.domain.enums import (
    CRM_JOB_STATUS_OPTION,
    CRM_LINK_STATUS_OPTION,
    DeadlockWin,
    EntityType,
    LinkStatus,
    Operation,
    RecordLinkStatus,
    Source,
)
from inolink_tui.domain.jobs import NewJob
from inolink_tui.engine.processor import Outcome
from tests.engine.conftest import World
from tests.fakes.memstore import MemoryStore

LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED]
UNLINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.UNLINKED]


async def linked_account(world: World, name: str = "Northwind") -> tuple[str, str]:
    rid = world.account(name, telephone1="555-0001")
    assert await world.engine.run_once() is False
    return rid, world.crm.row(EntityType.ACCOUNT, rid)["ino_accountingid"]


async def test_quickbooks_edit_reaches_crm_without_an_echo_job(world: World) -> None:
    rid, qid = await linked_account(world)
    world.qbo.edit("Customer", qid, PrimaryPhone={"FreeFormNumber": "555-9999"})
    assert await world.engine.run_once() is False
    assert world.crm.row(EntityType.ACCOUNT, rid)["telephone1"] == "555-9999"
    pulled = await world.jobs(source=Source.ACCOUNTING)
    assert len(pulled) == 1 and pulled[0].link_status is LinkStatus.SUCCESS
    assert pulled[0].crm_record_id == rid and pulled[0].operation is Operation.UPDATE
    total = len(await world.all_jobs())
    # Our CRM write must not come back as a CRM -> QuickBooks job, in this pass or the next ones.
    for _ in range(2):
        assert await world.engine.run_once() is False
    assert len(await world.all_jobs()) == total
    finished = [e for e in world.events if e.kind == "cycle_finished" and getattr(e, "skipped_echoes", 0)]
    assert finished, "echoes were recognised and counted"


async def test_crm_edit_reaches_quickbooks_without_an_echo_job(world: World) -> None:
    rid, qid = await linked_account(world)
    world.crm.edit(EntityType.ACCOUNT, rid, telephone1="555-4242", user="u-sales")
    assert await world.engine.run_once() is False
    assert world.qbo.data["Customer"][qid]["PrimaryPhone"] == {"FreeFormNumber": "555-4242"}
    update = [j for j in await world.jobs(source=Source.CRM) if j.operation is Operation.UPDATE]
    assert len(update) == 1 and update[0].submitted_by == "Sam Sales"
    total = len(await world.all_jobs())
    assert await world.engine.run_once() is False
    assert len(await world.all_jobs()) == total
    assert not await world.jobs(source=Source.ACCOUNTING)


@pytest.mark.parametrize("winner", [DeadlockWin.CRM, DeadlockWin.QUICKBOOKS])
async def test_conflict_is_settled_by_deadlock_win_and_loser_kept(world: World, winner: DeadlockWin) -> None:
    engine = world.rebuild(deadlock_win=winner)
    rid, qid = await linked_account(world)
    world.crm.edit(EntityType.ACCOUNT, rid, telephone1="111-CRM")
    world.qbo.edit("Customer", qid, PrimaryPhone={"FreeFormNumber": "222-QBO"})
    assert await engine.run_once() is False
    expected = "111-CRM" if winner is DeadlockWin.CRM else "222-QBO"
    assert world.crm.row(EntityType.ACCOUNT, rid)["telephone1"] == expected
    assert world.qbo.data["Customer"][qid]["PrimaryPhone"] == {"FreeFormNumber": expected}
    conflicts = [j for j in (await world.all_jobs()) if j.payload and "conflict" in j.payload]
    assert conflicts, "the conflict is recorded on a job"
    record = conflicts[0].payload["conflict"]  # type: ignore[index]
    assert record["winner"] == winner.value
    losing = str(record["losing_values"])
    assert ("222-QBO" if winner is DeadlockWin.CRM else "111-CRM") in losing
    # Settled: nothing keeps bouncing between the systems.
    total = len(await world.all_jobs())
    assert await engine.run_once() is False
    assert len(await world.all_jobs()) == total


async def test_new_quickbooks_customers_and_items_become_crm_records(world: World) -> None:
    await world.engine.run_once()  # starts the change feed
    parent = world.qbo.add("Customer", {"DisplayName": "Fabrikam", "CompanyName": "Fabrikam"})
    world.qbo.add("Customer", {"DisplayName": "Jo Bloggs", "GivenName": "Jo", "FamilyName": "Bloggs"})
    world.qbo.add(
        "Customer",
        {
            "DisplayName": "Fabrikam:West",
            "CompanyName": "Fabrikam West",
            "Job": True,
            "ParentRef": {"value": parent["Id"]},
        },
    )
    world.qbo.add("Item", {"Name": "Consulting", "Type": "Service", "UnitPrice": 150})
    assert await world.engine.run_once() is False
    accounts = {r["name"]: r for r in world.crm.tables["accounts"].values()}
    assert accounts["Fabrikam"]["ino_linkstatus"] == LINKED
    assert accounts["Fabrikam West"]["_parentaccountid_value"] == accounts["Fabrikam"]["accountid"]
    contacts = list(world.crm.tables["contacts"].values())
    assert [(c["firstname"], c["lastname"]) for c in contacts] == [("Jo", "Bloggs")]
    products = list(world.crm.tables["products"].values())
    assert [(p["name"], p["price"], p["producttypecode"]) for p in products] == [("Consulting", 150, 3)]
    assert {j.link_status for j in await world.jobs(source=Source.ACCOUNTING)} == {LinkStatus.SUCCESS}
    total = len(await world.all_jobs())
    assert await world.engine.run_once() is False
    assert len(await world.all_jobs()) == total  # created records do not echo back to QuickBooks


async def test_turned_off_create_from_quickbooks_creates_nothing(world: World) -> None:
    engine = world.rebuild(create_from_quickbooks=False)
    await engine.run_once()
    world.qbo.add("Customer", {"DisplayName": "Stranger", "CompanyName": "Stranger"})
    await engine.run_once()
    assert not world.crm.tables["accounts"] and not await world.all_jobs()


async def test_unlink_stops_syncing(world: World) -> None:
    rid, qid = await linked_account(world)
    world.crm.edit(EntityType.ACCOUNT, rid, ino_linkstatus=UNLINKED)
    await world.engine.run_once()
    link = await world.store.get_link(EntityType.ACCOUNT, rid)
    assert link is not None and link.link_status is RecordLinkStatus.UNLINKED
    total = len(await world.all_jobs())
    world.qbo.edit("Customer", qid, PrimaryPhone={"FreeFormNumber": "000"})
    world.crm.edit(EntityType.ACCOUNT, rid, telephone1="123")
    assert await world.engine.run_once() is False
    assert len(await world.all_jobs()) == total
    assert world.crm.row(EntityType.ACCOUNT, rid)["telephone1"] == "123"


async def test_jobs_are_mirrored_to_crm_and_a_crm_requeue_is_honoured(world: World) -> None:
    world.qbo.add("Vendor", {"DisplayName": "Clash"})
    rid = world.account("Clash")
    await world.engine.run_once()
    job = (await world.jobs(entity_type=EntityType.ACCOUNT))[0]
    mirrored = world.crm.tables["ino_linkjobs"][str(job.id)]
    assert mirrored["ino_linkstatus"] == CRM_JOB_STATUS_OPTION[LinkStatus.ERROR]
    assert mirrored["_ino_regardingobjectid_account_value"] == rid
    assert mirrored["ino_submittedby"] == "Avery Admin" and "6240" in mirrored["ino_errordescription"]
    # Nothing requeued while the mirror merely shows the latest state.
    await world.engine.run_once()
    assert (await world.store.get(job.id)).link_status is LinkStatus.ERROR
    vendor_id = next(iter(world.qbo.data["Vendor"]))
    world.qbo.edit("Vendor", vendor_id, DisplayName="Clash Vendor")
    mirrored.update(ino_linkstatus=CRM_JOB_STATUS_OPTION[LinkStatus.QUEUED], _modifiedby_value="u-sales")
    assert await world.engine.run_once() is False
    job = await world.store.get(job.id)
    assert job.link_status is LinkStatus.SUCCESS
    assert world.crm.tables["ino_linkjobs"][str(job.id)]["ino_linkstatus"] == CRM_JOB_STATUS_OPTION[LinkStatus.SUCCESS]


async def test_low_priority_writes_balances_and_buckets(world: World) -> None:
    rid, qid = await linked_account(world)
    today = world.clock().date()
    for days_late, amount in ((-5, 100), (10, 20), (45, 30), (75, 40), (120, 50)):
        world.qbo.add(
            "Invoice",
            {
                "CustomerRef": {"value": qid},
                "Line": [{"Amount": amount}],
                "DueDate": (today - timedelta(days=days_late)).isoformat(),
            },
        )
    await world.engine.run_once()
    row = world.crm.row(EntityType.ACCOUNT, rid)
    assert row["ino_openbalance"] == 240
    assert (row["ino_overdue1to30"], row["ino_overdue31to60"], row["ino_overdue61to90"], row["ino_overdueover90"]) == (
        20,
        30,
        40,
        50,
    )
    assert row["ino_balanceupdatedon"]
    total = len(await world.all_jobs())
    await world.engine.run_once()
    assert len(await world.all_jobs()) == total  # balance writes are not edits to sync


async def test_links_recorded_in_crm_before_the_first_run_are_adopted(world: World) -> None:
    qbo_customer = world.qbo.add("Customer", {"DisplayName": "Old Friend", "CompanyName": "Old Friend"})
    rid = world.crm.add(
        EntityType.ACCOUNT, name="Old Friend", ino_linkstatus=LINKED, ino_accountingid=qbo_customer["Id"]
    )
    assert await world.engine.run_once() is False
    link = await world.store.get_link(EntityType.ACCOUNT, rid)
    assert link is not None and link.qbo_id == qbo_customer["Id"]
    world.crm.edit(EntityType.ACCOUNT, rid, telephone1="555-7777")
    assert await world.engine.run_once() is False
    assert world.qbo.data["Customer"][qbo_customer["Id"]]["PrimaryPhone"] == {"FreeFormNumber": "555-7777"}
    assert len(world.qbo.active("Customer")) == 1


async def test_a_capped_cdc_answer_is_followed_up_in_the_same_cycle(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inolink_tui.engine import high_priority

    monkeypatch.setattr(high_priority, "CDC_PAGE_LIMIT", 5)
    world.qbo.cdc_cap = 5
    await world.engine.run_once()
    for i in range(12):
        world.clock.advance(0.4)  # a few changes share each whole second, as QuickBooks stamps them
        world.qbo.add("Customer", {"DisplayName": f"Burst {i:02}", "CompanyName": f"Burst {i:02}"})
    assert await world.engine.run_once() is False
    names = sorted(r["name"] for r in world.crm.tables["accounts"].values())
    assert names == [f"Burst {i:02}" for i in range(12)]
    assert world.qbo.calls["cdc"] >= 4  # three full answers and a short one


async def test_accounting_job_retries_transient_failures_then_errors(world: World) -> None:
    from inolink_tui.domain.enums import ErrorClass
    from inolink_tui.engine.ports import PortError

    rid, qid = await linked_account(world)
    world.qbo.edit("Customer", qid, PrimaryPhone={"FreeFormNumber": "555-3131"})
    world.crm.fault = lambda op: PortError(ErrorClass.TRANSIENT, "HTTP 429", status=429) if op == "update" else None
    assert await world.engine.run_once() is True
    job = (await world.jobs(source=Source.ACCOUNTING))[0]
    assert job.link_status is LinkStatus.ERROR and job.processed_count == 3  # the configured maximum
    assert job.error_class is ErrorClass.TRANSIENT and "429" in (job.error_description or "")
    world.crm.fault = None
    await world.store.requeue("ops", ids=[job.id])
    assert await world.engine.run_once() is False
    assert world.crm.row(EntityType.ACCOUNT, rid)["telephone1"] == "555-3131"


async def test_an_unlinked_customer_waits_for_the_older_crm_job_that_may_have_created_it(world: World) -> None:
    """A daemon killed after QuickBooks created the customer but before the link was saved: CDC then sees an
    unlinked customer. Its job waits for the CRM job (whose retry links it by requestid or name) instead of
    linking or creating a CRM record on a guess, and becomes an update of the one linked record."""
    await world.engine.run_once()  # starts the change feed
    rid = world.account("Oakridge Electric")
    queued = await world.store.enqueue(
        [NewJob(EntityType.ACCOUNT, Source.CRM, rid, "Oakridge Electric", "9130", submitted_by="admin")],
        now=world.clock(),
    )
    customer = world.qbo.add("Customer", {"DisplayName": "Oakridge Electric", "CompanyName": "Oakridge Electric"})
    pulled = NewJob(
        EntityType.ACCOUNT,
        Source.ACCOUNTING,
        "",
        "Oakridge Electric",
        "9130",
        qbo_entity="Customer",
        qbo_id=customer["Id"],
    )
    await world.store.enqueue([pulled], now=world.clock())
    [job] = await world.store.claim("w", limit=1, sources=(Source.ACCOUNTING,), now=world.clock())
    assert await world.engine.processor.process(job, "w") is Outcome.BLOCKED
    assert len(world.crm.tables["accounts"]) == 1 and await world.store.get_link(EntityType.ACCOUNT, rid) is None
    notes = [a.message for a in (await world.store.get(job.id)).attempts]  # the SQLite store keeps deferrals
    assert isinstance(world.store, MemoryStore) or f"older CRM job {queued.created[0]}" in str(notes[-1])

    world.clock.advance(5)
    assert await world.engine.run_once() is False
    done = await world.store.get(job.id)
    assert done.link_status is LinkStatus.SUCCESS and done.crm_record_id == rid
    assert done.operation is Operation.UPDATE, "queued as a create, it found the record linked: the job says update"
    assert len(world.crm.tables["accounts"]) == 1
    assert [c["DisplayName"] for c in world.qbo.data["Customer"].values()] == ["Oakridge Electric"]
    assert world.crm.row(EntityType.ACCOUNT, rid)["ino_accountingid"] == customer["Id"]
