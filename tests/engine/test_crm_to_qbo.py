"""CRM -> QuickBooks against in-memory systems: promote, link, dependencies, duplicates, errors."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.enums import (
    EntityType,
    ErrorClass,
    LinkStatus,
    NameMatching,
    Operation,
    RecordLinkStatus,
    Source,
)
from inolink_tui.domain.events import JobCreated, RecordNotice
from tests.engine.conftest import World

LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED]
ERROR = CRM_LINK_STATUS_OPTION[RecordLinkStatus.ERROR]


def seed_mixed(world: World, n: int, rng: random.Random) -> dict[EntityType, list[str]]:
    """n records: accounts, contacts, products, and quotes/orders/invoices using them."""
    crm = world.crm
    made: dict[EntityType, list[str]] = {et: [] for et in EntityType}
    products = [
        crm.add(EntityType.PRODUCT, name=f"Product {i:03}", productnumber=f"P-{i:03}", price=10 + i, producttypecode=3)
        for i in range(n // 6)
    ]
    made[EntityType.PRODUCT] = products
    for i in range(n // 6):
        made[EntityType.ACCOUNT].append(crm.add(EntityType.ACCOUNT, name=f"Account {i:03} Ltd", telephone1=f"555-{i}"))
        made[EntityType.CONTACT].append(crm.add(EntityType.CONTACT, firstname="Pat", lastname=f"Contact{i:03}"))
    numbers = {EntityType.QUOTE: "quotenumber", EntityType.ORDER: "ordernumber", EntityType.INVOICE: "invoicenumber"}
    remaining = n - sum(len(v) for v in made.values())
    for i in range(remaining):
        et = (EntityType.QUOTE, EntityType.ORDER, EntityType.INVOICE)[i % 3]
        cust_type = rng.choice((EntityType.ACCOUNT, EntityType.CONTACT))
        customer = rng.choice(made[cust_type])
        rid = crm.add(
            et,
            name=f"{et.value} {i}",
            **{numbers[et]: f"{et.value[0]}-{i:05}"},
            _customerid_value=customer,
            **{"_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": cust_type.value.lower()},
            freightamount=5 if i % 4 == 0 else 0,
        )
        for p in rng.sample(products, 2):
            crm.add_line(et, rid, _productid_value=p, quantity=rng.randint(1, 5), priceperunit=12.5)
        if i % 5 == 0:
            crm.add_line(et, rid, isproductoverridden=True, productdescription="Install", quantity=1, priceperunit=99)
        made[et].append(rid)
    for et, ids in made.items():
        for rid in ids:
            crm.promote(et, rid, user=rng.choice(("u-admin", "u-sales")))
    return made


async def test_promote_200_mixed_records_links_each_exactly_once(world: World) -> None:
    made = seed_mixed(world, 200, random.Random(7))
    assert sum(len(v) for v in made.values()) == 200
    errored = await world.engine.run_once()
    assert errored is False
    jobs = await world.jobs(source=Source.CRM)
    assert len(jobs) == 200
    created = {e.job_id: e.record_name for e in world.events if isinstance(e, JobCreated)}
    assert created == {j.id: j.record_name for j in jobs}
    assert {j.link_status for j in jobs} == {LinkStatus.SUCCESS}
    assert all(j.submitted_by in ("Avery Admin", "Sam Sales") for j in jobs)
    assert all(j.accounting_id and j.processed_at and j.processed_count == 1 for j in jobs)
    for et, ids in made.items():
        for rid in ids:
            row = world.crm.row(et, rid)
            assert row["ino_linkstatus"] == LINKED
            assert row["ino_accountingid"] and row["ino_accountingref"]
    qbo = world.qbo
    customers = [c for c in qbo.active("Customer")]
    assert len(customers) == len(made[EntityType.ACCOUNT]) + len(made[EntityType.CONTACT])
    assert len({c["DisplayName"] for c in customers}) == len(customers)
    assert len(qbo.active("Item")) == len(made[EntityType.PRODUCT]) + 3  # + write-in, discount, shipping
    assert len(qbo.data["Estimate"]) == len(made[EntityType.QUOTE])
    assert len(qbo.data["Invoice"]) == len(made[EntityType.ORDER]) + len(made[EntityType.INVOICE])
    order = world.crm.row(EntityType.ORDER, made[EntityType.ORDER][0])
    assert order["ino_accountingref"].startswith("Invoice ")
    # A second pass finds nothing to do: no new jobs, no echo of our own write-backs.
    assert await world.engine.run_once() is False
    assert len(await world.all_jobs()) == 200
    # Bulk lookups: one name listing per entity per cycle, not one query per record.
    assert qbo.calls["all_names"] <= 2 * 3


async def test_transaction_waits_for_its_customer_and_auto_creates_it(world: World) -> None:
    crm = world.crm
    acct = crm.add(EntityType.ACCOUNT, name="Late Customer")
    prod = crm.add(EntityType.PRODUCT, name="Bolt", price=2, producttypecode=3)
    crm.promote(EntityType.PRODUCT, prod)
    inv = crm.add(EntityType.INVOICE, name="Bolts", invoicenumber="INV-1", _customerid_value=acct)
    crm.add_line(EntityType.INVOICE, inv, _productid_value=prod, quantity=4, priceperunit=2)
    crm.promote(EntityType.INVOICE, inv, user="u-sales")
    assert await world.engine.run_once() is False
    acct_job = (await world.jobs(entity_type=EntityType.ACCOUNT))[0]
    assert acct_job.link_status is LinkStatus.SUCCESS and acct_job.submitted_by == "Sam Sales"
    inv_job = (await world.jobs(entity_type=EntityType.INVOICE))[0]
    assert inv_job.link_status is LinkStatus.SUCCESS
    assert inv_job.processed_count == 1  # waiting for the customer was not an attempt
    invoice = world.qbo.data["Invoice"][inv_job.accounting_id]
    assert invoice["CustomerRef"]["value"] == crm.row(EntityType.ACCOUNT, acct)["ino_accountingid"]


async def test_missing_customer_without_auto_create_and_missing_products_fail_with_hints(world: World) -> None:
    engine = world.rebuild(auto_create_missing_customer=False)
    crm = world.crm
    acct = crm.add(EntityType.ACCOUNT, name="Nobody Inc")
    prod = crm.add(EntityType.PRODUCT, name="Unlinked Gizmo", price=2)
    quote = crm.add(EntityType.QUOTE, name="Q", _customerid_value=acct)
    crm.add_line(EntityType.QUOTE, quote, _productid_value=prod, quantity=1, priceperunit=2)
    crm.promote(EntityType.QUOTE, quote)
    assert await engine.run_once() is True
    job = (await world.jobs(entity_type=EntityType.QUOTE))[0]
    assert job.link_status is LinkStatus.ERROR and job.error_class is ErrorClass.REFERENCE
    assert "Nobody Inc" in (job.error_description or "") and "Auto Create Missing Customer" in job.error_description
    assert crm.row(EntityType.QUOTE, quote)["ino_linkstatus"] == ERROR
    # Link the customer; the products are still missing and are named.
    crm.promote(EntityType.ACCOUNT, acct)
    await engine.run_once()
    await world.store.requeue("ops", ids=[job.id])
    assert await engine.run_once() is True
    job = await world.store.get(job.id)
    assert job.link_status is LinkStatus.ERROR
    assert "Unlinked Gizmo" in (job.error_description or "") and "promote them" in job.error_description
    assert not world.qbo.data["Estimate"]


async def test_duplicate_name_error_then_rename_and_requeue_succeeds(world: World) -> None:
    vendor = world.qbo.add("Vendor", {"DisplayName": "Acme Supplies"})
    rid = world.account("Acme Supplies")
    assert await world.engine.run_once() is True
    job = (await world.jobs(entity_type=EntityType.ACCOUNT))[0]
    assert job.link_status is LinkStatus.ERROR and job.error_class is ErrorClass.DUPLICATE
    assert "6240" in (job.error_description or "") and "rename" in job.error_description
    assert world.crm.row(EntityType.ACCOUNT, rid)["ino_linkstatus"] == ERROR
    world.qbo.edit("Vendor", vendor["Id"], DisplayName="Acme Supplies (vendor)")
    result = await world.store.requeue("ops", ids=[job.id])
    assert result.changed == (job.id,)
    assert await world.engine.run_once() is False
    job = await world.store.get(job.id)
    assert job.link_status is LinkStatus.SUCCESS and job.processed_count == 2
    assert world.crm.row(EntityType.ACCOUNT, rid)["ino_linkstatus"] == LINKED


async def test_existing_quickbooks_record_is_linked_not_duplicated_under_pattern(world: World) -> None:
    existing = world.qbo.add("Customer", {"DisplayName": "IfnoMedia", "CompanyName": "IfnoMedia"})
    engine = world.rebuild(name_matching=NameMatching.PATTERN)
    rid = world.account("InfoMedia", telephone1="555-1234")
    assert await engine.run_once() is False
    assert world.crm.row(EntityType.ACCOUNT, rid)["ino_accountingid"] == existing["Id"]
    assert len(world.qbo.active("Customer")) == 1
    assert world.qbo.data["Customer"][existing["Id"]]["PrimaryPhone"] == {"FreeFormNumber": "555-1234"}
    [job] = await world.jobs(crm_record_id=rid)
    assert job.operation is Operation.LINK, "queued as a create, it found the customer: the job says link"


async def test_exact_matching_does_not_link_a_typo(world: World) -> None:
    world.qbo.add("Customer", {"DisplayName": "IfnoMedia"})
    world.account("InfoMedia")
    assert await world.engine.run_once() is False
    assert len(world.qbo.active("Customer")) == 2


async def test_quickbooks_record_already_linked_elsewhere_is_a_duplicate(world: World) -> None:
    world.account("Twin Peaks")
    await world.engine.run_once()
    second = world.account("Twin Peaks")
    assert await world.engine.run_once() is True
    job = (await world.jobs(crm_record_id=second))[0]
    assert job.error_class is ErrorClass.DUPLICATE and "already linked" in (job.error_description or "")


async def test_transient_failures_retry_with_backoff_then_error(world: World) -> None:
    from inolink_tui.engine.ports import PortError

    world.account("Flaky Co")
    world.qbo.fault = lambda op: PortError(ErrorClass.TRANSIENT, "HTTP 503", status=503) if op == "create" else None
    assert await world.engine.run_once() is True
    job = (await world.jobs(entity_type=EntityType.ACCOUNT))[0]
    assert job.link_status is LinkStatus.ERROR and job.processed_count == 3  # max_attempts
    assert job.error_class is ErrorClass.TRANSIENT
    world.qbo.fault = None
    await world.store.requeue("ops", ids=[job.id])
    assert await world.engine.run_once() is False
    assert len(world.qbo.active("Customer")) == 1


async def test_transaction_edit_after_promotion_is_reported_not_pushed(world: World) -> None:
    crm = world.crm
    acct = world.account("Buyer")
    prod = crm.add(EntityType.PRODUCT, name="Nut", price=1)
    crm.promote(EntityType.PRODUCT, prod)
    quote = crm.add(EntityType.QUOTE, name="Nuts", _customerid_value=acct)
    crm.add_line(EntityType.QUOTE, quote, _productid_value=prod, quantity=3, priceperunit=1)
    crm.promote(EntityType.QUOTE, quote)
    await world.engine.run_once()
    estimate_id = crm.row(EntityType.QUOTE, quote)["ino_accountingid"]
    before = dict(world.qbo.data["Estimate"][estimate_id])
    crm.edit(EntityType.QUOTE, quote, name="Nuts (more)")
    jobs_before = len(await world.all_jobs())
    await world.engine.run_once()
    assert len(await world.all_jobs()) == jobs_before
    assert world.qbo.data["Estimate"][estimate_id] == before
    notices = [e for e in world.events if isinstance(e, RecordNotice)]
    assert len(notices) == 1 and "pushed once" in notices[0].message
    await world.engine.run_once()
    assert len([e for e in world.events if isinstance(e, RecordNotice)]) == 1  # reported once


async def test_inventory_product_gets_the_standard_accounts(world: World) -> None:
    # Intuit's Item reference: an Inventory item also needs ExpenseAccountRef (a Cost of Goods Sold account).
    cogs = world.qbo.add("Account", {"Name": "Cost of Goods Sold", "AccountType": "Cost of Goods Sold"})
    pid = world.crm.add(EntityType.PRODUCT, name="Pallet Jack", price=300, producttypecode=1, quantityonhand=4)
    world.crm.promote(EntityType.PRODUCT, pid)
    assert await world.engine.run_once() is False
    item = world.qbo.data["Item"][world.crm.row(EntityType.PRODUCT, pid)["ino_accountingid"]]
    asset = next(a for a in world.qbo.data["Account"].values() if a.get("AccountSubType") == "Inventory")
    income = next(a for a in world.qbo.data["Account"].values() if a.get("AccountType") == "Income")
    assert item["Type"] == "Inventory" and item["QtyOnHand"] == 4.0
    assert item["AssetAccountRef"] == {"value": asset["Id"]} and item["IncomeAccountRef"] == {"value": income["Id"]}
    assert item["ExpenseAccountRef"] == {"value": cogs["Id"]}


async def test_refused_credentials_keep_jobs_queued_and_stop_the_cycle(world: World) -> None:
    from inolink_tui.domain.events import AuthProblem
    from inolink_tui.engine.ports import PortError

    for i in range(5):
        world.account(f"Waiting {i}")
    world.qbo.fault = lambda op: (
        PortError(ErrorClass.AUTH, "QuickBooks refused the refresh token")
        if op
        in (
            "all_names",
            "create",
        )
        else None
    )
    await world.engine.run_once()
    jobs = await world.jobs(source=Source.CRM)
    assert {j.link_status for j in jobs} == {LinkStatus.QUEUED}
    assert all(j.processed_count == 0 for j in jobs)  # not counted as attempts
    assert sum(isinstance(e, AuthProblem) for e in world.events) == 1
    assert world.qbo.calls["all_names"] == 1  # the cycle stopped claiming after the first refusal
    world.qbo.fault = None
    world.clock.advance(61)
    assert await world.engine.run_once() is False
    assert {j.link_status for j in await world.jobs(source=Source.CRM)} == {LinkStatus.SUCCESS}


async def test_work_starts_while_the_rest_of_crm_is_still_read(world: World) -> None:
    """A bulk load keeps QuickBooks busy during the scan: the promoted accounts are being linked while the
    contacts are still being read (here the contacts' read waits until an account is linked; a cycle that
    drained only after reading everything would never get there)."""
    accounts = [world.account(f"Early {i}") for i in range(5)]
    contact = world.crm.add(EntityType.CONTACT, firstname="Late", lastname="Reader")
    world.crm.promote(EntityType.CONTACT, contact)
    read = world.crm.promoted
    linked_before_contacts: list[int] = []

    async def promoted(entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]:
        if entity_type is EntityType.CONTACT:
            for _ in range(500):
                linked = [a for a in accounts if world.crm.row(EntityType.ACCOUNT, a).get("ino_accountingid")]
                if linked:
                    break
                await asyncio.sleep(0.01)
            linked_before_contacts.append(len(linked))
        return await read(entity_type, limit=limit)

    world.crm.promoted = promoted  # type: ignore[method-assign]
    assert await world.engine.run_once() is False
    assert linked_before_contacts and linked_before_contacts[0] >= 1
    jobs = await world.all_jobs()
    assert len(jobs) == 6 and {j.link_status for j in jobs} == {LinkStatus.SUCCESS}
