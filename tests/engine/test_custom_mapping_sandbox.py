"""Issue 17's "Done when", end to end over the sandbox (one seeded sandbox for the module's one scenario).

A config adds four custom mappings to accounts: the account number and the credit limit (QuickBooks Online's
Customer has no account-number or credit-limit field, so both go to custom fields of the Custom Fields API), a
choice mapped by its labels to a custom field (`new_customertier`: Gold / Silver / Bronze -> A / B / C), and a custom
CRM column to a custom field (`new_region` -> Region). Then:

1. a CRM -> QuickBooks push carries all four into the customer's `CustomField` array;
2. a QuickBooks -> CRM update carries all four back (the tier label back to its choice value);
3. both sides change the Region: Deadlock Win (CRM) keeps CRM's value in QuickBooks and the job records the
   QuickBooks value it replaced, as the field `CustomField:Region`;
4. the values written come back as echoes: the next cycle changes nothing;
5. (item 1, same sandbox) an item created in QuickBooks becomes a CRM product with the Unit Group and Default Unit
   of [sync] unit_group / default_unit (the org's "Default Unit" group and its "Primary Unit").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.conflicts import conflict_of
from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.mapping.applied import applied_fields
from inolink_tui.sandbox.quickbooks.custom_fields import declare
from tests.engine.sandbox_stack import Stack, stack

pytestmark = pytest.mark.timeout(240)

MAPPINGS = """\
[[mapping.account]]
crm = "accountnumber"
qbo = "CustomField:Account Number"

[[mapping.account]]
crm = "creditlimit"
qbo = "CustomField:Credit Limit"
transform = "money"

[[mapping.account]]
crm = "new_customertier"
qbo = "CustomField:Tier"
transform = "value_map"
values = { "Gold" = "A", "Silver" = "B", "Bronze" = "C" }

