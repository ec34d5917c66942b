"""QuickBooks -> CRM primary contact over the sandbox (one seeded sandbox, `[sync] primary_contact = true`).

A customer entered in QuickBooks with a Company Name and a person's names becomes an Account with a Primary Contact
of those names (InoLink, reference §1.6: "Company + first/last name -> an Account named after the company, with a
Primary Contact"); renaming the person in QuickBooks renames that contact, with no second one; the account's row
version the pull wrote is remembered, so the next cycle pushes nothing back.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from tests.engine.sandbox_stack import Stack, stack

pytestmark = pytest.mark.timeout(180)


def contacts_named(s: Stack, last: str) -> list[dict[str, Any]]:
    return [r for r in s.dv.rows("contacts") if r.get("lastname") == last]


async def pulled(s: Stack, qbo_id: str) -> tuple[Any, str]:
    """The customer's last Account job, which must have succeeded, and what its last attempt said."""
    jobs = [j for j in await s.jobs() if j.accounting_id == qbo_id and j.entity_type is EntityType.ACCOUNT]
    assert jobs and jobs[-1].link_status is LinkStatus.SUCCESS, jobs and jobs[-1].error_description
    return jobs[-1], (await s.store.attempts(jobs[-1].id))[-1].message or ""


async def test_a_customer_s_person_becomes_and_renames_the_account_s_primary_contact(tmp_path: Path) -> None:
    async with stack(tmp_path, records=4, sync="primary_contact = true") as s:
        await s.run_once()  # the seed linked first, so what follows is the customer's own pull
        customer = s.qbo.create(
            "Customer",
            {"DisplayName": "Globex Pull", "CompanyName": "Globex Pull", "GivenName": "Hank", "FamilyName": "Scorpio"},
        )
        await s.run_once()
        job, said = await pulled(s, str(customer["Id"]))
        assert job.source is Source.ACCOUNTING and "primary contact 'Hank Scorpio' created" in said, said
        account = s.dv.get_row("accounts", str(job.crm_record_id))
        assert account is not None and account["name"] == "Globex Pull"
        [contact] = contacts_named(s, "Scorpio")
        assert (contact["firstname"], contact["_parentcustomerid_value"]) == ("Hank", account["accountid"])
        assert account["_primarycontactid_value"] == contact["contactid"]

        before = len(await s.jobs())
        await s.run_once()  # the account the pull wrote (with its primary contact) is an echo, not a CRM change
        assert [j for j in (await s.jobs())[before:] if j.source is Source.CRM] == []

        current = s.qbo.get("Customer", str(customer["Id"]))
        assert current is not None
        s.qbo.update("Customer", {"Id": customer["Id"], "SyncToken": current["SyncToken"], "GivenName": "Henry"})
        await s.run_once()
        job, said = await pulled(s, str(customer["Id"]))
        assert "primary contact renamed 'Henry Scorpio'" in said, said
        [renamed] = contacts_named(s, "Scorpio")
        assert (renamed["contactid"], renamed["firstname"], renamed["fullname"]) == (
            contact["contactid"],
            "Henry",
            "Henry Scorpio",
        )
        assert s.dv.get_row("accounts", str(job.crm_record_id))["_primarycontactid_value"] == contact["contactid"]  # type: ignore[index]
