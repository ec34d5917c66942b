"""Custom fields on both sides of the seeded sandbox (issue 17 item 5), over HTTP, one sandbox for the module.

QuickBooks: "Manage custom fields" (developer.intuit.com/app/developer/qbo/docs/workflows/create-custom-fields):
the sales-form fields are defined in Preferences.SalesFormsPrefs.CustomField and written on sales forms by
DefinitionId; "Develop using the Custom Fields API" (.../create-custom-fields/develop-custom-fields): definitions
are read with appFoundationsCustomFieldDefinitions and Customer / Vendor carry CustomField.DefinitionId.
Dataverse: custom columns appear in EntityDefinitions(..)/Attributes with their type, MaxLength and options
(learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api) and rows are refused
values that break them (values.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox
from inolink_tui.sandbox.quickbooks.custom_fields import STRING_VALUE_MAX
from tests.sandbox.conftest import BASE, Qbo, QboLimits, make_sandbox, qbo_for


@pytest.fixture(scope="module")
def shared() -> Sandbox:
    return make_sandbox(records=2, qbo_limits=QboLimits(requests_per_minute=0, requests_per_second=0))


@pytest.fixture
async def client(shared: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shared.asgi), base_url=BASE) as http:
        yield http


@pytest.fixture
async def q(shared: Sandbox, client: httpx.AsyncClient) -> Qbo:
    return qbo_for(shared, client)


async def _definitions(q: Qbo) -> list[dict[str, Any]]:
    query = "query { appFoundationsCustomFieldDefinitions { edges { node { id legacyIDV2 label dataType active } } } }"
    answer = await q.http.post("/graphql", json={"query": query}, headers=q.headers)
    assert answer.status_code == 200, answer.text
    return [edge["node"] for edge in answer.json()["data"]["appFoundationsCustomFieldDefinitions"]["edges"]]


def _fault(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    error: dict[str, Any] = response.json()["Fault"]["Error"][0]
    return error


async def _customer(q: Qbo, name: str, custom: list[dict[str, Any]]) -> httpx.Response:
    return await q.post("customer", {"DisplayName": name, "CustomField": custom})


async def test_preferences_define_the_sales_form_field(q: Qbo) -> None:
    prefs = (await q.get("preferences")).json()["Preferences"]
    groups = prefs["SalesFormsPrefs"]["CustomField"]
    flat = {e["Name"]: e.get("BooleanValue", e.get("StringValue")) for g in groups for e in g["CustomField"]}
    assert flat["SalesFormsPrefs.UseSalesCustom1"] is True and flat["SalesFormsPrefs.SalesCustomName1"] == "Sales Rep"
    assert flat["SalesFormsPrefs.UseSalesCustom2"] is False


async def test_invoice_carries_the_sales_form_field_by_definition_id(q: Qbo, shared: Sandbox) -> None:
    customer = next(iter(shared.qbo.records["Customer"].values()))
    item = next(i for i in shared.qbo.records["Item"].values() if i.get("Type") == "Service")
    line = {
        "Amount": 10,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}},
    }
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [line]}
    ok = await q.post("invoice", {**body, "CustomField": [{"DefinitionId": "1", "StringValue": "Dana"}]})
    assert ok.status_code == 200, ok.text
    assert ok.json()["Invoice"]["CustomField"] == [
        {"DefinitionId": "1", "Name": "Sales Rep", "Type": "StringType", "StringValue": "Dana"}
    ]
    switched_off = await q.post("invoice", {**body, "CustomField": [{"DefinitionId": "2", "StringValue": "x"}]})
    assert _fault(switched_off)["code"] == "3000"


async def test_graphql_lists_the_customer_definitions(q: Qbo) -> None:
    nodes = await _definitions(q)
    assert {(n["label"], n["dataType"], n["active"]) for n in nodes} >= {
        ("Region", "STRING", True),
        ("Tier", "STRING", True),
    }
    assert all(n["legacyIDV2"].isdigit() for n in nodes)


async def test_graphql_needs_the_access_token(q: Qbo) -> None:
    answer = await q.http.post(
        "/graphql", json={"query": "query { appFoundationsCustomFieldDefinitions { edges { node { id } } } }"}
    )
    assert answer.status_code == 401


async def test_customer_custom_field_round_trip_and_merge(q: Qbo) -> None:
    ids = {n["label"]: n["legacyIDV2"] for n in await _definitions(q)}
    created = await _customer(q, "Custom Fields Ltd", [{"DefinitionId": ids["Region"], "StringValue": "North"}])
    assert created.status_code == 200, created.text
    customer = created.json()["Customer"]
    assert customer["CustomField"] == [
        {"DefinitionId": ids["Region"], "Name": "Region", "Type": "StringType", "StringValue": "North"}
    ]
    sparse = {"Id": customer["Id"], "SyncToken": customer["SyncToken"], "sparse": True}
    updated = await q.post(
        "customer", {**sparse, "CustomField": [{"DefinitionId": ids["Tier"], "StringValue": "Gold"}]}
    )
    assert updated.status_code == 200, updated.text
    values = {e["Name"]: e["StringValue"] for e in updated.json()["Customer"]["CustomField"]}
    assert values == {"Region": "North", "Tier": "Gold"}
    token = updated.json()["Customer"]["SyncToken"]
    renamed = await q.post(
        "customer", {"Id": customer["Id"], "SyncToken": token, "sparse": True, "DisplayName": "Custom Fields Ltd 2"}
    )
    assert renamed.status_code == 200, renamed.text
    assert {e["Name"] for e in renamed.json()["Customer"]["CustomField"]} == {"Region", "Tier"}
    # get-started: the values come back on a read only with include=enhancedAllCustomFields
    read = (await q.get(f"customer/{customer['Id']}", include="enhancedAllCustomFields")).json()["Customer"]
    assert {e["Name"]: e["StringValue"] for e in read["CustomField"]} == {"Region": "North", "Tier": "Gold"}
    plain = (await q.get(f"customer/{customer['Id']}")).json()["Customer"]
    assert "CustomField" not in plain and plain["DisplayName"] == "Custom Fields Ltd 2"


async def test_customer_custom_field_refusals(q: Qbo) -> None:
    ids = {n["label"]: n["legacyIDV2"] for n in await _definitions(q)}
    too_long = "x" * (STRING_VALUE_MAX + 1)
    long_fault = _fault(await _customer(q, "Too Long Co", [{"DefinitionId": ids["Region"], "StringValue": too_long}]))
    assert long_fault["code"] == "2050" and f"Max:{STRING_VALUE_MAX}" in long_fault["Detail"]
    fits = await _customer(q, "Just Fits Co", [{"DefinitionId": ids["Region"], "StringValue": too_long[:-1]}])
    assert fits.status_code == 200, fits.text
    assert _fault(await _customer(q, "Unknown Def Co", [{"DefinitionId": "999", "StringValue": "a"}]))["code"] == "3000"
    # a sales-form definition id is not a customer's
    assert _fault(await _customer(q, "Sales Def Co", [{"DefinitionId": "1", "StringValue": "a"}]))["code"] == "3000"
    assert _fault(await _customer(q, "No Def Co", [{"StringValue": "a"}]))["code"] == "2020"
    assert (await q.query("select * from Customer where DisplayName = 'Too Long Co'")).json()["QueryResponse"] == {}


async def test_control_declares_a_definition(q: Qbo) -> None:
    answer = await q.http.post("/_sandbox/qbo/custom-fields", json={"label": "Segment"})
    assert answer.status_code == 200, answer.text
    assert any(n["label"] == "Segment" for n in await _definitions(q))
    again = await q.http.post("/_sandbox/qbo/custom-fields", json={"label": "segment"})
    assert again.status_code == 400


async def _crm_token(shared: Sandbox, http: httpx.AsyncClient) -> dict[str, str]:
    identity = shared.identity
    answer = await http.post(
        f"/{identity.crm_tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": identity.crm_client_id,
            "client_secret": identity.crm_client_secret,
            "scope": f"{BASE}/.default",
        },
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}", "Accept": "application/json"}


async def test_crm_custom_columns_in_the_metadata_and_enforced(shared: Sandbox, client: httpx.AsyncClient) -> None:
    headers = await _crm_token(shared, client)
    api = "/api/data/v9.2"
    region = await client.get(
        f"{api}/EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_region')", headers=headers
    )
    assert region.status_code == 200, region.text
    assert region.json()["MaxLength"] == 31 and region.json()["IsCustomAttribute"] is True
    tier = await client.get(
        f"{api}/EntityDefinitions(LogicalName='account')/Attributes(LogicalName='new_customertier')"
        "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=OptionSet",
        headers=headers,
    )
    assert tier.status_code == 200, tier.text
    labels = {o["Value"]: o["Label"]["UserLocalizedLabel"]["Label"] for o in tier.json()["OptionSet"]["Options"]}
    assert labels == {100000000: "Gold", 100000001: "Silver", 100000002: "Bronze"}
    long = await client.post(f"{api}/accounts", json={"name": "Long Region", "new_region": "r" * 32}, headers=headers)
    assert long.status_code == 400 and "maximum allowed length of '31'" in long.text
    wrong = await client.post(f"{api}/accounts", json={"name": "Bad Tier", "new_customertier": 5}, headers=headers)
    assert wrong.status_code == 400 and "0x8004431A" in wrong.text
    good = {"name": "Good Custom", "new_region": "North", "new_customertier": 100000000}
    assert (await client.post(f"{api}/accounts", json=good, headers=headers)).status_code == 204
