"""Issue 17 item 1 over the sandbox (one small seeded stack): an account's Category reaches its QuickBooks customer
as the Customer Type `[sync] customer_types` names, and a Customer Type changed in QuickBooks comes back as the
Category of the same name (no config entry needed); a Category no Customer Type matches is left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from tests.engine.sandbox_stack import Stack, stack

pytestmark = pytest.mark.timeout(180)
PREFERRED, STANDARD = 1, 2


def crm_user(s: Stack) -> str:
    return str(
        next(u for u in s.dv.rows("systemusers") if u.get("fullname") and not u.get("applicationid"))["systemuserid"]
    )


async def test_category_and_customer_type_both_ways(tmp_path: Path) -> None:
    sync = 'customer_types = { "Preferred Customer" = "Wholesale" }'
    async with stack(tmp_path, records=3, sync=sync) as s:
        wholesale = s.qbo.create("CustomerType", {"Name": "Wholesale"})  # kept in the QuickBooks UI
        standard = s.qbo.create("CustomerType", {"Name": "standard"})
        await s.run_once()
        job = next(
            j
            for j in await s.jobs()
            if j.entity_type is EntityType.ACCOUNT and j.link_status is LinkStatus.SUCCESS and j.accounting_id
        )
        account, qbo_id = str(job.crm_record_id), str(job.accounting_id)

        s.dv.update_row("accounts", account, {"accountcategorycode": PREFERRED}, user_id=crm_user(s))
        await s.run_once()
        assert s.qbo.get("Customer", qbo_id)["CustomerTypeRef"]["value"] == wholesale["Id"]

        customer = s.qbo.get("Customer", qbo_id)
        s.qbo.update(
            "Customer",
            {"Id": qbo_id, "SyncToken": customer["SyncToken"], "CustomerTypeRef": {"value": standard["Id"]}},
        )
        await s.run_once()
        pulled = [j for j in await s.jobs() if j.source is Source.ACCOUNTING and j.crm_record_id == account]
        assert pulled and pulled[-1].link_status is LinkStatus.SUCCESS, pulled and pulled[-1].error_description
        assert s.dv.get_row("accounts", account)["accountcategorycode"] == STANDARD
