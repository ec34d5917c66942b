"""Issue 17 item 1's extra fields over the sandbox (one small seeded stack for the module's one scenario):

- an account's Category reaches its QuickBooks customer as the Customer Type `[sync] customer_types` names, and a
  Customer Type changed in QuickBooks comes back as the Category of the same name (no config entry needed);
- with `[sync] primary_contact = true`, the account's primary contact's names become the customer's Given / Family
  Name;
- a product's Vendor Name becomes its item's Preferred Vendor (the Vendor of that Display Name); a name no vendor
  has leaves PrefVendorRef out and says so in the job's message; the vendor set in QuickBooks comes back.
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


async def test_category_primary_contact_and_vendor(tmp_path: Path) -> None:
    sync = 'customer_types = { "Preferred Customer" = "Wholesale" }\nprimary_contact = true'
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

        person = next(c for c in s.dv.rows("contacts") if c.get("firstname") and c.get("lastname"))
        s.dv.update_row(
            "accounts",
            account,
            {"accountcategorycode": PREFERRED, "_primarycontactid_value": person["contactid"]},
            user_id=crm_user(s),
        )
        await s.run_once()
        customer = s.qbo.get("Customer", qbo_id)
        assert customer["CustomerTypeRef"]["value"] == wholesale["Id"]
        assert (customer["GivenName"], customer["FamilyName"]) == (person["firstname"], person["lastname"])

        customer = s.qbo.get("Customer", qbo_id)
        s.qbo.update(
            "Customer",
            {"Id": qbo_id, "SyncToken": customer["SyncToken"], "CustomerTypeRef": {"value": standard["Id"]}},
        )
        await s.run_once()
        pulled = [j for j in await s.jobs() if j.source is Source.ACCOUNTING and j.crm_record_id == account]
        assert pulled and pulled[-1].link_status is LinkStatus.SUCCESS, pulled and pulled[-1].error_description
        assert s.dv.get_row("accounts", account)["accountcategorycode"] == STANDARD

        acme = s.qbo.create("Vendor", {"DisplayName": "Acme Supplies"})
        other = s.qbo.create("Vendor", {"DisplayName": "Bolt Brothers"})
        made = next(
            j
            for j in await s.jobs()
            if j.entity_type is EntityType.PRODUCT and j.link_status is LinkStatus.SUCCESS and j.accounting_id
        )
        product, item_id = str(made.crm_record_id), str(made.accounting_id)
        s.dv.update_row("products", product, {"vendorname": "acme supplies"}, user_id=crm_user(s))
        await s.run_once()
        assert s.qbo.get("Item", item_id)["PrefVendorRef"]["value"] == acme["Id"]
        s.dv.update_row("products", product, {"vendorname": "Nobody Ltd"}, user_id=crm_user(s))
        await s.run_once()
        pushed = [j for j in await s.jobs() if j.source is Source.CRM and j.crm_record_id == product][-1]
        assert pushed.link_status is LinkStatus.SUCCESS, pushed.error_description
        said = [a.message or "" for a in await s.store.attempts(pushed.id)]
        assert any("no QuickBooks vendor named 'Nobody Ltd'" in m for m in said), said
        assert s.qbo.get("Item", item_id)["PrefVendorRef"]["value"] == acme["Id"], "left alone, never created"
        assert [v["DisplayName"] for v in s.qbo.all("Vendor")].count("Nobody Ltd") == 0
        item = s.qbo.get("Item", item_id)
        s.qbo.update("Item", {"Id": item_id, "SyncToken": item["SyncToken"], "PrefVendorRef": {"value": other["Id"]}})
        await s.run_once()
        assert s.dv.get_row("products", product)["vendorname"] == "Bolt Brothers"
