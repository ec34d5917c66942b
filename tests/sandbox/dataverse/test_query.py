"""$select, $filter, $orderby, $top, $count, $expand, annotations and paging through the Web API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from tests.sandbox.dataverse.harness import API, Sandbox


async def _names(sb: Sandbox, query: str) -> list[str]:
    response = await sb.get(f"accounts?$select=name&{query}")
    assert response.status_code == 200, response.text
    return [row["name"] for row in response.json()["value"]]


@pytest.fixture
async def accounts(sb: Sandbox) -> Sandbox:
    for name, revenue, number in [
        ("Contoso", 100, "C-1"),
        ("Fabrikam", 300, "F-1"),
        ("O'Brien & Sons", 200, None),
        ("100% Juice", None, "J-1"),
        ("a_b", 50, None),
    ]:
        body: dict[str, Any] = {"name": name, "revenue": revenue}
        if number:
            body["accountnumber"] = number
        await sb.create("accounts", body)
    return sb


async def test_select_returns_only_selected_plus_key_and_etag(accounts: Sandbox) -> None:
    body = (await accounts.get("accounts?$select=name")).json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name)"
    assert all(set(row) == {"@odata.etag", "name", "accountid"} for row in body["value"])


async def test_unknown_select_column_is_400(accounts: Sandbox) -> None:
    response = await accounts.get("accounts?$select=nme")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Could not find a property named 'nme' on type 'Microsoft.Dynamics.CRM.account'."
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("$filter=name eq 'contoso'", ["Contoso"]),
        ("$filter=name eq 'O''Brien %26 Sons'", ["O'Brien & Sons"]),
        ("$filter=revenue gt 100&$orderby=revenue desc", ["Fabrikam", "O'Brien & Sons"]),
        ("$filter=revenue ge 100 and revenue le 200&$orderby=name", ["Contoso", "O'Brien & Sons"]),
        ("$filter=revenue eq null", ["100% Juice"]),
        ("$filter=revenue ne null and not (revenue lt 100)&$orderby=name", ["Contoso", "Fabrikam", "O'Brien & Sons"]),
        ("$filter=startswith(name,'fab')", ["Fabrikam"]),
        ("$filter=endswith(name,'SONS')", ["O'Brien & Sons"]),
        ("$filter=contains(name,'ri')&$orderby=name", ["Fabrikam", "O'Brien & Sons"]),
        ("$filter=accountnumber eq 'c-1' or accountnumber eq 'j-1'&$orderby=name", ["100% Juice", "Contoso"]),
        ("$orderby=revenue asc,name&$top=2", ["100% Juice", "a_b"]),
    ],
)
async def test_filters(accounts: Sandbox, query: str, expected: list[str]) -> None:
    names = await _names(accounts, query)
    if "$orderby" in query:
        assert names == expected
    else:
        assert sorted(names) == sorted(expected)


async def test_like_wildcards_in_contains_act_as_sql_like(accounts: Sandbox) -> None:
    # '%' matches any run, '_' one character, [..] a class: exactly what the real service does.
    assert sorted(await _names(accounts, "$filter=contains(name,'" + quote("%") + "')")) == sorted(
        ["Contoso", "Fabrikam", "O'Brien & Sons", "100% Juice", "a_b"]
    )
    assert await _names(accounts, "$filter=startswith(name,'a_')") == ["a_b"]
    assert await _names(accounts, "$filter=startswith(name,'[cf]on')") == ["Contoso"]
    assert sorted(await _names(accounts, "$filter=startswith(name,'[^cf]')")) == ["100% Juice", "O'Brien & Sons", "a_b"]
    assert await _names(accounts, "$filter=name eq 'a_b'") == ["a_b"]  # eq takes no wildcards
    assert await _names(accounts, "$filter=name eq 'a%b'") == []


async def test_datetime_and_guid_filters(accounts: Sandbox) -> None:
    rows = accounts.state.rows("accounts")
    target = rows[0]
    assert await _names(accounts, f"$filter=accountid eq {target['accountid'].upper()}") == [target["name"]]
    assert await _names(accounts, f"$filter=accountid eq '{target['accountid']}'") == [target["name"]]
    assert len(await _names(accounts, "$filter=createdon gt 2000-01-01T00:00:00Z")) == 5
    assert await _names(accounts, "$filter=createdon lt 2000-01-01") == []
    future = "2999-01-01T00:00:00" + quote("+") + "01:00"
    assert len(await _names(accounts, f"$filter=modifiedon le {future}")) == 5


async def test_type_mismatch_and_syntax_errors_are_400(accounts: Sandbox) -> None:
    response = await accounts.get("accounts?$filter=name eq 5")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "A binary operator with incompatible types was detected. Found operand types 'Edm.String' and "
        "'Edm.Int32' for operator kind 'Equal'."
    )
    response = await accounts.get("accounts?$filter=name eq 'x")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "There is an unterminated literal at position 8 in 'name eq 'x'."
    response = await accounts.get("accounts?$filter=nope eq 1")
    assert "Could not find a property named 'nope'" in response.text


async def test_skip_is_rejected(accounts: Sandbox) -> None:
    response = await accounts.get("accounts?$skip=1")
    assert response.status_code == 400
    assert "$skip" in response.json()["error"]["message"]


async def test_count_and_count_cap(sb: Sandbox) -> None:
    for i in range(3):
        await sb.create("accounts", {"name": f"n{i}"})
    body = (await sb.get("accounts?$select=name&$count=true&$top=1")).json()
    assert body["@odata.count"] == 3 and len(body["value"]) == 1
    assert (await sb.get("accounts/$count")).text == "3"
    table = sb.state.table("accounts")
    for i in range(5001):
        sb.state.insert(table, {"name": f"bulk{i}"})
    body = (await sb.get("accounts?$select=name&$count=true&$top=1")).json()
    assert body["@odata.count"] == 5000
    assert "@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded" not in body  # only with the preference
    prefer = 'odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"'
    body = (await sb.get("accounts?$select=name&$count=true&$top=1", Prefer=prefer)).json()
    assert body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] is True


async def test_lookup_traversal_and_expand(sb: Sandbox) -> None:
    contact = await sb.create("contacts", {"firstname": "Ada", "lastname": "Lovelace"})
    await sb.create("accounts", {"name": "With", "primarycontactid@odata.bind": f"/contacts({contact})"})
    await sb.create("accounts", {"name": "Without"})
    assert await _names(sb, "$filter=primarycontactid/fullname eq 'ada lovelace'") == ["With"]
    body = (await sb.get("accounts?$select=name&$expand=primarycontactid($select=fullname)&$orderby=name")).json()
    assert body["value"][0]["primarycontactid"]["fullname"] == "Ada Lovelace"
    assert body["value"][1]["primarycontactid"] is None
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name,primarycontactid(fullname))"


async def test_expand_collection_of_detail_lines(sb: Sandbox) -> None:
    order = await sb.create("salesorders", {"name": "SO"})
    for n in (2, 1):
        await sb.create(
            "salesorderdetails",
            {"lineitemnumber": n, "quantity": n, "salesorderid@odata.bind": f"/salesorders({order})"},
        )
    body = (
        await sb.get(
            f"salesorders({order})?$select=name&$expand=order_details($select=lineitemnumber;$orderby=lineitemnumber)"
        )
    ).json()
    assert [line["lineitemnumber"] for line in body["order_details"]] == [1, 2]
    related = (await sb.get(f"salesorders({order})/order_details?$select=quantity")).json()
    assert len(related["value"]) == 2


async def test_formatted_values_and_lookup_annotations(sb: Sandbox) -> None:
    contact = await sb.create("contacts", {"firstname": "Ada", "lastname": "L"})
    await sb.create(
        "accounts",
        {
            "name": "A",
            "revenue": 10000,
            "ino_linkstatus": 100000000,
            "primarycontactid@odata.bind": f"/contacts({contact})",
        },
    )
    response = await sb.get(
        "accounts?$select=name,revenue,ino_linkstatus,_primarycontactid_value",
        Prefer='odata.include-annotations="*"',
    )
    assert response.headers["Preference-Applied"] == 'odata.include-annotations="*"'
    row = response.json()["value"][0]
    formatted = "@OData.Community.Display.V1.FormattedValue"
    assert row["ino_linkstatus"] == 100000000
    assert row["ino_linkstatus" + formatted] == "To be Linked"
    assert row["revenue" + formatted] == "$10,000.00"
    assert row["_primarycontactid_value" + formatted] == "Ada L"
    assert row["_primarycontactid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "contact"
    assert row["_primarycontactid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] == "primarycontactid"
    only_formatted = await sb.get(
        "accounts?$select=ino_linkstatus,_primarycontactid_value",
        Prefer='odata.include-annotations="OData.Community.Display.V1.FormattedValue"',
    )
    keys = set(only_formatted.json()["value"][0])
    assert "ino_linkstatus" + formatted in keys
    assert not any("lookuplogicalname" in k for k in keys)
    plain = (await sb.get("accounts?$select=ino_linkstatus")).json()["value"][0]
    assert not any("@OData" in k for k in plain)


async def test_paging_with_maxpagesize_follows_opaque_links(sb: Sandbox) -> None:
    table = sb.state.table("contacts")
    for i in range(7):
        sb.state.insert(table, {"lastname": f"L{i}"})
    url = f"{API}/contacts?$select=lastname&$orderby=lastname desc&$top=1"
    seen: list[str] = []
    pages = 0
    while url and pages < 10:
        response = await sb.client.get(url, headers=sb.headers(Prefer="odata.maxpagesize=3"))
        assert response.headers["Preference-Applied"] == "odata.maxpagesize=3"
        body = response.json()
        seen += [row["lastname"] for row in body["value"]]
        url = body.get("@odata.nextLink", "")
        if url:
            assert "$skiptoken=" in url and "$top=1" in url  # $top is ignored alongside maxpagesize
        pages += 1
    assert pages == 3
    assert seen == [f"L{i}" for i in range(6, -1, -1)]


async def test_paging_survives_inserts_and_deletes_between_pages(sb: Sandbox) -> None:
    table = sb.state.table("contacts")
    for i in range(4):
        sb.state.insert(table, {"lastname": f"L{i}"})
    first = (await sb.get("contacts?$select=lastname&$orderby=lastname", Prefer="odata.maxpagesize=2")).json()
    assert [r["lastname"] for r in first["value"]] == ["L0", "L1"]
    sb.state.delete(table, sb.state.row_map("contacts")[first["value"][1]["contactid"]])
    sb.state.insert(table, {"lastname": "L0a"})  # sorts before the resume point: not repeated
    second = (await sb.client.get(first["@odata.nextLink"], headers=sb.headers(Prefer="odata.maxpagesize=2"))).json()
    assert [r["lastname"] for r in second["value"]] == ["L2", "L3"]
    assert "@odata.nextLink" not in second


async def test_tampered_skiptoken_is_400(sb: Sandbox) -> None:
    response = await sb.get("contacts?$skiptoken=" + quote("<cookie nonsense/>"))
    assert response.status_code == 400


async def test_number_bool_choice_and_lookup_filters(sb: Sandbox) -> None:
    contact = await sb.create("contacts", {"lastname": "C"})
    await sb.create(
        "accounts",
        {"name": "Money", "revenue": 1.1, "statecode": 1, "primarycontactid@odata.bind": f"/contacts({contact})"},
    )
    await sb.create("accounts", {"name": "Other", "revenue": 2})
    assert await _names(sb, "$filter=revenue eq 1.1") == ["Money"]
    assert await _names(sb, "$filter=revenue eq 2") == ["Other"]
    assert await _names(sb, "$filter=statecode eq 1") == ["Money"]
    assert await _names(sb, f"$filter=_primarycontactid_value eq {contact}") == ["Money"]
    assert await _names(sb, "$filter=_primarycontactid_value eq null") == ["Other"]
    sb.state.create_row("products", {"name": "P"})
    response = await sb.get("products?$select=name&$filter=statecode eq 'x'")
    assert response.status_code == 400
    bad_guid = await sb.get("accounts?$filter=_primarycontactid_value eq 'not-a-guid'")
    assert bad_guid.status_code == 400


async def test_dataverse_query_functions(accounts: Sandbox) -> None:
    fn = "Microsoft.Dynamics.CRM."
    assert sorted(
        await _names(accounts, f'$filter={fn}In(PropertyName=\'name\',PropertyValues=["contoso","FABRIKAM"])')
    ) == [
        "Contoso",
        "Fabrikam",
    ]
    assert len(await _names(accounts, f"$filter={fn}NotIn(PropertyName='name',PropertyValues=[\"Contoso\"])")) == 4
    assert sorted(
        await _names(accounts, f'$filter={fn}Between(PropertyName=\'revenue\',PropertyValues=["100","200"])')
    ) == [
        "Contoso",
        "O'Brien & Sons",
    ]
    # Null / NotNull are FetchXML operators, not Web API query functions (the Web API writes `revenue eq null`):
    # https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows lists none.
    assert (await accounts.get(f"accounts?$filter={fn}Null(PropertyName='revenue')")).status_code == 400
    assert await _names(accounts, "$filter=revenue eq null") == ["100% Juice"]
    unknown = await accounts.get(f"accounts?$filter={fn}LastXCenturies(PropertyName='createdon',PropertyValue=1)")
    assert unknown.status_code == 400
    bad = await accounts.get(f"accounts?$filter={fn}In(PropertyName='nope',PropertyValues=[\"x\"])")
    assert "Could not find a property named 'nope'" in bad.text


async def test_entity_definitions_lookup_and_change_tracking_filter(sb: Sandbox) -> None:
    one = await sb.get(
        "EntityDefinitions(LogicalName='salesorder')?$select=EntitySetName,PrimaryIdAttribute,LogicalName"
    )
    assert one.status_code == 200
    body = one.json()
    assert (body["EntitySetName"], body["PrimaryIdAttribute"], body["LogicalName"]) == (
        "salesorders",
        "salesorderid",
        "salesorder",
    )
    sb.state.set_change_tracking("quotes", False)
    listed = (
        await sb.get("EntityDefinitions?$select=SchemaName,LogicalName&$filter=ChangeTrackingEnabled eq true")
    ).json()
    names = {row["LogicalName"] for row in listed["value"]}
    assert "account" in names and "ino_linkjob" in names and "quote" not in names
    assert (await sb.get("EntityDefinitions(LogicalName='nope')")).status_code == 404


async def test_query_function_inside_a_lambda_names_the_items_column(sb: Sandbox) -> None:
    # Inferred, not documented: a lambda runs as a link-entity filter, so PropertyName names the item's column.
    acme = await sb.create("accounts", {"name": "Acme"})
    await sb.create("accounts", {"name": "Bolt"})
    await sb.create(
        "contacts", {"lastname": "X", "jobtitle": "Buyer", "parentcustomerid_account@odata.bind": f"/accounts({acme})"}
    )
    fn = "Microsoft.Dynamics.CRM."
    inside = f"contact_customer_accounts/any(c:{fn}In(PropertyName='jobtitle',PropertyValues=[\"buyer\"]))"
    assert await _names(sb, f"$filter={inside}") == ["Acme"]
    assert (await sb.get("accounts?$filter=contact_customer_accounts/any(c:c eq null)")).status_code == 400
