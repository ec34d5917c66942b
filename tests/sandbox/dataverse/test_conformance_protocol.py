"""Conformance: the Web API's protocol surface (auth challenge, headers, reads, writes, concurrency) as documented.

Related rows, navigation properties, $expand and query refinements are in test_conformance_relations.py.
One sandbox for the module; every test makes its own rows. Each test cites the page it is written from and
sends plain httpx requests (not our connectors). Reference notes = /work/shared/reference/dataverse-webapi.md.

CREATE = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api
UPDATE = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api
UPSERT = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
RETRIEVE = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api
COMPOSE = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors
ALTKEY = https://learn.microsoft.com/power-apps/developer/data-platform/use-alternate-key-reference-record
IMPERSONATE = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api
UPSERT_ROW = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api#upsert-a-table-row
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.sandbox.dataverse.harness import API, ORG, Sandbox, in_process

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON_MINIMAL = "application/json; odata.metadata=minimal"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sb() -> AsyncIterator[Sandbox]:
    async with in_process() as sandbox:
        yield sandbox


def _name() -> str:
    return f"proto {uuid.uuid4().hex[:8]}"


# ----- §15.5 / §2.6: bearer token challenge -----


async def test_401_challenge_carries_odata_version_and_the_resource(sb: Sandbox) -> None:
    # Reference §15 item 5 / §2.6 (third-party quotes): 401 + `WWW-Authenticate: Bearer authorization_uri=...,
    # resource_id=<org url>/`; §4: OData-Version on every response, errors included.
    response = await sb.client.get(f"{API}/accounts", headers={"Accept": "application/json"})
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer authorization_uri=https://")
    assert challenge.endswith(f"resource_id={ORG}/")
    assert f"/{sb.entra.tenant_id}/oauth2/authorize" in challenge
    assert response.headers["OData-Version"] == "4.0"


async def test_bearer_scheme_is_case_insensitive(sb: Sandbox) -> None:
    # RFC 6750 §2.1 / RFC 7235 §2.1: the auth-scheme is case-insensitive.
    response = await sb.client.get(f"{API}/WhoAmI", headers={"Authorization": f"bearer {sb.token}"})
    assert response.status_code == 200, response.text


# ----- §4 / §15.6: protocol headers -----


async def test_every_answer_has_odata_version_and_request_ids(sb: Sandbox) -> None:
    # Reference §4 response headers: OData-Version 4.0 on every response including errors; REQ_ID and
    # x-ms-service-request-id request ids (§15 item 20).
    ok = await sb.get("accounts?$select=name&$top=1")
    missing = await sb.get(f"accounts({uuid.uuid4()})")
    for response in (ok, missing):
        assert response.headers["OData-Version"] == "4.0"
        assert response.headers["REQ_ID"]
        assert response.headers["x-ms-service-request-id"]
        assert response.headers["Content-Type"] == JSON_MINIMAL


async def test_rate_limit_debug_headers_have_the_documented_format(sb: Sandbox) -> None:
    # Reference §4 / §13 (Learn "Service protection API limits"): x-ms-ratelimit-burst-remaining-xrm-requests is a
    # count; x-ms-ratelimit-time-remaining-xrm-requests is seconds with a thousands separator and two decimals.
    response = await sb.get("WhoAmI")
    assert response.headers["x-ms-ratelimit-burst-remaining-xrm-requests"].isdigit()
    time_left = response.headers["x-ms-ratelimit-time-remaining-xrm-requests"]
    whole, _, cents = time_left.partition(".")
    assert len(cents) == 2 and whole.replace(",", "").isdigit()


# ----- §5 / §15.8-9: reading -----


async def test_collection_rows_carry_key_etag_null_and_lookup_values(sb: Sandbox) -> None:
    # RETRIEVE / reference §5: the primary key comes back unselected, every row has @odata.etag, a selected empty
    # column is null, a lookup reads as `_<name>_value`; the context names the selected columns.
    name = _name()
    contact = await sb.create("contacts", {"lastname": name})
    await sb.create("accounts", {"name": name, "primarycontactid@odata.bind": f"/contacts({contact})"})
    body = (await sb.get(f"accounts?$select=name,telephone1,_primarycontactid_value&$filter=name eq '{name}'")).json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name,telephone1,_primarycontactid_value)"
    [row] = body["value"]
    assert row["@odata.etag"].startswith('W/"') and row["accountid"]
    assert row["telephone1"] is None and row["_primarycontactid_value"] == contact


async def test_single_row_context_etag_header_and_404_text(sb: Sandbox) -> None:
    # RETRIEVE / reference §5: `/$entity` context (with the selected columns), an ETag header equal to the row's
    # @odata.etag; a missing row is 404 0x80040217 "Entity 'account' With Id = <guid> Does Not Exist".
    account = await sb.create("accounts", {"name": _name()})
    response = await sb.get(f"accounts({account})?$select=name")
    body = response.json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name)/$entity"
    assert response.headers["ETag"] == body["@odata.etag"]
    ghost = str(uuid.uuid4())
    missing = await sb.get(f"accounts({ghost})")
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "code": "0x80040217",
        "message": f"Entity 'account' With Id = {ghost} Does Not Exist",
    }


async def test_conditional_get_304_has_no_body_and_changed_row_gives_200(sb: Sandbox) -> None:
    # UPSERT "Conditional retrievals" / reference §5: If-None-Match with the current ETag gives 304 and no body (the
    # sample's headers: Content-Type application/json; odata.metadata=minimal, OData-Version 4.0);
    # after a change the same header gets 200 with the new ETag.
    account = await sb.create("accounts", {"name": _name()})
    tag = (await sb.get(f"accounts({account})?$select=name")).headers["ETag"]
    unchanged = await sb.get(f"accounts({account})?$select=name", **{"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["OData-Version"] == "4.0" and unchanged.headers["Content-Type"] == JSON_MINIMAL
    await sb.patch(f"accounts({account})", {"telephone1": "555"}, **{"If-Match": "*"})
    changed = await sb.get(f"accounts({account})?$select=name", **{"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag


async def test_single_property_value(sb: Sandbox) -> None:
    # RETRIEVE "Retrieve a single property value": `GET accounts(<id>)/name` gives
    # {"@odata.context": "...$metadata#accounts(<id>)/name", "value": "..."}.
    name = _name()
    account = await sb.create("accounts", {"name": name})
    body = (await sb.get(f"accounts({account})/name")).json()
    assert body == {"@odata.context": f"{API}/$metadata#accounts({account})/name", "value": name}


async def test_raw_property_value_with_dollar_value(sb: Sandbox) -> None:
    # RETRIEVE "Retrieve a single property value": "To retrieve the raw value of a primitive property rather than
    # JSON, append /$value to the URL" -- the body is the bare value, Content-Type text/plain.
    name = _name()
    account = await sb.create("accounts", {"name": name})
    response = await sb.get(f"accounts({account})/name/$value")
    assert response.status_code == 200, response.text
    assert response.text == name and response.headers["Content-Type"].startswith("text/plain")


# ----- §6 / §15.10: create -----


async def test_create_204_has_full_entity_id_and_no_body(sb: Sandbox) -> None:
    # CREATE "Basic create": `HTTP/1.1 204 No Content`, `OData-EntityId: [Organization URI]/api/data/v9.2/
    # accounts(<guid>)`, no body.
    response = await sb.post("accounts", {"name": _name()})
    assert response.status_code == 204 and response.content == b""
    entity_id = response.headers["OData-EntityId"]
    assert entity_id.startswith(f"{API}/accounts(") and entity_id.endswith(")")
    uuid.UUID(entity_id[len(f"{API}/accounts(") : -1])


async def test_create_with_representation_and_select(sb: Sandbox) -> None:
    # CREATE "Create with data returned": 201 Created, `Preference-Applied: return=representation`, the body has
    # `@odata.context` `...#accounts(name,creditlimit)/$entity`, `@odata.etag` and only the selected columns plus
    # the key. The sample shows no OData-EntityId (reference §6, §16).
    name = _name()
    response = await sb.post(
        "accounts?$select=name,creditlimit", {"name": name, "creditlimit": 50000}, Prefer="return=representation"
    )
    assert response.status_code == 201, response.text
    assert response.headers["Preference-Applied"] == "return=representation"
    assert response.headers["Content-Type"] == JSON_MINIMAL
    body = response.json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name,creditlimit)/$entity"
    assert body["@odata.etag"].startswith('W/"')
    assert body["name"] == name and body["creditlimit"] == 50000 and body["accountid"]
    assert "telephone1" not in body


# ----- §6-7 / §15.11-13: update, upsert, delete, concurrency -----


async def test_update_only_with_if_match_star(sb: Sandbox) -> None:
    # UPDATE "Prevent create in upsert": `If-Match: *` on a missing row is 404 (0x80040217); on an existing row
    # the update answers 204 with OData-EntityId.
    account = await sb.create("accounts", {"name": _name()})
    updated = await sb.patch(f"accounts({account})", {"telephone1": "1"}, **{"If-Match": "*"})
    assert updated.status_code == 204 and updated.headers["OData-EntityId"] == f"{API}/accounts({account})"
    ghost = str(uuid.uuid4())
    missing = await sb.patch(f"accounts({ghost})", {"name": "x"}, **{"If-Match": "*"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "0x80040217"
    assert (await sb.get(f"accounts({ghost})")).status_code == 404


async def test_patch_without_if_match_creates_with_the_url_id(sb: Sandbox) -> None:
    # UPSERT_ROW: PATCH to a row that does not exist creates it with the id in the URL; 204 + OData-EntityId.
    new_id = str(uuid.uuid4())
    response = await sb.patch(f"accounts({new_id})", {"name": _name()})
    assert response.status_code == 204 and response.headers["OData-EntityId"] == f"{API}/accounts({new_id})"
    assert (await sb.get(f"accounts({new_id})?$select=name")).status_code == 200


async def test_upsert_with_representation_201_then_200_with_etag(sb: Sandbox) -> None:
    # UPSERT_ROW: with return=representation, 201 when created and 200 when updated, each with an ETag header
    # equal to the body's @odata.etag.
    new_id = str(uuid.uuid4())
    first = await sb.patch(f"accounts({new_id})?$select=name", {"name": _name()}, Prefer="return=representation")
    second = await sb.patch(f"accounts({new_id})?$select=name", {"name": _name()}, Prefer="return=representation")
    assert (first.status_code, second.status_code) == (201, 200)
    for response in (first, second):
        assert response.headers["ETag"] == response.json()["@odata.etag"]
        assert response.json()["@odata.context"] == f"{API}/$metadata#accounts(name)/$entity"
    assert first.headers["ETag"] != second.headers["ETag"]


async def test_create_only_upsert_if_none_match_star(sb: Sandbox) -> None:
    # UPSERT "Prevent update in upsert": `If-None-Match: *` creates a missing row (204); on an existing row it is
    # 412 "A record with matching key values already exists." (0x80040237, reference §14).
    new_id = str(uuid.uuid4())
    created = await sb.patch(f"accounts({new_id})", {"name": _name()}, **{"If-None-Match": "*"})
    assert created.status_code == 204
    again = await sb.patch(f"accounts({new_id})", {"name": _name()}, **{"If-None-Match": "*"})
    assert again.status_code == 412
    assert again.json()["error"] == {
        "code": "0x80040237",
        "message": "A record with matching key values already exists.",
    }


async def test_stale_etag_on_update_and_delete_is_412_version_mismatch(sb: Sandbox) -> None:
    # UPSERT "Optimistic concurrency": a stale If-Match on PATCH or DELETE gives 412 with the documented body.
    account = await sb.create("accounts", {"name": _name()})
    stale = (await sb.get(f"accounts({account})?$select=name")).headers["ETag"]
    await sb.patch(f"accounts({account})", {"telephone1": "2"}, **{"If-Match": "*"})
    expected = {
        "code": "0x80060882",
        "message": "The version of the existing record doesn't match the RowVersion property provided.",
    }
    patched = await sb.patch(f"accounts({account})", {"telephone1": "3"}, **{"If-Match": stale})
    deleted = await sb.delete(f"accounts({account})", **{"If-Match": stale})
    assert (patched.status_code, deleted.status_code) == (412, 412)
    assert patched.json()["error"] == expected and deleted.json()["error"] == expected
    current = (await sb.get(f"accounts({account})?$select=name")).headers["ETag"]
    assert (await sb.delete(f"accounts({account})", **{"If-Match": current})).status_code == 204


async def test_every_write_changes_the_etag(sb: Sandbox) -> None:
    # UPSERT / reference §7: the ETag (row version) changes after each successful update, column PUT included.
    account = await sb.create("accounts", {"name": _name()})
    tags = [(await sb.get(f"accounts({account})?$select=name")).headers["ETag"]]
    await sb.patch(f"accounts({account})", {"telephone1": "4"})
    tags.append((await sb.get(f"accounts({account})?$select=name")).headers["ETag"])
    put = await sb.client.put(f"{API}/accounts({account})/telephone1", json={"value": "5"}, headers=sb.headers())
    assert put.status_code == 204
    tags.append((await sb.get(f"accounts({account})?$select=name")).headers["ETag"])
    assert len(set(tags)) == 3


async def test_delete_204_then_404(sb: Sandbox) -> None:
    # UPDATE "Basic delete": 204 No Content; a second delete is 404 0x80040217.
    account = await sb.create("accounts", {"name": _name()})
    first = await sb.delete(f"accounts({account})")
    assert first.status_code == 204 and first.content == b""
    second = await sb.delete(f"accounts({account})")
    assert second.status_code == 404
    assert second.json()["error"]["message"] == f"Entity 'account' With Id = {account} Does Not Exist"


async def test_update_with_representation_is_200(sb: Sandbox) -> None:
    # UPDATE "Update with data returned": 200 OK, Preference-Applied: return=representation, the selected columns.
    account = await sb.create("accounts", {"name": _name()})
    response = await sb.patch(
        f"accounts({account})?$select=name,telephone1",
        {"telephone1": "6"},
        Prefer="return=representation",
        **{"If-Match": "*"},
    )
    assert response.status_code == 200 and response.headers["Preference-Applied"] == "return=representation"
    assert response.json()["telephone1"] == "6"


# ----- alternate keys: ALTKEY / UPSERT_ROW -----


async def test_alternate_key_upsert_entity_id_is_the_key_form(sb: Sandbox) -> None:
    # Reference §4/§6: after an alternate-key upsert OData-EntityId holds the key form, not a GUID; a missing key
    # value on create is copied from the URL.
    number = uuid.uuid4().hex[:10]
    response = await sb.patch(f"accounts(accountnumber='{number}')", {"name": _name()})
    assert response.status_code == 204
    assert response.headers["OData-EntityId"] == f"{API}/accounts(accountnumber='{number}')"
    row = (await sb.get(f"accounts(accountnumber='{number}')?$select=accountnumber")).json()
    assert row["accountnumber"] == number


async def test_alternate_key_read_of_a_missing_row_is_404(sb: Sandbox) -> None:
    # ALTKEY: a key that matches no row is 404 (reference §14: 0x80060891 alternate-key row not found).
    response = await sb.get("accounts(accountnumber='no-such-number')")
    assert response.status_code == 404 and response.json()["error"]["code"] == "0x80060891"


# ----- lookups and unknown names: §15.14 -----


async def test_bind_to_an_unknown_entity_set_is_0x80060888(sb: Sandbox) -> None:
    # Reference §15 item 14: an unknown entity set in a bind gets 400 0x80060888.
    response = await sb.post(
        "accounts", {"name": _name(), "primarycontactid@odata.bind": f"/nosuchthings({uuid.uuid4()})"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "0x80060888"


async def test_unknown_entity_set_message(sb: Sandbox) -> None:
    # Reference §14: 400 0x80060888 "Resource not found for the segment '<x>'".
    response = await sb.get("nosuchthings")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "0x80060888" and "nosuchthings" in error["message"]


async def test_unterminated_literal_message(sb: Sandbox) -> None:
    # QUERY "Use single quotes" / reference §9: an undoubled quote gives 400 "There is an unterminated literal at
    # position <n> in '<filter>'."
    response = await sb.get("accounts?$select=name&$filter=name eq 'O'Bryan'")
    assert response.status_code == 400
    assert "There is an unterminated literal at position" in response.json()["error"]["message"]


async def test_doubled_quote_matches_and_string_equality_ignores_case(sb: Sandbox) -> None:
    # QUERY / reference §9: `''` inside a literal is one quote; string comparisons are case-insensitive.
    tag = uuid.uuid4().hex[:6]
    await sb.create("contacts", {"lastname": f"O'Bryan{tag}"})
    body = (await sb.get(f"contacts?$select=lastname&$filter=lastname eq 'o''bryan{tag.upper()}'")).json()
    assert [r["lastname"] for r in body["value"]] == [f"O'Bryan{tag}"]


# ----- §13: 429 -----


async def test_throttled_answer_is_json_with_integer_retry_after() -> None:
    # Learn "Service protection API limits": 429 with Retry-After (seconds) and the JSON error;
    # reference §13: Content-Type application/json; odata.metadata=minimal and OData-Version 4.0.
    from inolink_tui.sandbox.dataverse import DataverseLimits

    async with in_process(DataverseLimits(requests_per_window=2)) as small:
        answers = [await small.get("WhoAmI") for _ in range(3)]
    throttled = answers[-1]
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"].isdigit()
    assert throttled.headers["OData-Version"] == "4.0"
    assert throttled.headers["Content-Type"] == JSON_MINIMAL
    assert throttled.json()["error"]["code"] == "0x80072322"


# ----- COMPOSE: "Include more details with errors" -----


async def test_error_details_with_all_annotations(sb: Sandbox) -> None:
    # COMPOSE: with `Prefer: odata.include-annotations="*"` the error gains OperationStatus, SubErrorCode, HelpLink
    # (`...CrmException%3a<code>&client=platform`), TraceText and InnerError.Message.
    ghost = str(uuid.uuid4())
    error = (await sb.get(f"accounts({ghost})", Prefer='odata.include-annotations="*"')).json()["error"]
    assert error["code"] == "0x80040217"
    for key in ("ErrorDetails.OperationStatus", "ErrorDetails.SubErrorCode", "TraceText"):
        assert isinstance(error[f"@Microsoft.PowerApps.CDS.{key}"], str)
    assert error["@Microsoft.PowerApps.CDS.HelpLink"].endswith("CrmException%3a80040217&client=platform")
    assert error["@Microsoft.PowerApps.CDS.InnerError.Message"] == error["message"]


async def test_error_details_follow_the_requested_annotations(sb: Sandbox) -> None:
    # COMPOSE: `Prefer: odata.include-annotations="OData.Community.Display.V1.FormattedValue,
    # Microsoft.PowerApps.CDS.ErrorDetails*"` "only includes the formatted values and any additional error detail
    # annotations".
    prefer = (
        'odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.PowerApps.CDS.ErrorDetails*"'
    )
    error = (await sb.get(f"accounts({uuid.uuid4()})", Prefer=prefer)).json()["error"]
    extra = [key for key in error if key.startswith("@")]
    assert extra and all(key.startswith("@Microsoft.PowerApps.CDS.ErrorDetails.") for key in extra)


async def test_global_metadata_version_annotation(sb: Sandbox) -> None:
    # COMPOSE "Request annotations": `Microsoft.Dynamics.CRM.globalmetadataversion` "is returned on the request";
    # the samples show it, a string of digits, after the count annotations and before `value`.
    body = (await sb.get("accounts?$select=name&$top=1", Prefer='odata.include-annotations="*"')).json()
    keys = list(body)
    version = body["@Microsoft.Dynamics.CRM.globalmetadataversion"]
    assert isinstance(version, str) and version.isdigit()
    assert (
        keys.index("@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded")
        < keys.index("@Microsoft.Dynamics.CRM.globalmetadataversion")
        < keys.index("value")
    )
    plain = (await sb.get("accounts?$select=name&$top=1")).json()
    assert "@Microsoft.Dynamics.CRM.globalmetadataversion" not in plain


async def test_patch_or_delete_on_a_collection_is_405(sb: Sandbox) -> None:
    # COMPOSE "Identify status codes": 405 "you can't use DELETE or PATCH on a collection of entities".
    assert (await sb.patch("accounts", {"name": "x"})).status_code == 405
    assert (await sb.delete("accounts")).status_code == 405


async def test_system_required_column_cannot_be_set_to_null(sb: Sandbox) -> None:
    # UPDATE "Basic update": "When [RequiredLevel] is set to SystemRequired, you cannot set these attributes to a null
    # value" -- by PATCH or by deleting the single property (0x80040200, write_rules.py).
    product = await sb.create("products", {"name": _name(), "productnumber": uuid.uuid4().hex[:8]})
    patched = await sb.patch(f"products({product})", {"productnumber": None}, **{"If-Match": "*"})
    assert patched.status_code == 400 and patched.json()["error"]["code"] == "0x80040200"
    cleared = await sb.delete(f"products({product})/productnumber")
    assert cleared.status_code == 400 and cleared.json()["error"]["code"] == "0x80040200"
    assert (await sb.get(f"products({product})?$select=productnumber")).json()["productnumber"]


# ----- IMPERSONATE -----


async def test_impersonated_create_names_both_users(sb: Sandbox) -> None:
    # IMPERSONATE: `CallerObjectId: <Entra object id>` creates the row as that user (createdby, owner); the real
    # caller is `createdonbehalfby`. `MSCRMCallerID: <systemuserid>` does the same by user id, for updates too.
    object_id = str(uuid.uuid4())
    user = await sb.create("systemusers", {"fullname": "Impersonated User", "azureactivedirectoryobjectid": object_id})
    me = (await sb.get("WhoAmI")).json()["UserId"]
    response = await sb.post("accounts", {"name": _name()}, CallerObjectId=object_id)
    assert response.status_code == 204, response.text
    account = response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    body = (
        await sb.get(
            f"accounts({account})?$select=name&$expand=createdby($select=fullname),createdonbehalfby($select=fullname)"
        )
    ).json()
    assert body["createdby"]["systemuserid"] == user and body["createdonbehalfby"]["systemuserid"] == me
    patched = await sb.patch(f"accounts({account})", {"telephone1": "1"}, MSCRMCallerID=user, **{"If-Match": "*"})
    assert patched.status_code == 204, patched.text
    row = (await sb.get(f"accounts({account})?$select=_modifiedby_value,_modifiedonbehalfby_value")).json()
    assert (row["_modifiedby_value"], row["_modifiedonbehalfby_value"]) == (user, me)


async def test_impersonating_an_unknown_user_is_refused(sb: Sandbox) -> None:
    # IMPERSONATE (vague on the failure; impersonation.py): no user with that object id -> 404 0x80040217.
    response = await sb.post("accounts", {"name": _name()}, CallerObjectId=str(uuid.uuid4()))
    assert response.status_code == 404 and response.json()["error"]["code"] == "0x80040217"
