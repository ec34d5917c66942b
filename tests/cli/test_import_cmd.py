"""`import quickbooks`: every QuickBooks customer becomes a linked CRM record, once, resumably."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.cli.sandbox_cli import control, crm_create, crm_row, invoke, qbo_create, sandbox_config, unthrottled

LINKED = 100000001


@pytest.fixture
async def handle():  # type: ignore[no-untyped-def]
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(unthrottled(records=12)) as served:
        yield served


async def _active_customers(handle: Any) -> dict[str, str]:
    records = (await control(handle, "/_sandbox/qbo/records/Customer"))["records"]
    return {str(r["Id"]): str(r["DisplayName"]) for r in records if r.get("Active", True)}


def _crm_links(handle: Any) -> Counter[str]:
    """How many CRM accounts and contacts carry each Accounting ID (Linked ones)."""
    found: Counter[str] = Counter()
    for entity_set in ("accounts", "contacts"):
        for row in handle.sandbox.dataverse.rows(entity_set):
            if row.get("ino_linkstatus") == LINKED and row.get("ino_accountingid"):
                found[str(row["ino_accountingid"])] += 1
    return found


def _crm_count(handle: Any) -> int:
    return sum(len(handle.sandbox.dataverse.rows(s)) for s in ("accounts", "contacts"))


@pytest.mark.timeout(120)
async def test_every_customer_becomes_linked_once_and_a_second_import_creates_nothing(
    handle: Any, tmp_path: Path
) -> None:
    config = sandbox_config(handle, tmp_path, '[sync]\nname_matching = "Pattern"\n')
    existing = await crm_create(handle, "accounts", {"name": "IfnoMedia"})
    infomedia = await qbo_create(handle, "Customer", {"DisplayName": "InfoMedia", "CompanyName": "InfoMedia"})
    await qbo_create(handle, "Customer", {"DisplayName": "Brand New Brewers", "CompanyName": "Brand New Brewers"})
    await qbo_create(handle, "Customer", {"DisplayName": "Jane Doe", "GivenName": "Jane", "FamilyName": "Doe"})
    customers = await _active_customers(handle)

    first = await invoke(config, "import", "quickbooks", "customer", "--since", "2020-01-01")
    assert first.exit_code == 0, first.output
    assert f"{len(customers)} read" in first.output and "Error" in first.output
    assert f"{len(customers)}/{len(customers)} processed" in first.output  # progress while the jobs run
    links = _crm_links(handle)
    assert set(customers) <= set(links), f"not brought into CRM: {set(customers) - set(links)}"
    assert all(links[c] == 1 for c in customers), links
    row = crm_row(handle, "accounts", existing)  # matched by Pattern name matching, not created again
    assert (row["ino_linkstatus"], row["ino_accountingid"]) == (LINKED, infomedia)
    jane = [r for r in handle.sandbox.dataverse.rows("contacts") if r.get("fullname") == "Jane Doe"]
    assert len(jane) == 1 and jane[0]["ino_linkstatus"] == LINKED

    before = _crm_count(handle)
    second = await invoke(config, "import", "quickbooks", "customers", "--since", "2020-01-01")
    assert second.exit_code == 0, second.output
    assert (
        "nothing to import" in second.output
        and "0 job(s) queued" in second.output
        and f"{len(customers)} already linked and unchanged" in second.output
    )
    assert _crm_count(handle) == before


@pytest.mark.timeout(120)
async def test_an_interrupted_import_resumes_from_its_cursor(
    handle: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inolink_tui.engine import first_import

    config = sandbox_config(handle, tmp_path)
    customers = await _active_customers(handle)
    monkeypatch.setattr(first_import, "PAGE", 4)
    real_page = first_import.FirstImport._page
    pages: list[int] = []

    async def crash_on_second_page(self: Any, *args: Any) -> None:
        pages.append(1)
        if len(pages) == 2:
            raise RuntimeError("power cut")
        await real_page(self, *args)

    monkeypatch.setattr(first_import.FirstImport, "_page", crash_on_second_page)
    with pytest.raises(RuntimeError, match="power cut"):
        await invoke(config, "import", "quickbooks", "customer", "--since", "2020-01-01")
    monkeypatch.setattr(first_import.FirstImport, "_page", real_page)

    resumed = await invoke(config, "import", "quickbooks", "customer", "--since", "2020-01-01")
    assert resumed.exit_code == 0, resumed.output
    assert "resumed an interrupted import" in resumed.output
    # It restarts at the saved LastUpdatedTime (>=, QuickBooks times have whole seconds, so a page may be
    # read again); the records of the first page are not queued or created a second time.
    links = _crm_links(handle)
    assert all(links[c] == 1 for c in customers), links


@pytest.mark.timeout(60)
async def test_bad_input_is_one_line_and_exit_2(handle: Any, tmp_path: Path) -> None:
    config = sandbox_config(handle, tmp_path)
    wrong = await invoke(config, "import", "quickbooks", "invoice", "--since", "2020-01-01")
    assert wrong.exit_code == 2 and "cannot be imported" in wrong.output
    date = await invoke(config, "import", "quickbooks", "customer", "--since", "last tuesday")
    assert date.exit_code == 2 and "is not a date" in date.output
