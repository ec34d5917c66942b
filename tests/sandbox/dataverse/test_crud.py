"""Create, read, update, upsert, delete and the protocol headers on every response."""

from __future__ import annotations

import uuid

from tests.sandbox.dataverse.harness import API, ORG, Sandbox


async def test_create_answers_204_with_entity_id_and_protocol_headers(sb: Sandbox) -> None:
    response = await sb.post("accounts", {"name": "Contoso"})
    assert response.status_code == 204
    assert response.content == b""
    entity_id = response.headers["OData-EntityId"]
    assert entity_id.startswith(f"{API}/accounts(")
    assert response.headers["OData-Version"] == "4.0"
    assert uuid.UUID(response.headers["REQ_ID"])
    assert "x-ms-service-request-id" in response.headers
    assert response.headers["x-ms-ratelimit-burst-remaining-xrm-requests"].isdigit()
    assert (
        response.headers["x-ms-ratelimit-time-remaining-xrm-requests"].endswith(".00")
        or "," in response.headers["x-ms-ratelimit-time-remaining-xrm-requests"]
    )


async def test_create_with_representation_gives_201_body_and_preference_applied(sb: Sandbox) -> None:
    response = await sb.post(
        "accounts?$select=name,revenue", {"name": "Fabrikam", "revenue": 5000}, Prefer="return=representation"
    )
    assert response.status_code == 201
    assert response.headers["Preference-Applied"] == "return=representation"
    assert response.headers["content-type"] == "application/json; odata.metadata=minimal"
    body = response.json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name,revenue)/$entity"
    assert body["name"] == "Fabrikam" and body["revenue"] == 5000.0
    # Learn "Create with data returned": a selected money column brings `_transactioncurrencyid_value` along.
    assert set(body) == {
        "@odata.context",
        "@odata.etag",
        "name",
        "revenue",
        "accountid",
        "_transactioncurrencyid_value",
    }
    assert response.headers["ETag"] == body["@odata.etag"]


async def test_get_single_row_has_entity_context_etag_and_system_columns(sb: Sandbox) -> None:
    row_id = await sb.create("accounts", {"name": "A"})
    response = await sb.get(f"accounts({row_id})")
    assert response.status_code == 200
    body = response.json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts/$entity"
    assert body["accountid"] == row_id
    assert body["telephone1"] is None  # selected empty columns are null
    assert body["_modifiedby_value"] == sb.state.app_user_for(sb.entra.client_id)
    assert body["createdon"].endswith("Z") and len(body["createdon"]) == 20
    assert response.headers["ETag"] == body["@odata.etag"] == f'W/"{body["versionnumber"]}"'


async def test_missing_row_is_404_with_real_code_and_message(sb: Sandbox) -> None:
    missing = str(uuid.uuid4())
    response = await sb.get(f"accounts({missing})")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "0x80040217", "message": f"Entity 'account' With Id = {missing} Does Not Exist"}
    }
    assert response.headers["OData-Version"] == "4.0"
    assert "REQ_ID" in response.headers


async def test_error_annotations_are_added_on_request(sb: Sandbox) -> None:
    response = await sb.get(f"accounts({uuid.uuid4()})", Prefer='odata.include-annotations="*"')
    error = response.json()["error"]
    assert error["@Microsoft.PowerApps.CDS.ErrorDetails.ApiExceptionMessageName"] == "ObjectDoesNotExist"
    assert error["@Microsoft.PowerApps.CDS.ErrorDetails.ApiExceptionHttpStatusCode"] == "404"


async def test_unknown_entity_set_is_0x80060888(sb: Sandbox) -> None:
    response = await sb.get("widgets")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "0x80060888"
    assert "Resource not found for the segment 'widgets'" in response.json()["error"]["message"]


async def test_unknown_column_on_write_is_rejected_and_nothing_is_created(sb: Sandbox) -> None:
    response = await sb.post("accounts", {"name": "X", "nonsense": 1})
    assert response.status_code == 400
    assert "The property 'nonsense' does not exist on type 'Microsoft.Dynamics.CRM.account'" in response.text
    assert sb.state.rows("accounts") == []


