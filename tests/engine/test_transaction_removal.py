"""Issue 16 item 1 over the in-process sandbox: a QuickBooks invoice or estimate linked to a CRM invoice or quote,
then deleted or voided in QuickBooks. Deleted: the CRM record is unlinked (record Link Status Unlinked, its
Accounting ID kept) by a Link Job of Source Accounting that says so; nothing in CRM is deleted. Voided: the
ordinary status job writes QuickBooks' zeroed amounts, and the status Canceled.

One seeded sandbox serves the whole module; expected values come from the sandbox's QuickBooks state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS
from inolink_tui.domain.enums import EntityType, LinkStatus, Operation, RecordLinkStatus, Source
from inolink_tui.domain.invoice_status import INVOICE_STATUS_OPTIONS, InvoiceStatus
from inolink_tui.domain.jobs import LinkJob
from tests.engine.sandbox_stack import Stack, stack

pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio(loop_scope="module")]
LINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.LINKED]
UNLINKED = DEFAULT_LINK_STATUS_OPTIONS[RecordLinkStatus.UNLINKED]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    sync = 'quickbooks_estimates = "record"\n'
    async with stack(tmp_path_factory.mktemp("txn-removal"), records=16, sync=sync) as s:
        await s.run_once()  # link what the seed promoted: customers, products, some invoices
        yield s


async def high_priority(s: Stack) -> None:
    e = await s.engine()
    try:
        await e.cycles.high_priority()
    finally:
        await e.stop()


def linked_rows(s: Stack, entity_set: str) -> dict[str, dict[str, Any]]:
    return {str(r["ino_accountingid"]): r for r in s.dv.rows(entity_set) if r.get("ino_linkstatus") == LINKED}


def open_linked_invoices(s: Stack) -> list[dict[str, Any]]:
    links = linked_rows(s, "invoices")
    found = [i for i in s.qbo.all("Invoice") if i["Id"] in links and float(i["TotalAmt"]) > 0]
    assert found, "the seed promotes and links invoices"
    return found


async def message(s: Stack, job: LinkJob) -> str:
    """What the job's last attempt said (a Success job's message)."""
    attempts = await s.store.attempts(job.id)
    return attempts[-1].message or "" if attempts else ""


def jobs_for(jobs: list[LinkJob], qbo_id: str, entity: str) -> list[LinkJob]:
    return [j for j in jobs if j.source is Source.ACCOUNTING and j.accounting_id == qbo_id and j.qbo_entity == entity]


def row_of(s: Stack, entity_set: str, key: str, crm_id: str) -> dict[str, Any]:
    (row,) = [r for r in s.dv.rows(entity_set) if str(r[key]).lower() == crm_id.lower()]
    return row


async def test_an_invoice_deleted_in_quickbooks_unlinks_its_crm_invoice_and_says_so(world: Stack) -> None:
    s = world
    invoice = open_linked_invoices(s)[0]
    crm_id = str(linked_rows(s, "invoices")[invoice["Id"]]["invoiceid"])
    s.qbo.delete("Invoice", {"Id": invoice["Id"], "SyncToken": s.qbo.get("Invoice", invoice["Id"])["SyncToken"]})
    await high_priority(s)
    row = row_of(s, "invoices", "invoiceid", crm_id)  # still there: nothing in CRM is deleted
    assert row["ino_linkstatus"] == UNLINKED and row["ino_accountingid"] == invoice["Id"]
    (job,) = [j for j in jobs_for(await s.jobs(), invoice["Id"], "Invoice") if "deleted" in j.record_name]
    assert job.entity_type is EntityType.INVOICE and job.operation is Operation.UPDATE
    assert job.link_status is LinkStatus.SUCCESS, job.error_description
    said = await message(s, job)
    assert "deleted in QuickBooks" in said and "Unlinked" in said, said
    link = await s.store.find_link_by_qbo("Invoice", invoice["Id"], s.settings.quickbooks.realm_id)
    assert link is not None and link.link_status is RecordLinkStatus.UNLINKED
    # A second High Priority cycle (CDC's overlap window) finds nothing linked left: no second job.
    await high_priority(s)
    assert len([j for j in jobs_for(await s.jobs(), invoice["Id"], "Invoice") if "deleted" in j.record_name]) == 1


async def test_an_estimate_recorded_from_quickbooks_then_deleted_unlinks_its_quote(world: Stack) -> None:
    s = world
    customer = next(
        c["Id"] for c in s.qbo.all("Customer") if c["Id"] in linked_rows(s, "accounts") and c.get("Active") is not False
    )
    item = next(i for i in s.qbo.all("Item") if i.get("Type") == "Service" and i.get("Active", True))
    detail = {"ItemRef": {"value": item["Id"]}, "Qty": 1, "UnitPrice": "12.00"}
    estimate = s.qbo.create(
        "Estimate",
        {
            "CustomerRef": {"value": customer},
            "Line": [{"Amount": "12.00", "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}],
        },
    )
    await high_priority(s)
    quote = linked_rows(s, "quotes")[estimate["Id"]]
    s.qbo.delete("Estimate", {"Id": estimate["Id"], "SyncToken": s.qbo.get("Estimate", estimate["Id"])["SyncToken"]})
    await high_priority(s)
    row = row_of(s, "quotes", "quoteid", str(quote["quoteid"]))
    assert row["ino_linkstatus"] == UNLINKED and row["ino_accountingid"] == estimate["Id"]
    (job,) = [j for j in jobs_for(await s.jobs(), estimate["Id"], "Estimate") if "deleted" in j.record_name]
    assert job.entity_type is EntityType.QUOTE and job.link_status is LinkStatus.SUCCESS, job.error_description
    said = await message(s, job)
    assert "estimate" in said and "Unlinked" in said, said


async def test_a_voided_invoice_shows_its_zeroed_amounts_and_canceled_in_crm(world: Stack) -> None:
    s = world
    invoice = open_linked_invoices(s)[-1]
    crm_id = str(linked_rows(s, "invoices")[invoice["Id"]]["invoiceid"])
    s.qbo.void("Invoice", {"Id": invoice["Id"], "SyncToken": s.qbo.get("Invoice", invoice["Id"])["SyncToken"]})
    voided = s.qbo.get("Invoice", invoice["Id"])
    assert float(voided["TotalAmt"]) == 0 and float(voided["Balance"]) == 0  # as QuickBooks voids it
    await high_priority(s)
    row = row_of(s, "invoices", "invoiceid", crm_id)
    assert row["ino_linkstatus"] == LINKED  # a voided invoice stays in QuickBooks, so does the link
    assert row["ino_balance"] == 0 and row["ino_amountpaid"] == 0
    # Canceled, Dynamics' documented state of an invoice that will not be paid, not Paid: nothing was paid
    assert row["ino_invoicestatus"] == INVOICE_STATUS_OPTIONS[InvoiceStatus.CANCELED]
    jobs = [j for j in jobs_for(await s.jobs(), invoice["Id"], "Invoice") if j.operation is Operation.UPDATE]
    assert jobs and jobs[-1].link_status is LinkStatus.SUCCESS
    assert "voided in QuickBooks" in await message(s, jobs[-1])
