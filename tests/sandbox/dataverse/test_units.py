"""Unit Groups and Units (Microsoft Learn, UoMSchedule / UoM / Product table references): the org's "Default Unit"
group and "Primary Unit", a product bound to them, and a product created without them (ApplicationRequired: the Web
API accepts it)."""

from __future__ import annotations

from tests.sandbox.dataverse.harness import Sandbox


async def test_the_default_unit_group_and_its_unit_are_listed(sb: Sandbox) -> None:
    groups = (await sb.get("uomschedules?$select=name,baseuomname&$filter=name eq 'Default Unit'")).json()["value"]
    assert [(g["name"], g["baseuomname"]) for g in groups] == [("Default Unit", "Primary Unit")]
    group_id = groups[0]["uomscheduleid"]
    units = (await sb.get(f"uoms?$select=name&$filter=_uomscheduleid_value eq {group_id}")).json()["value"]
    assert [u["name"] for u in units] == ["Primary Unit"]


async def test_a_product_binds_its_unit_group_and_default_unit(sb: Sandbox) -> None:
    group = (await sb.get("uomschedules?$filter=name eq 'Default Unit'")).json()["value"][0]["uomscheduleid"]
    unit = (await sb.get("uoms?$filter=name eq 'Primary Unit'")).json()["value"][0]["uomid"]
    body = {
        "name": "Widget",
        "productnumber": "W-1",
        "defaultuomscheduleid@odata.bind": f"/uomschedules({group})",
        "defaultuomid@odata.bind": f"/uoms({unit})",
    }
    product = await sb.create("products", body)
    row = (await sb.get(f"products({product})?$select=_defaultuomscheduleid_value,_defaultuomid_value")).json()
    assert (row["_defaultuomscheduleid_value"], row["_defaultuomid_value"]) == (group, unit)
    bare = await sb.post("products", {"name": "Gadget", "productnumber": "G-1"})
    assert bare.status_code == 204  # ApplicationRequired is not enforced by the Web API