[[mapping.account]]
crm = "new_region"
qbo = "CustomField:Region"
"""
GOLD, SILVER = 100000000, 100000001


def fields(customer: dict[str, Any]) -> dict[str, Any]:
    return {e["Name"]: e.get("StringValue") for e in customer.get("CustomField") or []}


def crm_user(s: Stack) -> str:
    return str(
        next(u for u in s.dv.rows("systemusers") if u.get("fullname") and not u.get("applicationid"))["systemuserid"]
    )


async def last_job(s: Stack, source: Source, crm_id: str) -> Any:
    jobs = [j for j in await s.jobs() if j.source is source and (j.crm_record_id or "").lower() == crm_id.lower()]
    return jobs[-1]


async def test_four_custom_mappings_push_pull_and_settle_a_conflict(tmp_path: Path) -> None:
    async with stack(tmp_path, records=6, extra=MAPPINGS) as s:
        ids = {label: declare(s.qbo, label, "STRING", ("Customer",)) for label in ("Account Number", "Credit Limit")}
        await s.run_once()  # links the seeded records, custom rows included
        job = next(
            j
            for j in await s.jobs()
            if j.entity_type is EntityType.ACCOUNT and j.link_status is LinkStatus.SUCCESS and j.accounting_id
        )
        account, qbo_id = job.crm_record_id, str(job.accounting_id)

        # 1. CRM -> QuickBooks
        s.dv.update_row(
            "accounts",
            account,
            {"accountnumber": "ACC-7001", "creditlimit": 2500, "new_customertier": GOLD, "new_region": "North"},
            user_id=crm_user(s),
        )
        await s.run_once()
        pushed = await last_job(s, Source.CRM, account)
        assert pushed.id > job.id and pushed.link_status is LinkStatus.SUCCESS, pushed.error_description
        customer = s.qbo.get("Customer", qbo_id)
        assert fields(customer) == {
            "Account Number": "ACC-7001",
            "Credit Limit": "2500.00",
            "Tier": "A",
            "Region": "North",
        }
        assert {e["DefinitionId"] for e in customer["CustomField"]} >= set(ids.values())
        carried = {f.qbo: f for f in applied_fields(pushed.payload) if f.custom}  # what the inspector shows
        assert (carried["CustomField:Tier"].crm_value, carried["CustomField:Tier"].qbo_value) == (GOLD, "A")
        assert carried["CustomField:Credit Limit"].transform == "money"
        assert carried["CustomField:Region"].direction == "to QuickBooks"

        # 2. QuickBooks -> CRM
        entries = [
            {"DefinitionId": ids["Account Number"], "StringValue": "ACC-7002"},
            {"DefinitionId": ids["Credit Limit"], "StringValue": "4000"},
            *[
                {"DefinitionId": e["DefinitionId"], "StringValue": {"Tier": "B", "Region": "South"}[e["Name"]]}
                for e in customer["CustomField"]
                if e["Name"] in ("Tier", "Region")
            ],
        ]
        s.qbo.update("Customer", {"Id": qbo_id, "SyncToken": customer["SyncToken"], "CustomField": entries})
        await s.run_once()
        pulled = await last_job(s, Source.ACCOUNTING, account)
        assert pulled.link_status is LinkStatus.SUCCESS, pulled.error_description
        row = s.dv.get_row("accounts", account)
        assert row is not None
        assert (row["accountnumber"], float(row["creditlimit"]), row["new_customertier"], row["new_region"]) == (
            "ACC-7002",
            4000.0,
            SILVER,
            "South",
        )
        back = {f.qbo: f for f in applied_fields(pulled.payload) if f.custom}
        assert (back["CustomField:Tier"].qbo_value, back["CustomField:Tier"].crm_value) == ("B", SILVER)
        assert back["CustomField:Account Number"].direction == "to CRM"

        # 3. both sides change the Region: CRM wins (the default Deadlock Win)
        s.dv.update_row("accounts", account, {"new_region": "East"}, user_id=crm_user(s))
        customer = s.qbo.get("Customer", qbo_id)
        region = next(e["DefinitionId"] for e in customer["CustomField"] if e["Name"] == "Region")
        s.qbo.update(
            "Customer",
            {
                "Id": qbo_id,
                "SyncToken": customer["SyncToken"],
                "CustomField": [{"DefinitionId": region, "StringValue": "West"}],
            },
        )
        await s.run_once()
        assert fields(s.qbo.get("Customer", qbo_id))["Region"] == "East"
        assert s.dv.get_row("accounts", account)["new_region"] == "East"  # type: ignore[index]
        settled = [j for j in await s.jobs() if j.id > pulled.id and conflict_of(j.payload) is not None]
        assert settled, [(j.id, j.source, j.link_status, j.payload) for j in await s.jobs() if j.id > pulled.id]
        conflict = conflict_of(settled[-1].payload)
        assert conflict is not None and conflict.winner == "CRM"
        region_field = next(f for f in conflict.fields if f.field == "CustomField:Region")
        assert (region_field.losing, region_field.winning) == ("West", "East")

        # 4. what was written comes back as an echo: nothing more to do
        before = len(await s.jobs())
        await s.run_once()
        after = await s.jobs()
        assert [j for j in after[before:] if j.entity_type is EntityType.ACCOUNT] == []

        # 5. a product created from QuickBooks gets its Unit Group and Default Unit
        income = next(a for a in s.qbo.all("Account") if a.get("AccountType") == "Income")
        item = s.qbo.create(
            "Item", {"Name": "Custom Mapping Widget", "Type": "Service", "IncomeAccountRef": {"value": income["Id"]}}
        )
        await s.run_once()
        created = [j for j in await s.jobs() if j.accounting_id == item["Id"] and j.entity_type is EntityType.PRODUCT]
        assert created and created[-1].link_status is LinkStatus.SUCCESS, created and created[-1].error_description
        product = s.dv.get_row("products", str(created[-1].crm_record_id))
        group = next(g for g in s.dv.rows("uomschedules") if g["name"] == "Default Unit")
        unit = next(u for u in s.dv.rows("uoms") if u["name"] == "Primary Unit")
        assert product is not None
        assert (product["_defaultuomscheduleid_value"], product["_defaultuomid_value"]) == (
            group["uomscheduleid"],
            unit["uomid"],
        )