async def test_wrong_type_and_too_long_values_are_rejected(sb: Sandbox) -> None:
    response = await sb.post("accounts", {"name": "X", "revenue": "lots"})
    assert response.status_code == 400
    assert "Cannot convert the literal 'lots' to the expected type 'Edm.Decimal'" in response.text
    response = await sb.post("accounts", {"name": "x" * 161})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "0x80044331"
    assert response.json()["error"]["message"].startswith("A validation error occurred.  The length of the 'name'")
    response = await sb.post("accounts", {"name": "x", "ino_linkstatus": 5})
    assert response.status_code == 400 and "outside the valid range" in response.text


async def test_writing_lookup_value_directly_is_refused(sb: Sandbox) -> None:
    response = await sb.post("contacts", {"lastname": "X", "_parentcustomerid_value": str(uuid.uuid4())})
    assert response.status_code == 400
    assert "Use Navigation properties instead" in response.text


async def test_bind_sets_lookup_and_is_case_sensitive(sb: Sandbox) -> None:
    account = await sb.create("accounts", {"name": "Parent"})
    contact = await sb.create(
        "contacts", {"lastname": "Kid", "parentcustomerid_account@odata.bind": f"/accounts({account})"}
    )
    assert sb.state.get_row("contacts", contact)["_parentcustomerid_value"] == account  # type: ignore[index]
    response = await sb.post(
        "contacts", {"lastname": "Kid", "ParentCustomerId_Account@odata.bind": f"/accounts({account})"}
    )
    assert response.status_code == 400
    assert "An undeclared property 'ParentCustomerId_Account'" in response.text
    response = await sb.post("contacts", {"lastname": "Kid", "parentcustomerid_account@odata.bind": "/widgets(1)"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "0x80060888"
    missing = str(uuid.uuid4())
    response = await sb.post(
        "contacts", {"lastname": "Kid", "parentcustomerid_account@odata.bind": f"{API}/accounts({missing})"}
    )
    assert response.status_code == 404
    response = await sb.patch(
        f"contacts({contact})", {"parentcustomerid_account@odata.bind": None}, **{"If-Match": "*"}
    )
    assert response.status_code == 204
    assert sb.state.get_row("contacts", contact)["_parentcustomerid_value"] is None  # type: ignore[index]


async def test_patch_without_if_match_upserts_and_with_star_is_update_only(sb: Sandbox) -> None:
    new_id = str(uuid.uuid4())
    response = await sb.patch(f"accounts({new_id})", {"name": "Upserted"})
    assert response.status_code == 204
    assert response.headers["OData-EntityId"] == f"{API}/accounts({new_id})"
    assert sb.state.get_row("accounts", new_id) is not None
    other = str(uuid.uuid4())
    response = await sb.patch(f"accounts({other})", {"name": "Nope"}, **{"If-Match": "*"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "0x80040217"
    assert sb.state.get_row("accounts", other) is None


async def test_upsert_with_representation_is_201_then_200(sb: Sandbox) -> None:
    row_id = str(uuid.uuid4())
    first = await sb.patch(f"accounts({row_id})", {"name": "One"}, Prefer="return=representation")
    second = await sb.patch(f"accounts({row_id})", {"name": "Two"}, Prefer="return=representation")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["name"] == "Two"
    assert first.headers["ETag"] != second.headers["ETag"]


async def test_stale_if_match_is_412_and_current_one_succeeds(sb: Sandbox) -> None:
    row_id = await sb.create("accounts", {"name": "A"})
    tag = (await sb.get(f"accounts({row_id})")).headers["ETag"]
    assert (await sb.patch(f"accounts({row_id})", {"name": "B"}, **{"If-Match": tag})).status_code == 204
    stale = await sb.patch(f"accounts({row_id})", {"name": "C"}, **{"If-Match": tag})
    assert stale.status_code == 412
    assert stale.json()["error"] == {
        "code": "0x80060882",
        "message": "The version of the existing record doesn't match the RowVersion property provided.",
    }
    assert sb.state.get_row("accounts", row_id)["name"] == "B"  # type: ignore[index]
    assert (await sb.delete(f"accounts({row_id})", **{"If-Match": tag})).status_code == 412


async def test_if_none_match_star_is_create_only(sb: Sandbox) -> None:
    row_id = str(uuid.uuid4())
    assert (await sb.patch(f"accounts({row_id})", {"name": "A"}, **{"If-None-Match": "*"})).status_code == 204
    again = await sb.patch(f"accounts({row_id})", {"name": "B"}, **{"If-None-Match": "*"})
    assert again.status_code == 412
    assert again.json()["error"] == {
        "code": "0x80040237",
        "message": "A record with matching key values already exists.",
    }


async def test_conditional_get_304_except_with_annotations_or_expand(sb: Sandbox) -> None:
    row_id = await sb.create("accounts", {"name": "A"})
    tag = (await sb.get(f"accounts({row_id})")).headers["ETag"]
    not_modified = await sb.get(f"accounts({row_id})", **{"If-None-Match": tag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert (await sb.get(f"accounts({row_id})", **{"If-None-Match": "null"})).status_code == 200
    annotated = await sb.get(f"accounts({row_id})", **{"If-None-Match": tag, "Prefer": 'odata.include-annotations="*"'})
    assert annotated.status_code == 200
    expanded = await sb.get(f"accounts({row_id})?$expand=primarycontactid", **{"If-None-Match": tag})
    assert expanded.status_code == 200
    await sb.patch(f"accounts({row_id})", {"name": "B"})
    assert (await sb.get(f"accounts({row_id})", **{"If-None-Match": tag})).status_code == 200


async def test_delete_is_204_then_404_and_cascades_detail_lines(sb: Sandbox) -> None:
    quote = await sb.create("quotes", {"name": "Q"})
    line = await sb.create("quotedetails", {"quantity": 1, "quoteid@odata.bind": f"/quotes({quote})"})
    assert (await sb.delete(f"quotes({quote})")).status_code == 204
    assert sb.state.get_row("quotedetails", line) is None
    assert (await sb.delete(f"quotes({quote})")).status_code == 404


async def test_version_numbers_rise_across_the_org(sb: Sandbox) -> None:
    a = await sb.create("accounts", {"name": "A"})
    c = await sb.create("contacts", {"lastname": "C"})
    va = sb.state.get_row("accounts", a)["versionnumber"]  # type: ignore[index]
    vc = sb.state.get_row("contacts", c)["versionnumber"]  # type: ignore[index]
    await sb.patch(f"accounts({a})", {"name": "A2"})
    assert va < vc < sb.state.get_row("accounts", a)["versionnumber"]  # type: ignore[index]


async def test_alternate_key_read_upsert_and_duplicate(sb: Sandbox) -> None:
    response = await sb.patch("accounts(accountnumber='A-1')", {"name": "Keyed"})
    assert response.status_code == 204
    assert response.headers["OData-EntityId"] == f"{API}/accounts(accountnumber='A-1')"
    rows = sb.state.rows("accounts")
    assert len(rows) == 1 and rows[0]["accountnumber"] == "A-1"
    got = await sb.get("accounts(accountnumber='A-1')?$select=name")
    assert got.json()["name"] == "Keyed"
    await sb.patch("accounts(accountnumber='A-1')", {"name": "Again"})
    assert len(sb.state.rows("accounts")) == 1
    duplicate = await sb.post("accounts", {"name": "Dup", "accountnumber": "a-1"})
    assert duplicate.status_code == 412 and duplicate.json()["error"]["code"] == "0x80060892"
    missing = await sb.get("accounts(accountnumber='nope')")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "0x80060891"
    quoted = await sb.patch("accounts(accountnumber='O''Neil')", {"name": "Q"})
    assert quoted.status_code == 204
    assert sb.state.find_by_key(sb.state.table("accounts"), {"accountnumber": "O'Neil"}) is not None


async def test_put_and_delete_single_column(sb: Sandbox) -> None:
    row_id = await sb.create("accounts", {"name": "A"})
    response = await sb.client.put(f"{API}/accounts({row_id})/telephone1", json={"value": "555"}, headers=sb.headers())
    assert response.status_code == 204
    got = await sb.get(f"accounts({row_id})/telephone1")
    assert got.json()["value"] == "555"
    assert (await sb.delete(f"accounts({row_id})/telephone1")).status_code == 204
    assert (await sb.get(f"accounts({row_id})/telephone1")).status_code == 204


async def test_whoami_returns_the_application_user(sb: Sandbox) -> None:
    body = (await sb.get("WhoAmI")).json()
    assert body["UserId"] == sb.state.app_user_for(sb.entra.client_id)
    assert body["BusinessUnitId"] == sb.state.business_unit_id
    assert body["OrganizationId"] == sb.state.organization_id
    user = sb.state.get_row("systemusers", body["UserId"])
    assert user is not None and user["applicationid"] == sb.entra.client_id


async def test_privilege_switch_gives_403_with_real_shape(sb: Sandbox) -> None:
    sb.state.deny("accounts", "Create")
    response = await sb.post("accounts", {"name": "A"})
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "0x80040220"
    assert "is missing prvCreateAccount privilege" in error["message"]
    assert error["message"].startswith("Principal user (Id=")
    assert "for entity 'account'" in error["message"]
    sb.state.allow("accounts", "Create")
    assert (await sb.post("accounts", {"name": "A"})).status_code == 204


async def test_duplicate_detection_only_when_asked(sb: Sandbox) -> None:
    await sb.create("accounts", {"name": "Same"})
    assert (await sb.post("accounts", {"name": "same"})).status_code == 204
    response = await sb.post("accounts", {"name": "SAME"}, **{"MSCRM.SuppressDuplicateDetection": "false"})
    assert response.status_code == 412 and response.json()["error"]["code"] == "0x80040333"


async def test_missing_expired_and_wrong_audience_tokens_get_401_challenge(sb: Sandbox) -> None:
    response = await sb.client.get(f"{API}/accounts")
    assert response.status_code == 401
    assert response.content == b""
    assert response.headers["OData-Version"] == "4.0"
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith(f"Bearer authorization_uri=https://dv.test/{sb.entra.tenant_id}/oauth2/authorize")
    assert challenge.endswith(f"resource_id={ORG}/")
    other = (await sb.fetch_token("http://other.test/.default")).json()["access_token"]
    wrong = await sb.client.get(f"{API}/accounts", headers={"Authorization": f"Bearer {other}"})
    assert wrong.status_code == 401
    sb.clock.advance(3600)
    expired = await sb.get("accounts")
    assert expired.status_code == 401


async def test_python_api_writes_are_stamped_and_validated(sb: Sandbox) -> None:
    row = sb.state.create_row("accounts", {"name": "Seeded", "ino_linkstatus": 100000000})
    assert row["_createdby_value"] == sb.state.system_user_id
    updated = sb.state.update_row("accounts", row["accountid"], {"name": "Renamed"}, user_id=sb.state.system_user_id)
    assert updated["versionnumber"] > row["versionnumber"]
    import pytest

    from inolink_tui.sandbox.dataverse.errors import DataverseError

    with pytest.raises(DataverseError):
        sb.state.create_row("accounts", {"bogus": 1})


async def test_non_finite_numbers_are_rejected(sb: Sandbox) -> None:
    response = await sb.client.post(
        f"{API}/accounts",
        content=b'{"name": "N", "revenue": NaN}',
        headers=sb.headers(**{"Content-Type": "application/json"}),
    )
    assert response.status_code == 400
    assert sb.state.rows("accounts") == []


async def test_malformed_json_body_is_400(sb: Sandbox) -> None:
    response = await sb.client.post(
        f"{API}/accounts", content=b'{"name": ', headers=sb.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "0x80048d19"
    response = await sb.client.post(f"{API}/accounts", content=b"[1]", headers=sb.headers())
    assert response.status_code == 400
