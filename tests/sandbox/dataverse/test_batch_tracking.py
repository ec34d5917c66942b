"""Change tracking inside `$batch`: each part's own `Prefer: odata.track-changes` and delta link are honoured as
outside a batch (OData 4.01 Part 1 §11.7: "evaluated according to the same semantics"; §8.2.8: track-changes "MAY
be applied to individual requests within a batch"), a failed part stays its own with `odata.continue-on-error`,
and the batch is one request against the service protection limit (Microsoft Learn, "Service protection API
limits")."""

from __future__ import annotations

import re
from urllib.parse import quote

from tests.sandbox.dataverse.harness import API, Sandbox
from tests.sandbox.dataverse.test_batch import _request, _send, _statuses

PATH = "/api/data/v9.2"


async def _delta_link(sb: Sandbox, entity_set: str) -> str:
    column = "lastname" if entity_set == "contacts" else "name"
    response = await sb.get(f"{entity_set}?$select={column}", Prefer="odata.track-changes")
    assert response.status_code == 200, response.text
    return str(response.json()["@odata.deltaLink"])


def _expired(link: str) -> str:
    """The same link with a token issued long before the org's change-tracking retention."""
    return re.sub(r"\$deltatoken=[^&]+", "$deltatoken=" + quote("1!01/01/2000 00:00:00", safe=""), link)


def _parts(text: str) -> list[str]:
    return [p for p in re.split(r"--batchresponse_[^\r\n]*", text) if "HTTP/1.1" in p]


async def test_delta_links_with_their_own_prefer_answer_inside_a_batch(sb: Sandbox) -> None:
    await sb.create("accounts", {"name": "Before"})
    accounts, contacts = await _delta_link(sb, "accounts"), await _delta_link(sb, "contacts")
    await sb.create("accounts", {"name": "After"})
    prefer = {"Prefer": "odata.track-changes,odata.maxpagesize=100"}
    response = await _send(
        sb,
        [
            _request("GET", accounts.removeprefix(API.removesuffix(PATH)), **prefer),
            _request("GET", contacts, **prefer),  # absolute URL: both forms are documented
        ],
    )
    assert response.status_code == 200
    assert _statuses(response.text) == [200, 200]
    first, second = _parts(response.text)
    assert "Preference-Applied: odata.track-changes,odata.maxpagesize=100" in first
    assert '"name":"After"' in first and '"name":"Before"' not in first
    assert f"{API}/accounts?$select=name&$deltatoken=" in first
    assert '"value":[]' in second and f"{API}/contacts?$select=lastname&$deltatoken=" in second


async def test_an_expired_delta_link_fails_its_own_part_only_with_continue_on_error(sb: Sandbox) -> None:
    accounts, contacts = await _delta_link(sb, "accounts"), await _delta_link(sb, "contacts")
    prefer = {"Prefer": "odata.track-changes"}
    items = [_request("GET", _expired(accounts), **prefer), _request("GET", contacts, **prefer)]
    going_on = await _send(sb, items, Prefer="odata.continue-on-error")
    assert going_on.status_code == 200
    assert _statuses(going_on.text) == [400, 200]
    assert "Version stamp associated with the client has expired" in _parts(going_on.text)[0]
    # Without the preference the batch stops at the first failure, whose status becomes the batch's.
    stopped = await _send(sb, items)
    assert stopped.status_code == 400 and _statuses(stopped.text) == [400]


async def test_a_batch_of_six_tracking_reads_is_one_request_against_the_limit(sb: Sandbox) -> None:
    sets = ("accounts", "contacts", "products", "quotes", "salesorders", "invoices")
    links = [await _delta_link(sb, entity_set) for entity_set in sets]
    before = int((await sb.get("accounts?$top=1")).headers["x-ms-ratelimit-burst-remaining-xrm-requests"])
    response = await _send(sb, [_request("GET", link, Prefer="odata.track-changes") for link in links])
    assert _statuses(response.text) == [200] * 6
    after = int((await sb.get("accounts?$top=1")).headers["x-ms-ratelimit-burst-remaining-xrm-requests"])
    assert before - after == 2  # the batch and the read itself, not the batch's six parts
