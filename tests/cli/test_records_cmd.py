"""promote / unlink / link / match against the sandbox over HTTP, as a person runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.sandbox_cli import (
    control,
    crm_create,
    crm_row,
    invoke,
    qbo_create,
    run_process,
    sandbox_config,
    unthrottled,
)

TO_BE_LINKED, LINKED, UNLINKED = 100000000, 100000001, 100000003


@pytest.fixture
async def handle():  # type: ignore[no-untyped-def]
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(unthrottled(records=12)) as served:
        yield served


async def _qbo_names(handle: object, entity: str = "Customer") -> dict[str, str]:
    records = (await control(handle, f"/_sandbox/qbo/records/{entity}"))["records"]
    field = "DisplayName" if entity == "Customer" else "Name"
    return {str(r["Id"]): str(r[field]) for r in records}


@pytest.mark.timeout(120)
async def test_promote_by_ids_then_once_links_those_accounts(handle: object, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path)
    first = await crm_create(handle, "accounts", {"name": "Promoted Pines Ltd"})
    second = await crm_create(handle, "accounts", {"name": "Promoted Quays"})
    result = await invoke(config, "promote", "account", "--ids", f"{first},{second}")
    assert result.exit_code == 0, result.output
    assert "promoted 2 account(s)" in result.output
    for rid in (first, second):
        row = crm_row(handle, "accounts", rid)
        assert row["ino_linkstatus"] == TO_BE_LINKED
        assert row["_ino_promotedby_value"] and row["ino_promotedon"]
    again = await invoke(config, "promote", "account", "--ids", first)
    assert again.exit_code == 1 and "already To be Linked" in again.output
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code in (0, 1), output  # the seeded company has failures of its own
    names = await _qbo_names(handle)
    for rid, name in ((first, "Promoted Pines Ltd"), (second, "Promoted Quays")):
        row = crm_row(handle, "accounts", rid)
        assert row["ino_linkstatus"] == LINKED, row
        assert names[str(row["ino_accountingid"])] == name


@pytest.mark.timeout(60)
async def test_promote_needs_exactly_one_selector_and_names_unknown_ids(handle: object, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path)
    none = await invoke(config, "promote", "account")
    assert none.exit_code == 2 and "exactly one" in none.output
    missing = await invoke(config, "promote", "account", "--ids", "00000000-0000-0000-0000-00000000abcd")
    assert missing.exit_code == 1
    assert "skipped 00000000-0000-0000-0000-00000000abcd: no Account with this id in CRM" in missing.output
    bad = await invoke(config, "promote", "widget", "--all-unlinked")
    assert bad.exit_code == 2 and "not an entity" in bad.output


@pytest.mark.timeout(60)
async def test_promote_by_filter_sets_only_matching_rows(handle: object, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path)
    hit = await crm_create(handle, "accounts", {"name": "Filterable Fjord"})
    miss = await crm_create(handle, "accounts", {"name": "Unfiltered Uplands"})
    result = await invoke(config, "promote", "account", "--filter", "name eq 'Filterable Fjord'")
    assert result.exit_code == 0, result.output
    assert crm_row(handle, "accounts", hit)["ino_linkstatus"] == TO_BE_LINKED
    assert crm_row(handle, "accounts", miss)["ino_linkstatus"] is None
    broken = await invoke(config, "promote", "account", "--filter", "name eq")
    assert broken.exit_code == 2 and len(broken.output.strip().splitlines()) == 1


@pytest.mark.timeout(60)
async def test_link_existing_then_unlink_keeps_both_records(handle: object, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path)
    crm_id = await crm_create(handle, "accounts", {"name": "Harbor Kilns"})
    qbo_id = await qbo_create(handle, "Customer", {"DisplayName": "Harbor Kilns LLC", "CompanyName": "Harbor Kilns"})
    linked = await invoke(config, "link", "account", "--crm", crm_id, "--quickbooks", qbo_id)
    assert linked.exit_code == 0, linked.output
    row = crm_row(handle, "accounts", crm_id)
    assert (row["ino_linkstatus"], row["ino_accountingid"], row["ino_accountingref"]) == (
        LINKED,
        qbo_id,
        "Harbor Kilns LLC",
    )
    other = await crm_create(handle, "accounts", {"name": "Harbor Kilns Two"})
    taken = await invoke(config, "link", "account", "--crm", other, "--quickbooks", qbo_id)
    assert taken.exit_code == 2 and "already linked to Account 'Harbor Kilns'" in taken.output

    unlinked = await invoke(config, "unlink", "account", crm_id)
    assert unlinked.exit_code == 0, unlinked.output
    row = crm_row(handle, "accounts", crm_id)
    assert (row["ino_linkstatus"], row["ino_accountingid"], row["ino_accountingref"]) == (UNLINKED, None, None)
    assert qbo_id in await _qbo_names(handle)  # nothing deleted in QuickBooks
    twice = await invoke(config, "unlink", "account", crm_id)
    assert twice.exit_code == 1 and "not linked" in twice.output
    # Unlinked in our bookkeeping too: the QuickBooks record can now be linked to another account.
    relinked = await invoke(config, "link", "account", "--crm", other, "--quickbooks", qbo_id)
    assert relinked.exit_code == 0, relinked.output


@pytest.mark.timeout(90)
async def test_match_preview_lists_pairs_with_scores_and_ambiguous_apart(handle: object, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path, '[sync]\nname_matching = "Pattern"\n')
    exact = await crm_create(handle, "accounts", {"name": "Saffron Bakery"})
    fuzzy = await crm_create(handle, "accounts", {"name": "InfoMedia"})
    twin = await crm_create(handle, "accounts", {"name": "Cobalt Labs"})
    saffron = await qbo_create(handle, "Customer", {"DisplayName": "Saffron Bakery", "CompanyName": "Saffron Bakery"})
    infomedia = await qbo_create(handle, "Customer", {"DisplayName": "IfnoMedia", "CompanyName": "IfnoMedia"})
    await qbo_create(handle, "Customer", {"DisplayName": "Cobalt Labs Inc", "CompanyName": "Cobalt Labs"})
    await qbo_create(handle, "Customer", {"DisplayName": "Cobalt Labs LLC", "CompanyName": "Cobalt Labs"})

    preview = await invoke(config, "match", "account", "--preview")
    assert preview.exit_code == 0, preview.output
    assert f"100  Saffron Bakery  <->  Saffron Bakery  (CRM {exact}, QuickBooks {saffron})" in preview.output
    assert f"80  InfoMedia  <->  IfnoMedia  (CRM {fuzzy}, QuickBooks {infomedia})" in preview.output
    ambiguous = preview.output.split("ambiguous", 1)[1]
    assert f"'Cobalt Labs' ({twin})" in ambiguous and "2 QuickBooks records match equally well" in ambiguous
    assert crm_row(handle, "accounts", exact)["ino_linkstatus"] is None  # a preview changes nothing

    pairs = tmp_path / "pairs.csv"
    written = await invoke(config, "match", "account", "--output", str(pairs))
    assert written.exit_code == 0, written.output
    kept = [line for line in pairs.read_text().splitlines() if "InfoMedia" not in line]
    pairs.write_text("\n".join(kept) + "\n")
    applied = await invoke(config, "match", "account", "--from", str(pairs))
    assert applied.exit_code == 0, applied.output
    assert crm_row(handle, "accounts", exact)["ino_accountingid"] == saffron
    assert crm_row(handle, "accounts", fuzzy)["ino_linkstatus"] is None  # the row deleted from the file
    assert crm_row(handle, "accounts", twin)["ino_linkstatus"] is None


@pytest.mark.timeout(60)
async def test_read_only_refuses_changes(handle: object, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path)
    crm_id = await crm_create(handle, "accounts", {"name": "Readonly Reeds"})
    result = await invoke(config, "--read-only", "promote", "account", "--ids", crm_id)
    assert result.exit_code == 2 and "read-only" in result.output
    assert crm_row(handle, "accounts", crm_id)["ino_linkstatus"] is None


@pytest.mark.timeout(180)
async def test_fix_dependencies_queues_the_missing_product_and_requeues_the_invoice(
    handle: object, tmp_path: Path
) -> None:
    import json

    config = sandbox_config(handle, tmp_path)
    account = await crm_create(handle, "accounts", {"name": "Dependable Docks"})
    product = await crm_create(handle, "products", {"name": "Dock Cleat", "productnumber": "DC-1", "price": 12.5})
    invoice = await crm_create(
        handle,
        "invoices",
        {"name": "Docks order", "invoicenumber": "INV-DD-1", "customerid_account@odata.bind": f"/accounts({account})"},
    )
    await control(
        handle,
        "/_sandbox/crm/create",
        {
            "entity_set": "invoicedetails",
            "row": {
                "invoiceid@odata.bind": f"/invoices({invoice})",
                "productid@odata.bind": f"/products({product})",
                "quantity": 2,
                "priceperunit": 12.5,
            },
        },
    )
    promoted = await invoke(config, "promote", "invoice", "--ids", invoice)
    assert promoted.exit_code == 0, promoted.output
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code == 1, output
    listed = await invoke(config, "jobs", "list", "--entity", "Invoice", "--status", "Error", "--format", "json")
    jobs = [j for j in json.loads(listed.output) if j["crm_record_id"].lower() == invoice.lower()]
    assert len(jobs) == 1 and "Dock Cleat" in jobs[0]["error_description"], listed.output
    job_id = jobs[0]["id"]

    fixed = await invoke(config, "jobs", "fix-dependencies", str(job_id))
    assert fixed.exit_code == 0, fixed.output
    assert "queued Product 'Dock Cleat'" in fixed.output and f"job {job_id} requeued" in fixed.output
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    row = crm_row(handle, "invoices", invoice)
    assert row["ino_linkstatus"] == LINKED, output[-2000:]
    assert crm_row(handle, "products", product)["ino_linkstatus"] == LINKED
    again = await invoke(config, "jobs", "fix-dependencies", str(job_id))
    assert again.exit_code == 2 and "only an Error job" in again.output


@pytest.mark.timeout(180)
async def test_promote_with_dependencies_promotes_the_customer_and_products_too(handle: object, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path, "[sync]\nauto_create_missing_customer = false\n")
    account = await crm_create(handle, "accounts", {"name": "Depends Dairy"})
    product = await crm_create(handle, "products", {"name": "Milk Churn", "productnumber": "MC-1", "price": 30})
    order = await crm_create(
        handle,
        "salesorders",
        {"name": "Churns", "ordernumber": "SO-DD-1", "customerid_account@odata.bind": f"/accounts({account})"},
    )
    await control(
        handle,
        "/_sandbox/crm/create",
        {
            "entity_set": "salesorderdetails",
            "row": {
                "salesorderid@odata.bind": f"/salesorders({order})",
                "productid@odata.bind": f"/products({product})",
                "quantity": 1,
                "priceperunit": 30,
            },
        },
    )
    result = await invoke(config, "promote", "order", "--ids", order, "--with-dependencies")
    assert result.exit_code == 0, result.output
    assert "promoted 1 Account(s) 'Churns' needs" in result.output
    assert "promoted 1 Product(s) 'Churns' needs" in result.output
    for entity_set, rid in (("salesorders", order), ("accounts", account), ("products", product)):
        assert crm_row(handle, entity_set, rid)["ino_linkstatus"] == TO_BE_LINKED
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code in (0, 1), output[-1500:]  # the seeded company has failures of its own
    for entity_set, rid in (("salesorders", order), ("accounts", account), ("products", product)):
        assert crm_row(handle, entity_set, rid)["ino_linkstatus"] == LINKED, (entity_set, output[-1500:])
