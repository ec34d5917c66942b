"""Issue 16 item 3 end to end over the sandbox: inactive and deleted records, both ways.

- a customer made inactive in QuickBooks (CDC) deactivates its linked CRM account (statecode 1, statuscode 2);
- an account deactivated in CRM makes its QuickBooks customer inactive; while the customer has an open balance
  the job ends in Error saying why and what to do, and QuickBooks is not asked;
- a linked account deleted in CRM (change tracking's removed ids) is unlinked and reported by a Link Job, and
  its QuickBooks customer stays as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, RecordLinkStatus, Source
from inolink_tui.domain.jobs import LinkJob
from tests.engine.sandbox_stack import Stack, stack

pytestmark = pytest.mark.timeout(180)


async def linked_accounts(s: Stack) -> list[tuple[LinkJob, dict[str, Any]]]:
    """(its Success job, its QuickBooks customer) for each account the first pass linked.

    Customers with an inactive namesake are left out: the seed keeps one ("<name> (deleted)"), and making the
    second one inactive too would clash with it (QuickBooks renames inactive names "<name> (deleted)").
    """
    taken = {str(c["DisplayName"]).casefold() for c in s.qbo.all("Customer") if c.get("Active") is False}
    out = []
    for job in await s.jobs():
        if job.entity_type is EntityType.ACCOUNT and job.link_status is LinkStatus.SUCCESS and job.accounting_id:
            customer = s.qbo.get("Customer", job.accounting_id)
            if f"{customer['DisplayName']} (deleted)".casefold() not in taken:
                out.append((job, customer))
    return out


async def message(s: Stack, job: LinkJob) -> str:
    """What the job's last attempt said (a Success job's message)."""
    attempts = await s.store.attempts(job.id)
    return attempts[-1].message or "" if attempts else ""


def crm_user(s: Stack) -> str:
    return str(
        next(u for u in s.dv.rows("systemusers") if u.get("fullname") and not u.get("applicationid"))["systemuserid"]
    )


async def test_customer_made_inactive_in_quickbooks_deactivates_the_crm_account(tmp_path: Path) -> None:
    async with stack(tmp_path) as s:
        await s.run_once()
        job, customer = next((j, c) for j, c in await linked_accounts(s) if not float(c.get("Balance") or 0))
        s.qbo.update("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "Active": False})
        await s.run_once()
        row = s.dv.get_row("accounts", job.crm_record_id)
        assert (row["statecode"], row["statuscode"]) == (1, 2)
        assert row["name"] == customer["DisplayName"], "CRM keeps the name, not QuickBooks' '(deleted)' one"
        pulled = [
            j
            for j in await s.jobs()
            if j.source is Source.ACCOUNTING and j.accounting_id == customer["Id"] and j.id > job.id
        ]
        assert pulled and pulled[-1].link_status is LinkStatus.SUCCESS
        assert "inactive" in await message(s, pulled[-1])
        before = len(await s.jobs())
        await s.run_once()
        assert len(await s.jobs()) == before, "the deactivation written to CRM does not come back as an edit"


async def test_account_deactivated_in_crm_makes_the_quickbooks_customer_inactive(tmp_path: Path) -> None:
    async with stack(tmp_path) as s:
        await s.run_once()
        accounts = await linked_accounts(s)
        job, customer = next((j, c) for j, c in accounts if not float(c.get("Balance") or 0))
        s.dv.update_row("accounts", job.crm_record_id, {"statecode": 1, "statuscode": 2}, user_id=crm_user(s))
        await s.run_once()
        pushed = [j for j in await s.jobs() if j.source is Source.CRM and j.crm_record_id == job.crm_record_id]
        assert pushed[-1].id > job.id and pushed[-1].link_status is LinkStatus.SUCCESS, pushed[-1].error_description
        assert s.qbo.get("Customer", customer["Id"])["Active"] is False, await message(s, pushed[-1])


async def test_deactivating_a_customer_with_an_open_balance_fails_with_the_reason(tmp_path: Path) -> None:
    async with stack(tmp_path) as s:
        await s.run_once()
        owing = [(j, c) for j, c in await linked_accounts(s) if float(c.get("Balance") or 0)]
        if not owing:
            job, customer = (await linked_accounts(s))[0]
            item = next(i for i in s.qbo.all("Item") if i.get("Type") == "Service")
            s.qbo.create(
                "Invoice",
                {
                    "CustomerRef": {"value": customer["Id"]},
                    "Line": [
                        {
                            "Amount": 50,
                            "DetailType": "SalesItemLineDetail",
                            "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
                        }
                    ],
                },
            )
        else:
            job, customer = owing[0]
        s.dv.update_row("accounts", job.crm_record_id, {"statecode": 1, "statuscode": 2}, user_id=crm_user(s))
        await s.run_once()
        assert s.qbo.get("Customer", customer["Id"])["Active"] is True
        failed = [j for j in await s.jobs() if j.source is Source.CRM and j.crm_record_id == job.crm_record_id][-1]
        assert failed.link_status is LinkStatus.ERROR and failed.error_class is ErrorClass.VALIDATION
        assert "open balance" in (failed.error_description or "")
        assert "requeue" in (failed.error_description or "")


async def test_account_deleted_in_crm_is_unlinked_and_reported(tmp_path: Path) -> None:
    async with stack(tmp_path) as s:
        await s.run_once()
        job, customer = (await linked_accounts(s))[0]
        s.dv.delete_row("accounts", job.crm_record_id)
        await s.run_once()
        link = await s.store.get_link(EntityType.ACCOUNT, job.crm_record_id)
        assert link is not None and link.link_status is RecordLinkStatus.UNLINKED
        report = [j for j in await s.jobs() if j.crm_record_id == job.crm_record_id and j.id > job.id]
        assert report and report[-1].link_status is LinkStatus.SUCCESS, [(j.id, j.error_description) for j in report]
        said = await message(s, report[-1])
        assert "deleted in CRM" in said and "nothing was deleted" in said, said
        after = s.qbo.get("Customer", customer["Id"])
        assert after["Active"] is True and after["SyncToken"] == s.qbo.get("Customer", customer["Id"])["SyncToken"]
