"""Conformance: Dataverse column rules on writes, one documented behaviour per test, over HTTP with httpx.

Sources: the table reference pages (https://learn.microsoft.com/power-apps/developer/data-platform/reference/
entities/<table>) for lengths, ranges, options and required levels; the reference notes §14 for error shapes;
inolink_tui/sandbox/dataverse/RULES.md lists each rule with its source and is checked here against the
metadata the sandbox serves.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.sandbox.dataverse.org import Org, label, served_org

RULES = Path(__file__).parents[3] / "inolink_tui" / "sandbox" / "dataverse" / "RULES.md"
ENTITY_REFERENCE = "https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/"


@pytest.fixture
async def org() -> AsyncIterator[Org]:
    async with served_org(bare=False) as served:
        yield served


@pytest.fixture
async def bare() -> AsyncIterator[Org]:
    async with served_org(bare=True) as served:
        yield served


def _documented_limits() -> list[tuple[str, str, str, str]]:
    """(table, column, type, limit) rows of RULES.md's limits table (one row per column)."""
    rows = []
    for line in RULES.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[0] in ("Table", "---") or not re.match(r"^[a-z /]+$", cells[0]):
            continue
        tables = [t.strip() for t in cells[0].split("/")]
        columns = [c.strip() for c in cells[1].split(",")]
        if len(columns) == 1 and "/" in columns[0]:
            columns = [c.strip() for c in columns[0].split("/")]
            pairs = list(zip(tables, columns, strict=True))
        else:
            pairs = [(t, c) for t in tables for c in columns]
        rows += [(t, c, cells[2], cells[3]) for t, c in pairs]
    return rows


LIMITS = _documented_limits()


def test_rules_file_lists_the_engine_columns() -> None:
    # The reference file is the list the next person checks; it must not be empty or lose the main columns.
    listed = {(t, c) for t, c, _, _ in LIMITS}
    assert {("account", "name"), ("account", "telephone1"), ("product", "productnumber")} <= listed
    assert len(LIMITS) >= 30


@pytest.mark.parametrize(("table", "column", "kind", "limit"), LIMITS, ids=[f"{t}.{c}" for t, c, _, _ in LIMITS])
async def test_metadata_serves_the_documented_limit(org: Org, table: str, column: str, kind: str, limit: str) -> None:
    # ENTITY_REFERENCE + table: MaxLength / MinValue / MaxValue / options as the reference lists them, served by
    # EntityDefinitions(..)/Attributes (one source of truth with the write checks).
    url = f"EntityDefinitions(LogicalName='{table}')/Attributes(LogicalName='{column}')"
    if kind.startswith("Picklist"):
        url += "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=OptionSet"
    attribute = (await org.get(url)).json()
    if kind.startswith(("String", "Memo")):
        assert attribute["MaxLength"] == int(limit)
        assert attribute["AttributeType"] == kind.split()[0]
        if "(" in kind:
            assert attribute["FormatName"]["Value"] == kind.split("(")[1].rstrip(")")
    elif kind in ("Money", "Decimal"):
        low, high = (float(x) for x in limit.split(".."))
        assert (attribute["MinValue"], attribute["MaxValue"]) == (low, high)
    else:
        values = {o["Value"] for o in attribute["OptionSet"]["Options"]}
        assert values == {int(v) for v in limit.split(",")}


async def test_string_longer_than_max_length(org: Org) -> None:
    # ENTITY_REFERENCE account: Name MaxLength 160; reference notes §14: 400 0x80044331 and this message.
    account = await org.first_id("accounts", "accountid")
    assert (await org.patch(f"accounts({account})", {"name": "n" * 160})).status_code == 204
    refused = await org.patch(f"accounts({account})", {"name": "n" * 161})
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "0x80044331",
        "message": "A validation error occurred.  The length of the 'name' attribute of the 'account' entity exceeded "
        "the maximum allowed length of '160'.",
    }


