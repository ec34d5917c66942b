"""Change tracking: initial sync, deltas with upserts then tombstones, paging, rejection rules, expiry."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.sandbox.dataverse.harness import API, Sandbox


async def _follow(sb: Sandbox, url: str, **headers: str) -> dict:  # type: ignore[type-arg]
    response = await sb.client.get(url, headers=sb.headers(**headers))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_initial_sync_then_delta_with_updates_then_deletes(sb: Sandbox) -> None:
    keep = await sb.create("accounts", {"name": "Keep"})
    gone = await sb.create("accounts", {"name": "Gone"})
    response = await sb.get("accounts?$select=name", Prefer="odata.track-changes")
    assert response.headers["Preference-Applied"] == "odata.track-changes"
    body = response.json()
    assert body["@odata.context"] == f"{API}/$metadata#accounts(name)"
    assert sorted(row["name"] for row in body["value"]) == ["Gone", "Keep"]
    delta_link = body["@odata.deltaLink"]
    assert delta_link.startswith(f"{API}/accounts?$select=name&$deltatoken=")
    token = parse_qs(urlsplit(delta_link).query)["$deltatoken"][0]
    assert "!" in token  # <version>!<MM/dd/yyyy HH:mm:ss>, as observed on the real service

    await sb.patch(f"accounts({keep})", {"name": "Kept"})
    await sb.delete(f"accounts({gone})")
    new = await sb.create("accounts", {"name": "New"})
    temp = await sb.create("accounts", {"name": "Temp"})
    await sb.delete(f"accounts({temp})")

    delta = await _follow(sb, delta_link)
    assert delta["@odata.context"] == f"{API}/$metadata#accounts(name)/$delta"
    values = delta["value"]
    assert [v.get("name") for v in values[:2]] == ["Kept", "New"]  # upserts first, by version
    deleted = values[2:]
    assert [d["id"] for d in deleted] == [gone, temp]  # created-then-deleted still arrives as a delete
    assert all(d["reason"] == "deleted" for d in deleted)
    assert all(d["@odata.context"] == f"{API}/$metadata#accounts/$deletedEntity" for d in deleted)
    assert all(set(d) == {"@odata.context", "id", "reason"} for d in deleted)
    assert keep and new

    empty = await _follow(sb, delta["@odata.deltaLink"])
    assert empty["value"] == []
    assert empty["@odata.deltaLink"]


async def test_python_api_writes_show_up_in_deltas(sb: Sandbox) -> None:
    body = (await sb.get("contacts?$select=lastname", Prefer="odata.track-changes")).json()
    sb.state.create_row("contacts", {"lastname": "Seeded"})
    delta = await _follow(sb, body["@odata.deltaLink"])
    assert [v["lastname"] for v in delta["value"]] == ["Seeded"]


async def test_paged_delta_puts_delta_link_only_on_last_page(sb: Sandbox) -> None:
    start = (await sb.get("products?$select=name", Prefer="odata.track-changes")).json()
    for i in range(5):
        sb.state.create_row("products", {"name": f"P{i}"})
    url = start["@odata.deltaLink"]
    names: list[str] = []
    links: list[tuple[bool, bool]] = []
    for _ in range(10):
        page = await _follow(sb, url, Prefer="odata.maxpagesize=2")
        names += [v["name"] for v in page["value"]]
        links.append(("@odata.nextLink" in page, "@odata.deltaLink" in page))
        url = page.get("@odata.nextLink", "")
        if not url:
            break
    assert names == [f"P{i}" for i in range(5)]
    assert links == [(True, False), (True, False), (False, True)]


async def test_paged_initial_sync(sb: Sandbox) -> None:
    for i in range(5):
        sb.state.create_row("products", {"name": f"P{i}"})
    url = f"{API}/products?$select=name"
    seen: list[str] = []
    for _ in range(10):
        page = await _follow(sb, url, Prefer="odata.track-changes,odata.maxpagesize=2")
        seen += [v["name"] for v in page["value"]]
        if "@odata.nextLink" in page:
            assert "@odata.deltaLink" not in page
            url = page["@odata.nextLink"]
        else:
            assert "@odata.deltaLink" in page
            break
    assert sorted(seen) == [f"P{i}" for i in range(5)]


async def test_track_changes_rejects_filter_orderby_expand_top(sb: Sandbox) -> None:
    for option in ("$filter=name eq 'x'", "$orderby=name", "$expand=primarycontactid", "$top=1"):
        response = await sb.get(f"accounts?{option}", Prefer="odata.track-changes")
        assert response.status_code == 400
        name = option.split("=")[0]
        assert response.json()["error"]["message"] == (
            f'The "{name}" query parameter isn\'t supported when Change Tracking is enabled.'
        )


async def test_table_without_change_tracking_is_refused(sb: Sandbox) -> None:
    sb.state.set_change_tracking("quotes", False)
    response = await sb.get("quotes", Prefer="odata.track-changes")
    assert response.status_code == 400
    assert "Change tracking is not enabled for the entity 'quote'" in response.text


async def test_expired_delta_token_forces_full_sync(sb: Sandbox) -> None:
    sb.state.delta_token_lifetime = 3600
    link = (await sb.get("accounts?$select=name", Prefer="odata.track-changes")).json()["@odata.deltaLink"]
    sb.clock.advance(1800)
    sb.token = (await sb.fetch_token()).json()["access_token"]
    assert (await sb.client.get(link, headers=sb.headers())).status_code == 200
    sb.clock.advance(1900)
    sb.token = (await sb.fetch_token()).json()["access_token"]
    response = await sb.client.get(link, headers=sb.headers())
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Version stamp associated with the client has expired. Please perform a full sync."
    )


async def test_rolled_back_writes_leave_no_trace_in_deltas(sb: Sandbox) -> None:
    link = (await sb.get("accounts?$select=name", Prefer="odata.track-changes")).json()["@odata.deltaLink"]
    try:
        with sb.state.transaction():
            sb.state.create_row("accounts", {"name": "Phantom"})
            raise RuntimeError("abort")
    except RuntimeError:
        pass
    assert (await _follow(sb, link))["value"] == []
