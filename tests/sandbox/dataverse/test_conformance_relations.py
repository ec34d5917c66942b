"""Conformance: related rows -- deep insert, $ref, navigation properties, $expand -- and query refinements.

One sandbox for the module; every test makes its own rows. Each test cites the page it is written from and
sends plain httpx requests (not our connectors). The protocol basics are in test_conformance_protocol.py.

CREATE = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api
ASSOCIATE = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/associate-disassociate-entities-using-web-api
JOIN = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables
RETRIEVE_NAV = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api#retrieve-navigation-property-values
FILTER = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/filter-rows
ORDER = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/order-rows
QUERY = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/overview
BATCH = https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.sandbox.dataverse.harness import API, Sandbox, in_process

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sb() -> AsyncIterator[Sandbox]:
    async with in_process() as sandbox:
        yield sandbox


def _name() -> str:
    return f"rel {uuid.uuid4().hex[:8]}"


# ----- CREATE "Create related table rows in one operation" / "Associate table rows on create" -----


async def test_deep_insert_creates_related_rows_and_answers_for_the_parent(sb: Sandbox) -> None:
    # CREATE: a nested object under a single-valued navigation property and a list under a collection-valued one
    # are created with the parent; the 204 names only the parent.
    name = _name()
    response = await sb.post(
        "accounts",
        {
            "name": name,
            "primarycontactid": {"firstname": "John", "lastname": name},
            "contact_customer_accounts": [{"lastname": f"{name} one"}, {"lastname": f"{name} two"}],
        },
    )
    assert response.status_code == 204, response.text
    account = response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    assert response.headers["OData-EntityId"] == f"{API}/accounts({account})"
    row = (await sb.get(f"accounts({account})?$select=_primarycontactid_value")).json()
    contact = (await sb.get(f"contacts({row['_primarycontactid_value']})?$select=fullname")).json()
    assert contact["fullname"] == f"John {name}"
    related = (await sb.get(f"accounts({account})/contact_customer_accounts?$select=lastname")).json()
    assert sorted(r["lastname"] for r in related["value"]) == [f"{name} one", f"{name} two"]


async def test_deep_insert_of_detail_lines_nests_to_any_depth(sb: Sandbox) -> None:
    # CREATE: related rows are created in one operation (here a quote with its lines, as the docs' account ->
    # opportunities -> tasks sample nests two levels).
    product = await sb.create("products", {"name": _name(), "productnumber": uuid.uuid4().hex[:8]})
    response = await sb.post(
        "quotes?$select=name&$expand=quote_details($select=quantity)",
        {
            "name": _name(),
            "quote_details": [{"productid@odata.bind": f"/products({product})", "quantity": 2}],
        },
        Prefer="return=representation",
    )
    assert response.status_code == 201, response.text
    assert [line["quantity"] for line in response.json()["quote_details"]] == [2]


async def test_failed_nested_row_leaves_nothing_behind(sb: Sandbox) -> None:
    # CREATE: deep insert is one operation; a nested row the service refuses (too long a name) fails it whole.
    name = _name()
    response = await sb.post("accounts", {"name": name, "contact_customer_accounts": [{"lastname": "x" * 51}]})
    assert response.status_code == 400, response.text
    left = (await sb.get(f"accounts?$select=name&$filter=name eq '{name}'")).json()["value"]
    assert left == []


async def test_collection_valued_bind_on_create(sb: Sandbox) -> None:
    # CREATE "Associate table rows on create": a collection-valued navigation property takes a list of URLs.
    name = _name()
    first = await sb.create("contacts", {"lastname": f"{name} a"})
    second = await sb.create("contacts", {"lastname": f"{name} b"})
    account = await sb.create(
        "accounts",
        {"name": name, "contact_customer_accounts@odata.bind": [f"/contacts({first})", f"{API}/contacts({second})"]},
    )
    related = (await sb.get(f"accounts({account})/contact_customer_accounts?$select=lastname")).json()["value"]
    assert sorted(r["contactid"] for r in related) == sorted([first, second])


# ----- ASSOCIATE: $ref -----


async def test_add_and_remove_a_row_of_a_collection_valued_navigation_property(sb: Sandbox) -> None:
    # ASSOCIATE "Add a record to a collection": POST .../<collection nav>/$ref {"@odata.id": <url>} is 204; "Remove
    # a record from a collection": DELETE .../<collection nav>(<id>)/$ref or .../$ref?$id=<url>, 204.
    account = await sb.create("accounts", {"name": _name()})
    first = await sb.create("contacts", {"lastname": _name()})
    second = await sb.create("contacts", {"lastname": _name()})
    for contact in (first, second):
        added = await sb.post(
            f"accounts({account})/contact_customer_accounts/$ref", {"@odata.id": f"{API}/contacts({contact})"}
        )
        assert added.status_code == 204 and added.content == b"", added.text
    related = (await sb.get(f"accounts({account})/contact_customer_accounts?$select=lastname")).json()["value"]
    assert sorted(r["contactid"] for r in related) == sorted([first, second])
    removed = await sb.delete(f"accounts({account})/contact_customer_accounts({first})/$ref")
    assert removed.status_code == 204, removed.text
    by_id = await sb.delete(f"accounts({account})/contact_customer_accounts/$ref?$id={API}/contacts({second})")
    assert by_id.status_code == 204, by_id.text
    assert (await sb.get(f"accounts({account})/contact_customer_accounts")).json()["value"] == []
    contact = (await sb.get(f"contacts({first})?$select=_parentcustomerid_value")).json()
    assert contact["_parentcustomerid_value"] is None


async def test_set_and_clear_a_single_valued_navigation_property(sb: Sandbox) -> None:
    # ASSOCIATE "Change the reference in a single-valued navigation property": PUT .../<nav>/$ref with
    # {"@odata.id": <url>}; "Remove a reference to a table row": DELETE .../<nav>/$ref. Both 204.
    account = await sb.create("accounts", {"name": _name()})
    contact = await sb.create("contacts", {"lastname": _name()})
    put = await sb.client.put(
        f"{API}/accounts({account})/primarycontactid/$ref",
        json={"@odata.id": f"{API}/contacts({contact})"},
        headers=sb.headers(),
    )
    assert put.status_code == 204, put.text
    row = (await sb.get(f"accounts({account})?$select=_primarycontactid_value")).json()
    assert row["_primarycontactid_value"] == contact
    cleared = await sb.delete(f"accounts({account})/primarycontactid/$ref")
    assert cleared.status_code == 204, cleared.text
    row = (await sb.get(f"accounts({account})?$select=_primarycontactid_value")).json()
    assert row["_primarycontactid_value"] is None


async def test_reference_to_a_missing_row_is_404(sb: Sandbox) -> None:
    # ASSOCIATE + reference §14: the related row must exist (404 0x80040217 otherwise).
    account = await sb.create("accounts", {"name": _name()})
    ghost = str(uuid.uuid4())
    response = await sb.post(
        f"accounts({account})/contact_customer_accounts/$ref", {"@odata.id": f"{API}/contacts({ghost})"}
    )
    assert response.status_code == 404 and response.json()["error"]["code"] == "0x80040217"


# ----- JOIN: $expand -----


async def _account_with_contacts(sb: Sandbox) -> tuple[str, str, str]:
    name = _name()
    contact = await sb.create("contacts", {"firstname": "Sue", "lastname": name})
    account = await sb.create("accounts", {"name": name, "primarycontactid@odata.bind": f"/contacts({contact})"})
    await sb.patch(f"contacts({contact})", {"parentcustomerid_account@odata.bind": f"/accounts({account})"})
    return name, account, contact


async def test_expanded_lookup_row_has_no_etag_and_nested_context(sb: Sandbox) -> None:
    # JOIN "Expand single-valued navigation properties" / "Nested expand of single-valued navigation properties":
    # the expanded row carries its columns and key but no @odata.etag; the context nests the expansions.
    name, account, contact = await _account_with_contacts(sb)
    body = (
        await sb.get(
            f"accounts({account})?$select=name"
            "&$expand=primarycontactid($select=fullname;$expand=parentcustomerid_account($select=name))"
        )
    ).json()
    assert body["@odata.context"] == (
        f"{API}/$metadata#accounts(name,primarycontactid(fullname,parentcustomerid_account(name)))/$entity"
    )
    assert body["primarycontactid"] == {
        "fullname": f"Sue {name}",
        "contactid": contact,
        "parentcustomerid_account": {"name": name, "accountid": account},
    }


async def test_expanded_collection_has_etags_and_its_own_next_link(sb: Sandbox) -> None:
    # JOIN "Single $expand on collection-valued navigation properties": each item has @odata.etag and the lookup
    # back to the row, and the row gets `<nav>@odata.nextLink` naming the filtered collection with the item's
    # options (no paging).
    _, account, contact = await _account_with_contacts(sb)
    body = (
        await sb.get(
            f"accounts?$select=name&$filter=accountid eq {account}&$expand=contact_customer_accounts($select=fullname)"
        )
    ).json()
    [row] = body["value"]
    [item] = row["contact_customer_accounts"]
    assert item["contactid"] == contact and item["@odata.etag"].startswith('W/"')
    assert item["_parentcustomerid_value"] == account  # the sample's items carry the lookup back to the row
    link = row["contact_customer_accounts@odata.nextLink"]
    assert link == f"{API}/accounts({account})/contact_customer_accounts?$select=fullname"
    followed = await sb.client.get(link, headers=sb.headers())
    assert [r["contactid"] for r in followed.json()["value"]] == [contact]


async def test_expand_lookup_reference(sb: Sandbox) -> None:
    # JOIN "Return references": `$expand=primarycontactid/$ref` gives {"@odata.id": <contact url>}; on a
    # collection-valued property it is 400 0x80060888 "Expand with $ref is only supported on lookup type
    # navigation property."
    _, account, contact = await _account_with_contacts(sb)
    body = (await sb.get(f"accounts({account})?$select=name&$expand=primarycontactid/$ref")).json()
    assert body["primarycontactid"] == {"@odata.id": f"{API}/contacts({contact})"}
    assert body["_primarycontactid_value"] == contact
    refused = await sb.get(f"accounts({account})?$select=name&$expand=contact_customer_accounts/$ref")
    assert refused.status_code == 400
    assert refused.json()["error"] == {
        "code": "0x80060888",
        "message": "Expand with $ref is only supported on lookup type navigation property.",
    }


async def test_top_or_orderby_with_a_nested_expand_is_refused(sb: Sandbox) -> None:
    # JOIN "Nested $expand on collection-valued navigation properties": $top / $orderby there give 0x80060888 "Only
    # $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested
    # one-to-many relationship."
    _, account, _contact = await _account_with_contacts(sb)
    response = await sb.get(
        f"accounts({account})?$select=name&$expand=contact_customer_accounts($select=fullname;$top=1;"
        "$expand=parentcustomerid_account($select=name))"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or "
        "nested one-to-many relationship."
    )


# ----- RETRIEVE_NAV: reading through navigation properties -----


async def test_single_valued_navigation_property_reads_the_related_row(sb: Sandbox) -> None:
    # RETRIEVE_NAV: `accounts(<id>)/primarycontactid?$select=fullname` answers the contact with context
    # `#contacts(fullname)/$entity` and its @odata.etag.
    name, account, contact = await _account_with_contacts(sb)
    response = await sb.get(f"accounts({account})/primarycontactid?$select=fullname")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["@odata.context"] == f"{API}/$metadata#contacts(fullname)/$entity"
    assert body["fullname"] == f"Sue {name}" and body["contactid"] == contact
    assert body["@odata.etag"] == response.headers["ETag"]


async def test_collection_references_and_count(sb: Sandbox) -> None:
    # RETRIEVE_NAV: `.../<collection>/$ref` answers `#Collection($ref)` with one `@odata.id` per related row;
    # `.../<collection>/$count` answers the bare number after a UTF-8 byte order mark (the page's note).
    _, account, contact = await _account_with_contacts(sb)
    refs = (await sb.get(f"accounts({account})/contact_customer_accounts/$ref")).json()
    assert refs == {
        "@odata.context": f"{API}/$metadata#Collection($ref)",
        "value": [{"@odata.id": f"{API}/contacts({contact})"}],
    }
    count = await sb.get(f"accounts({account})/contact_customer_accounts/$count")
    assert count.status_code == 200 and count.content == b"\xef\xbb\xbf1"


async def test_a_filtered_collection_pages_like_an_entity_set(sb: Sandbox) -> None:
    # JOIN "Single $expand on collection-valued navigation properties": the `<nav>@odata.nextLink` URL is a filtered
    # collection, "You can apply paging to that request" (PAGE_RESULTS rules: maxpagesize, nextLink, no link last).
    account = await sb.create("accounts", {"name": _name()})
    for i in range(3):
        await sb.create(
            "contacts", {"lastname": f"pg {i}", "parentcustomerid_account@odata.bind": f"/accounts({account})"}
        )
    first = await sb.get(
        f"accounts({account})/contact_customer_accounts?$select=lastname", Prefer="odata.maxpagesize=2"
    )
    assert first.headers["Preference-Applied"] == "odata.maxpagesize=2"
    body = first.json()
    assert len(body["value"]) == 2 and body["@odata.nextLink"].startswith(
        f"{API}/accounts({account})/contact_customer_accounts?"
    )
    second = (await sb.client.get(body["@odata.nextLink"], headers=sb.headers(Prefer="odata.maxpagesize=2"))).json()
    assert len(second["value"]) == 1 and "@odata.nextLink" not in second
    names = {r["lastname"] for r in body["value"] + second["value"]}
    assert names == {"pg 0", "pg 1", "pg 2"}


# ----- FILTER -----


async def test_filter_through_two_lookups_and_column_comparison(sb: Sandbox) -> None:
    # FILTER "Filter using lookup column property values": "compare values further up the hierarchy of single-valued
    # navigation properties" (`primarycontactid/createdby/fullname`); "Column comparison": `firstname eq lastname`.
    name = _name()
    contact = await sb.create("contacts", {"firstname": name, "lastname": name})
    account = await sb.create("accounts", {"name": name, "primarycontactid@odata.bind": f"/contacts({contact})"})
    me = (await sb.get("WhoAmI")).json()["UserId"]
    deep = await sb.get(
        f"accounts?$select=name&$filter=primarycontactid/createdby/systemuserid eq {me} and name eq '{name}'"
    )
    assert deep.status_code == 200, deep.text
    assert [r["accountid"] for r in deep.json()["value"]] == [account]
    same = (await sb.get(f"contacts?$select=fullname&$filter=firstname eq lastname and lastname eq '{name}'")).json()
    assert [r["contactid"] for r in same["value"]] == [contact]


async def test_items_of_a_nested_expand_carry_no_etag(sb: Sandbox) -> None:
    # JOIN "Nested $expand on collection-valued navigation properties" sample: with a nested $expand in the query the
    # expanded items carry their selected columns and key only (no @odata.etag, no lookup back).
    name, account, contact = await _account_with_contacts(sb)
    body = (
        await sb.get(
            f"accounts({account})?$select=name"
            "&$expand=contact_customer_accounts($select=fullname;$expand=parentcustomerid_account($select=name))"
        )
    ).json()
    assert body["contact_customer_accounts"] == [
        {
            "fullname": f"Sue {name}",
            "contactid": contact,
            "parentcustomerid_account": {"name": name, "accountid": account},
        }
    ]


async def test_ordering_by_a_lookup_uses_the_related_primary_name(sb: Sandbox) -> None:
    # ORDER "Lookup Columns": "the results are sorted using the primary name field for the related table"; paging
    # through the ordered set keeps that order.
    tag = uuid.uuid4().hex[:8]
    names = ["Zed", "Mia", "Adam"]  # created with ascending ids, so id order is the reverse of name order
    for n, contact_name in enumerate(names, start=1):
        contact = f"{tag}-0000-0000-0000-{n:012d}"
        assert (await sb.patch(f"contacts({contact})", {"lastname": f"{contact_name} {tag}"})).status_code == 204
        await sb.create("accounts", {"name": f"ord {tag}", "primarycontactid@odata.bind": f"/contacts({contact})"})
    path = f"accounts?$select=_primarycontactid_value&$filter=name eq 'ord {tag}'&$orderby=_primarycontactid_value"
    prefer = 'odata.maxpagesize=2,odata.include-annotations="OData.Community.Display.V1.FormattedValue"'
    first = (await sb.get(path, Prefer=prefer)).json()
    second = (await sb.client.get(first["@odata.nextLink"], headers=sb.headers(Prefer=prefer))).json()
    formatted = "_primarycontactid_value@OData.Community.Display.V1.FormattedValue"
    assert [r[formatted] for r in first["value"] + second["value"]] == [f"{n} {tag}" for n in sorted(names)]


async def test_parameter_aliases_in_filter_and_orderby(sb: Sandbox) -> None:
    # QUERY "Use parameter aliases with query options": `$orderby=@p1 asc,@p2 desc&$filter=@p1 ne @p3&@p1=revenue&
    # @p2=name`; "If the alias isn't assigned a value, it's assumed to be null"; "not inside the $expand option".
    tag = uuid.uuid4().hex[:6]
    for name, revenue in (("b", 7), ("a", 7), ("c", None), ("d", 5)):
        await sb.create("accounts", {"name": f"{tag} {name}", "revenue": revenue})
    query = f"accounts?$select=name,revenue&$orderby=@p1 asc,@p2 desc&$filter=@p1 ne @p3 and startswith(name,'{tag}')"
    response = await sb.get(f"{query}&@p1=revenue&@p2=name")
    assert response.status_code == 200, response.text
    assert [r["name"] for r in response.json()["value"]] == [f"{tag} d", f"{tag} b", f"{tag} a"]
    refused = await sb.get("accounts?$select=name&$expand=contact_customer_accounts($filter=lastname eq @p1)&@p1='x'")
    assert refused.status_code == 400


# ----- BATCH: a deep insert inside a change set -----


def _changeset_batch(parts: list[str]) -> tuple[str, str]:
    batch, changeset = f"batch_{uuid.uuid4()}", f"changeset_{uuid.uuid4()}"
    inner = "".join(f"--{changeset}\r\n{p}\r\n" for p in parts) + f"--{changeset}--\r\n"
    body = f'--{batch}\r\nContent-Type: multipart/mixed; boundary="{changeset}"\r\n\r\n{inner}--{batch}--\r\n'
    return batch, body


def _batch_part(content_id: int, method: str, url: str, body: str) -> str:
    return (
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        f"Content-ID: {content_id}\r\n\r\n{method} {url} HTTP/1.1\r\n"
        f"Content-Type: application/json; type=entry\r\n\r\n{body}"
    )


async def test_a_failed_change_set_undoes_its_deep_insert(sb: Sandbox) -> None:
    # BATCH "Change sets": "all operations in the change set must succeed ... or none" -- including the related rows
    # a deep insert (CREATE) made; `$1` refers to the first item's new row.
    tag = _name()
    batch, body = _changeset_batch(
        [
            _batch_part(
                1,
                "POST",
                "/api/data/v9.2/accounts",
                f'{{"name": "{tag}", "primarycontactid": {{"lastname": "{tag}"}}}}',
            ),
            _batch_part(2, "PATCH", "$1", '{"telephone1": "555"}'),
            _batch_part(3, "POST", "/api/data/v9.2/accounts", '{"nonsense": 1}'),
        ]
    )
    response = await sb.client.post(
        f"{API}/$batch",
        content=body.encode(),
        headers=sb.headers(**{"Content-Type": f'multipart/mixed; boundary="{batch}"'}),
    )
    assert response.status_code == 400, response.text
    for entity_set, column in (("accounts", "name"), ("contacts", "lastname")):
        left = (await sb.get(f"{entity_set}?$select={column}&$filter={column} eq '{tag}'")).json()["value"]
        assert left == [], entity_set


async def test_a_change_set_can_deep_insert_and_refer_to_it(sb: Sandbox) -> None:
    # BATCH "Reference URIs in an operation" (`PATCH $1`) with CREATE's deep insert as the first item: both rows
    # exist afterwards and the update applied to the new parent.
    tag = _name()
    batch, body = _changeset_batch(
        [
            _batch_part(
                1,
                "POST",
                "/api/data/v9.2/accounts",
                f'{{"name": "{tag}", "primarycontactid": {{"lastname": "{tag}"}}}}',
            ),
            _batch_part(2, "PATCH", "$1", '{"telephone1": "555"}'),
        ]
    )
    response = await sb.client.post(
        f"{API}/$batch",
        content=body.encode(),
        headers=sb.headers(**{"Content-Type": f'multipart/mixed; boundary="{batch}"'}),
    )
    assert response.status_code == 200, response.text
    [account] = (
        await sb.get(f"accounts?$select=telephone1&$filter=name eq '{tag}'&$expand=primarycontactid($select=lastname)")
    ).json()["value"]
    assert account["telephone1"] == "555" and account["primarycontactid"]["lastname"] == tag


async def test_nested_expand_pages_each_expanded_collection(sb: Sandbox) -> None:
    # JOIN "Nested $expand on collection-valued navigation properties": with a nested $expand and `Prefer:
    # odata.maxpagesize`, "paging is applied to each of the expanded collections" and the `<nav>@odata.nextLink`
    # "includes paging information"; following it returns the next rows. A single $expand is not paged.
    account = await sb.create("accounts", {"name": _name()})
    for i in range(3):
        await sb.create(
            "contacts", {"lastname": f"n{i}", "parentcustomerid_account@odata.bind": f"/accounts({account})"}
        )
    nav = "contact_customer_accounts($select=lastname;$expand=parentcustomerid_account($select=name))"
    prefer = "odata.maxpagesize=1"
    row = (await sb.get(f"accounts?$select=name&$filter=accountid eq {account}&$expand={nav}", Prefer=prefer)).json()[
        "value"
    ][0]
    seen = [c["lastname"] for c in row["contact_customer_accounts"]]
    link = row["contact_customer_accounts@odata.nextLink"]
    assert len(seen) == 1 and "$skiptoken=" in link
    while link:
        page = (await sb.client.get(link, headers=sb.headers(Prefer=prefer))).json()
        seen += [c["lastname"] for c in page["value"]]
        link = page.get("@odata.nextLink")
    assert sorted(seen) == ["n0", "n1", "n2"]
    single = (
        await sb.get(
            f"accounts?$select=name&$filter=accountid eq {account}&$expand=contact_customer_accounts($select=lastname)",
            Prefer=prefer,
        )
    ).json()["value"][0]
    assert len(single["contact_customer_accounts"]) == 3
    assert "$skiptoken" not in single["contact_customer_accounts@odata.nextLink"]