@pytest.mark.parametrize(("column", "limit"), [("telephone1", 50), ("emailaddress1", 100), ("websiteurl", 200)])
async def test_phone_email_and_url_lengths(org: Org, column: str, limit: int) -> None:
    # ENTITY_REFERENCE account: Telephone1 50, EMailAddress1 100, WebSiteURL 200, on create as on update.
    assert (await org.post("accounts", {"name": "ok", column: "1" * limit})).status_code == 204
    refused = await org.post("accounts", {"name": "too long", column: "1" * (limit + 1)})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "0x80044331"
    assert f"maximum allowed length of '{limit}'" in refused.json()["error"]["message"]


async def test_formats_are_not_checked_by_the_service(org: Org) -> None:
    # Learn "String formats": FormatName (Email, Url, Phone) is presentation; no server-side check documented.
    created = await org.post("accounts", {"name": "formats", "emailaddress1": "no at sign", "websiteurl": "x"})
    assert created.status_code == 204


async def test_business_required_is_not_enforced_by_the_api(org: Org) -> None:
    # ENTITY_REFERENCE account: Name RequiredLevel ApplicationRequired, which forms enforce, not the Web API.
    assert (await org.post("accounts", {"telephone1": "1"})).status_code == 204


async def test_system_required_column_on_create(org: Org) -> None:
    # ENTITY_REFERENCE product: ProductNumber RequiredLevel SystemRequired (the platform requires a value);
    # reference/web-service-error-codes: 0x80040200 RequiredFieldMissing "Required field missing."
    refused = await org.post("products", {"name": "No number"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "0x80040200"
    assert refused.json()["error"]["message"].startswith("Required field missing.")
    assert "'productnumber'" in refused.json()["error"]["message"]
    assert (await org.post("products", {"name": "Numbered", "productnumber": "P-1"})).status_code == 204


async def test_product_ids_are_unique_without_an_alternate_key(bare: Org) -> None:
    # reference/web-service-error-codes: 0x80043B06 ProductProductNumberExists "The specified product ID conflicts
    # with the product ID of an existing record." (a stock org has no alternate key on productnumber).
    assert (await bare.post("products", {"name": "One", "productnumber": "SKU-9"})).status_code == 204
    clash = await bare.post("products", {"name": "Two", "productnumber": "sku-9"})
    assert clash.status_code == 400 and clash.json()["error"]["code"] == "0x80043B06"
    other = Org.created_id(await bare.post("products", {"name": "Three", "productnumber": "SKU-10"}))
    moved = await bare.patch(f"products({other})", {"productnumber": "SKU-9"})
    assert moved.status_code == 400 and moved.json()["error"]["code"] == "0x80043B06"
    assert (await bare.patch(f"products({other})", {"productnumber": "SKU-10", "name": "Three"})).status_code == 204


async def test_system_numbered_columns_are_filled(org: Org) -> None:
    # ENTITY_REFERENCE salesorder: OrderNumber SystemRequired, shown "for customer reference", not modifiable;
    # a create without one gets a number from the platform.
    account = await org.first_id("accounts", "accountid")
    created = Org.created_id(
        await org.post("salesorders", {"name": "Order", "customerid_account@odata.bind": f"/accounts({account})"})
    )
    number = (await org.get(f"salesorders({created})?$select=ordernumber")).json()["ordernumber"]
    assert number.startswith("ORD-")


async def test_choice_value_that_does_not_exist(org: Org) -> None:
    # ENTITY_REFERENCE product: ProductTypeCode options 1-4; another value is a validation error.
    product = await org.first_id("products", "productid")
    assert (await org.patch(f"products({product})", {"producttypecode": 4})).status_code == 204
    refused = await org.patch(f"products({product})", {"producttypecode": 5})
    # reference/web-service-error-codes: 0x8004431A PicklistValueOutOfRange
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "0x8004431A"
    assert "is outside the valid range" in refused.json()["error"]["message"]


@pytest.mark.parametrize(("column", "bad"), [("price", -1), ("standardcost", 1e13), ("quantityonhand", 2e9)])
async def test_numbers_outside_min_and_max(org: Org, column: str, bad: float) -> None:
    # ENTITY_REFERENCE product: Price / StandardCost MinValue 0 MaxValue 1000000000000; QuantityOnHand 0..1e9.
    product = await org.first_id("products", "productid")
    refused = await org.patch(f"products({product})", {column: bad})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "0x80044331"
    assert (await org.patch(f"products({product})", {column: 10})).status_code == 204


async def test_wrong_json_type(org: Org) -> None:
    # reference notes §14: a value of the wrong type is a payload error, 0x80048d19.
    account = await org.first_id("accounts", "accountid")
    refused = await org.patch(f"accounts({account})", {"name": 5})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "0x80048d19"


async def test_inolink_columns_have_the_setup_lengths(org: Org) -> None:
    # The prepared org's ino_ columns are what `crm setup` creates (ino_accountingid MaxLength 50) and their
    # choices accept only their options.
    account = await org.first_id("accounts", "accountid")
    assert (await org.patch(f"accounts({account})", {"ino_accountingid": "9" * 50})).status_code == 204
    assert (await org.patch(f"accounts({account})", {"ino_accountingid": "9" * 51})).status_code == 400
    assert (await org.patch(f"accounts({account})", {"ino_linkstatus": 42})).status_code == 400


async def test_created_columns_get_the_rules_they_were_created_with(bare: Org) -> None:
    # webapi/create-update-column-definitions-using-web-api: MaxLength, MinValue / MaxValue of new columns.
    publisher = {
        "uniquename": "p",
        "friendlyname": "P",
        "customizationprefix": "ino",
        "customizationoptionvalueprefix": 10000,
    }
    assert (await bare.post("publishers", publisher)).status_code == 204
    account = "EntityDefinitions(LogicalName='account')/Attributes"
    text = {"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "ino_Ref", "MaxLength": 10}
    number = {
        "@odata.type": "Microsoft.Dynamics.CRM.IntegerAttributeMetadata",
        "SchemaName": "ino_Count",
        "MinValue": 0,
        "MaxValue": 5,
        "DisplayName": label("Count"),
    }
    assert (await bare.post(account, text)).status_code == 204
    assert (await bare.post(account, number)).status_code == 204
    row = await bare.first_id("accounts", "accountid")
    assert (await bare.patch(f"accounts({row})", {"ino_ref": "x" * 10, "ino_count": 5})).status_code == 204
    assert (await bare.patch(f"accounts({row})", {"ino_ref": "x" * 11})).status_code == 400
    assert (await bare.patch(f"accounts({row})", {"ino_count": 6})).status_code == 400


async def test_insert_option_value_extends_a_choice(bare: Org) -> None:
    # InsertOptionValue action: a new option (NewOptionValue) that writes then accept.
    publisher = {
        "uniquename": "p",
        "friendlyname": "P",
        "customizationprefix": "ino",
        "customizationoptionvalueprefix": 10000,
    }
    assert (await bare.post("publishers", publisher)).status_code == 204
    choice = {
        "@odata.type": "Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
        "SchemaName": "ino_LinkStatus",
        "OptionSet": {"Options": [{"Value": 100000000, "Label": label("To be Linked")}]},
    }
    assert (await bare.post("EntityDefinitions(LogicalName='account')/Attributes", choice)).status_code == 204
    row = await bare.first_id("accounts", "accountid")
    refused = await bare.patch(f"accounts({row})", {"ino_linkstatus": 100000001})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "0x8004431A"
    body = {"EntityLogicalName": "account", "AttributeLogicalName": "ino_linkstatus", "Label": label("Linked")}
    answer = await bare.post("InsertOptionValue", body)
    assert answer.status_code == 200 and answer.json()["NewOptionValue"] == 100000001
    assert (await bare.patch(f"accounts({row})", {"ino_linkstatus": 100000001})).status_code == 204
    again = await bare.post("InsertOptionValue", {**body, "Value": 100000001})
    assert again.json()["error"]["code"] == "0x80044310"  # PicklistValueNotUnique
