"""Conformance: change tracking over the Web API as Microsoft documents it, one test per documented behaviour.

Written from the documentation and sent with httpx, not through our connectors. Source for every test here
unless it says otherwise:
https://learn.microsoft.com/en-us/power-apps/developer/data-platform/use-change-tracking-synchronize-data-external-systems
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sandbox.dataverse.harness import API, Sandbox

SELECT = "accounts?$select=name,accountnumber,telephone1,fax"


async def _track(sb: Sandbox, path: str = SELECT) -> httpx.Response:
    return await sb.get(path, Prefer="odata.track-changes")


async def _follow(sb: Sandbox, link: str) -> httpx.Response:
    return await sb.client.get(link, headers=sb.headers())


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["$deltatoken"][0]


async def test_initial_request_returns_rows_a_delta_link_and_preference_applied(sb: Sandbox) -> None:
    # Source: "Retrieve changes in tables using Web API example" (first request and response).
    await sb.create("accounts", {"name": "Monte Orton", "telephone1": "555000", "fax": "10101"})
    response = await _track(sb)
    assert response.status_code == 200
    assert response.headers["Preference-Applied"] == "odata.track-changes"
    body = response.json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name,accountnumber,telephone1,fax)"
    assert "$deltatoken=" in body["@odata.deltaLink"]
    assert [row["name"] for row in body["value"]] == ["Monte Orton"]
    assert body["value"][0]["accountnumber"] is None and "@odata.etag" in body["value"][0]


async def test_delta_lists_changed_rows_then_tombstones_in_the_documented_shape(sb: Sandbox) -> None:
    # Source: the follow-up response of the same example: the context ends in `/$delta`; a deleted row is
    # `{"@odata.context": "[Organization URI]/api/data/v9.0/$metadata#accounts/$deletedEntity", "id": ..., "reason":
    # "deleted"}` (the entity *set* name, no ETag, no primary-key name), after the new or updated rows.
    doomed = await sb.create("accounts", {"name": "Deleted later"})
    link = (await _track(sb)).json()["@odata.deltaLink"]
    await sb.create("accounts", {"name": "New after token"})
    assert (await sb.delete(f"accounts({doomed})")).status_code == 204
    body = (await _follow(sb, link)).json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name,accountnumber,telephone1,fax)/$delta"
    first, second = body["value"]
    assert first["name"] == "New after token"
    assert second == {"@odata.context": f"{API}/$metadata#accounts/$deletedEntity", "id": doomed, "reason": "deleted"}
    assert _token(body["@odata.deltaLink"]) != _token(link)


async def test_row_created_and_deleted_between_syncs_still_arrives_as_deleted(sb: Sandbox) -> None:
    # Source: ".NET SDK" constraints on the same page: "a record is created and deleted before the next query
    # for changes, they'll get the deleted item even if they didn't have the item to begin with." The page
    # states it for RetrieveEntityChanges; the Web API delta link is the same feature.
    link = (await _track(sb)).json()["@odata.deltaLink"]
    short_lived = await sb.create("accounts", {"name": "Blink"})
    await sb.delete(f"accounts({short_lived})")
    body = (await _follow(sb, link)).json()
    assert body["value"] == [
        {"@odata.context": f"{API}/$metadata#accounts/$deletedEntity", "id": short_lived, "reason": "deleted"}
    ]


async def test_no_changes_gives_an_empty_value_and_a_new_delta_link(sb: Sandbox) -> None:
    # Source: "An empty JSON response is returned if no table changes have occurred". Vague: the page does not
    # show that body. The sandbox answers `"value": []` with a fresh deltaLink (the OData delta-response shape),
    # so a client can keep following links.
    link = (await _track(sb)).json()["@odata.deltaLink"]
    body = (await _follow(sb, link)).json()
    assert body["value"] == [] and "$deltatoken=" in body["@odata.deltaLink"]


async def test_count_with_a_delta_token_gives_the_number_of_changes(sb: Sandbox) -> None:
    # Source: "Retrieve count of the changes made in tables using Web API":
    # `GET [Organization URI]/api/data/v9.0/accounts/$count?$deltatoken=<token>`. The page shows the request
    # only; the response is taken to be `/$count`'s documented text/plain number (count-rows page:
    # https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/count-rows).
    kept = await sb.create("accounts", {"name": "Kept"})
    doomed = await sb.create("accounts", {"name": "Doomed"})
    await sb.create("accounts", {"name": "Unchanged"})
    token = _token((await _track(sb)).json()["@odata.deltaLink"])
    assert (await sb.get(f"accounts/$count?$deltatoken={token}")).text == "0"
    await sb.patch(f"accounts({kept})", {"telephone1": "1"}, **{"If-Match": "*"})
    await sb.delete(f"accounts({doomed})")
    await sb.create("accounts", {"name": "Added"})
    response = await sb.get(f"accounts/$count?$deltatoken={token}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.text == "3"  # one update, one delete, one create
    assert (await sb.get("accounts/$count")).text == "3"  # without the token: the rows themselves


@pytest.mark.parametrize("option", ["$filter=name eq 'x'", "$orderby=name", "$expand=primarycontactid", "$top=1"])
async def test_filter_orderby_expand_top_are_rejected_with_track_changes(sb: Sandbox, option: str) -> None:
    # Source: "Query options not supported in Change Tracking Web API request": the message is documented,
    # the HTTP status is not (the sandbox answers 400, as for every other query-option error).
    name = option.split("=", 1)[0]
    response = await _track(sb, f"accounts?$select=name&{option}")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f'The "{name}" query parameter isn\'t supported when Change Tracking is enabled.'
    )


async def test_expired_token_fails_so_the_client_must_resync(sb: Sandbox) -> None:
    # Source: ".NET SDK" constraints: changes are returned if the token is within ExpireChangeTrackingInDays
    # (default 7 days); older ones make the system throw. The Web API status and code are not documented; the
    # sandbox answers 400 with the SDK's text.
    link = (await _track(sb)).json()["@odata.deltaLink"]
    sb.clock.advance(8 * 86400)
    sb.token = (await sb.fetch_token()).json()["access_token"]  # the bearer token expired too
    response = await _follow(sb, link)
    assert response.status_code == 400
    assert "Version stamp associated with the client has expired" in response.json()["error"]["message"]
    counted = await sb.get(f"accounts/$count?$deltatoken={_token(link)}")
    assert counted.status_code == 400
