"""`crm setup` and `doctor` against the sandbox's stock org (`--bare-org`) and its prepared org, over HTTP:
the done-when sequence of issue 13 (dry run, setup, setup again, doctor, promote + --once, match, import),
then a removed column and a revoked privilege that doctor must name."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

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

LINKED = 100000001


@pytest.fixture
async def bare():  # type: ignore[no-untyped-def]
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(unthrottled(records=12, bare_org=True)) as served:
        yield served


def _stats(handle: Any) -> int:
    return len(handle.sandbox.dataverse.tables)


@pytest.mark.timeout(300)
async def test_a_stock_org_from_dry_run_to_linked_records(bare: Any, tmp_path: Path) -> None:
    config = sandbox_config(bare, tmp_path)
    assert "ino_linkjobs" not in bare.sandbox.dataverse.tables
    # A stock org: the engine refuses to start, in one line, and names the way out.
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code == 2 and "run `inolink-tui crm setup`" in output, output[-1500:]

    dry = await invoke(config, "crm", "setup", "--dry-run")
    assert dry.exit_code == 0, dry.output
    for line in (
        "create publisher inolink (prefix ino, option values from 100000000)",
        "create table ino_linkjob ('Link Job', entity set ino_linkjobs, primary name ino_name text 200)",
        "create column account.ino_linkstatus (choice 'Link Status': 100000000 To be Linked, 100000001 Linked, "
        "100000002 Error, 100000003 Unlinked)",
        "create lookup ino_linkjob.ino_regardingobjectid (lookup 'Regarding' to account, contact, product, quote, "
        "salesorder, invoice)",
        "create alternate key ino_linkjob.ino_jobnumberkey on ino_jobnumber",
        "enable change tracking on invoice",
        "dry run: nothing was changed",
    ):
        assert line in dry.output, line
    assert "ino_linkjobs" not in bare.sandbox.dataverse.tables
    assert "ino_linkstatus" not in bare.sandbox.dataverse.tables["accounts"].columns

    started = time.monotonic()
    applied = await invoke(config, "crm", "setup")
    assert applied.exit_code == 0, applied.output
    assert "[1/" in applied.output and "done:" in applied.output and "metadata requests" in applied.output
    print(applied.output.splitlines()[-1], f"(wall {time.monotonic() - started:.1f} s)")
    tables = bare.sandbox.dataverse.tables
    assert "ino_linkjobs" in tables and "ino_syncleases" in tables
    assert tables["accounts"].change_tracking and tables["invoices"].change_tracking

    again = await invoke(config, "crm", "setup")
    assert again.exit_code == 0 and "nothing to do" in again.output, again.output
    doctor = await invoke(config, "doctor")
    assert doctor.exit_code == 0, doctor.output
    assert doctor.output.strip().endswith("all is well")

    # promote + --once links the accounts
    first = await crm_create(bare, "accounts", {"name": "Stockyard Supplies"})
    promoted = await invoke(config, "promote", "account", "--ids", first)
    assert promoted.exit_code == 0, promoted.output
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code in (0, 1), output[-2000:]
    assert crm_row(bare, "accounts", first)["ino_linkstatus"] == LINKED

    # match lists the pairs of a company that already has some of the same customers
    same = await crm_create(bare, "accounts", {"name": "Mirror Lake Farms"})
    await qbo_create(bare, "Customer", {"DisplayName": "Mirror Lake Farms", "CompanyName": "Mirror Lake Farms"})
    preview = await invoke(config, "match", "account", "--preview")
    assert preview.exit_code == 0 and f"100  Mirror Lake Farms  <->  Mirror Lake Farms  (CRM {same}" in preview.output

    # the first import brings every QuickBooks customer into CRM linked; a second creates nothing
    imported = await invoke(config, "import", "quickbooks", "customer", "--since", "2020-01-01")
    assert imported.exit_code == 0, imported.output
    customers = {
        str(r["Id"])
        for r in (await control(bare, "/_sandbox/qbo/records/Customer"))["records"]
        if r.get("Active", True)
    }
    linked = {
        str(r["ino_accountingid"])
        for s in ("accounts", "contacts")
        for r in bare.sandbox.dataverse.rows(s)
        if r.get("ino_linkstatus") == LINKED
    }
    assert customers <= linked
    assert crm_row(bare, "accounts", same)["ino_linkstatus"] == LINKED  # matched, not created twice
    count = sum(len(bare.sandbox.dataverse.rows(s)) for s in ("accounts", "contacts"))
    second = await invoke(config, "import", "quickbooks", "customer", "--since", "2020-01-01")
    assert second.exit_code == 0 and "nothing to import" in second.output, second.output
    assert sum(len(bare.sandbox.dataverse.rows(s)) for s in ("accounts", "contacts")) == count


@pytest.mark.timeout(180)
async def test_doctor_names_a_removed_column_a_revoked_privilege_and_tracking_off(bare: Any, tmp_path: Path) -> None:
    config = sandbox_config(bare, tmp_path)
    assert (await invoke(config, "crm", "setup")).exit_code == 0
    healthy = await invoke(config, "doctor")
    assert healthy.exit_code == 0
    assert "Dynamics 365: new products from QuickBooks get Unit Group 'Default Unit', unit 'Primary Unit'" in (
        healthy.output
    )

    await control(bare, "/_sandbox/crm/columns/remove", {"entity_set": "contacts", "column": "ino_promotedon"})
    doctor = await invoke(config, "doctor")
    assert doctor.exit_code == 2
    assert (
        "FAIL Dynamics 365: missing column contact.ino_promotedon (datetime 'Promoted On') -- fix: run "
        "`inolink-tui crm setup`" in doctor.output
    )
    # ... and the engine will not start on it (one line, exit 2)
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code == 2 and "contact.ino_promotedon" in output, output[-1500:]
    assert (await invoke(config, "crm", "setup")).exit_code == 0  # setup puts it back

    await control(bare, "/_sandbox/crm/privileges", {"entity_set": "invoices", "privilege": "AppendTo"})
    await control(bare, "/_sandbox/crm/change-tracking", {"entity_set": "quotes", "enabled": False})
    doctor = await invoke(config, "doctor")
    assert doctor.exit_code == 2
    assert "FAIL Dynamics 365: the application user lacks prvAppendToinvoice (AppendTo on invoice)" in doctor.output
    assert "FAIL Dynamics 365: change tracking is off on quote" in doctor.output
    assert doctor.output.count("FAIL") == 2, doctor.output


@pytest.mark.timeout(120)
async def test_a_choice_with_other_values_stops_the_engine_until_configured(bare: Any, tmp_path: Path) -> None:
    config = sandbox_config(bare, tmp_path, "[crm.schema.link_status]\nlinked = 100000009\n")
    dry = await invoke(config, "crm", "setup", "--dry-run")
    assert "100000009 Linked" in dry.output
    assert (await invoke(config, "crm", "setup")).exit_code == 0
    # The org now holds Linked = 100000009; a config that says 100000001 is refused at start, in one line.
    plain = sandbox_config(bare, tmp_path / "plain")
    code, output = await run_process(plain, "--no-ui", "--once", "--log-format", "text")
    assert code == 2, output[-1500:]
    assert "'Linked' is option 100000009 in CRM, the configuration says 100000001" in output
    doctor = await invoke(plain, "doctor")
    assert doctor.exit_code == 2 and "set linked = 100000009 under [crm.schema.link_status]" in doctor.output


@pytest.mark.timeout(120)
async def test_the_prepared_org_needs_nothing(tmp_path: Path) -> None:
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(unthrottled(records=12)) as handle:
        config = sandbox_config(handle, tmp_path)
        dry = await invoke(config, "crm", "setup", "--dry-run")
        assert dry.exit_code == 0, dry.output
        planned = [line.strip() for line in dry.output.splitlines() if line.startswith("  ")]
        assert planned == [], planned  # the prepared org has every column, table, key and the guard's lease table
        applied = await invoke(config, "crm", "setup")
        assert applied.exit_code == 0, applied.output
        assert "nothing to do" in applied.output.lower(), applied.output

        # An org set up before voided invoices showed Canceled (domain/invoice_status.py) has four Invoice Status
        # options: doctor says so, `crm setup` adds the fifth and leaves the four alone.
        status = handle.sandbox.dataverse.tables["invoices"].columns["ino_invoicestatus"]
        del status.options[100000004]
        step = "add option 100000004 'Canceled' to invoice.ino_invoicestatus"
        doctor = await invoke(config, "doctor")
        assert doctor.exit_code == 2 and step in doctor.output, doctor.output
        dry = await invoke(config, "crm", "setup", "--dry-run")
        planned = [line.strip() for line in dry.output.splitlines() if line.startswith("  ")]
        assert planned[:1] == [step], dry.output
        added = await invoke(config, "crm", "setup")
        assert added.exit_code == 0 and step in added.output, added.output
        after = handle.sandbox.dataverse.tables["invoices"].columns["ino_invoicestatus"].options
        assert after == {**status.options, 100000004: "Canceled"}


@pytest.mark.timeout(240)
async def test_another_prefix_runs_the_whole_engine_without_an_ino_name(bare: Any, tmp_path: Path) -> None:
    config = sandbox_config(bare, tmp_path, '[crm.schema]\nprefix = "acme"\n')
    applied = await invoke(config, "crm", "setup")
    assert applied.exit_code == 0, applied.output
    assert "create publisher inolinkacme (prefix acme" in applied.output
    tables = bare.sandbox.dataverse.tables
    assert "acme_linkjobs" in tables and "ino_linkjobs" not in tables
    assert "acme_linkstatus" in tables["accounts"].columns and "ino_linkstatus" not in tables["accounts"].columns
    assert (await invoke(config, "doctor")).exit_code == 0
    account = await crm_create(bare, "accounts", {"name": "Prefix Pottery"})
    assert (await invoke(config, "promote", "account", "--ids", account)).exit_code == 0
    code, output = await run_process(config, "--no-ui", "--once", "--log-format", "text")
    assert code in (0, 1), output[-2000:]
    row = crm_row(bare, "accounts", account)
    assert row["acme_linkstatus"] == LINKED and row["acme_accountingid"] and row["_acme_promotedby_value"]
    mirrored = bare.sandbox.dataverse.rows("acme_linkjobs")
    assert any(r.get("acme_name") == "Account Prefix Pottery" for r in mirrored), mirrored[:3]


@pytest.mark.timeout(180)
async def test_an_interrupted_setup_resumes_where_it_stopped(
    bare: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from inolink_tui.engine import crm_setup

    config = sandbox_config(bare, tmp_path)
    real = crm_setup.apply_step
    done: list[str] = []

    async def cut_after_twenty(md: Any, step: Any) -> None:
        if len(done) == 20:
            raise RuntimeError("connection lost")
        await real(md, step)
        done.append(step.describe())

    monkeypatch.setattr(crm_setup, "apply_step", cut_after_twenty)
    with pytest.raises(RuntimeError, match="connection lost"):
        await invoke(config, "crm", "setup")
    monkeypatch.setattr(crm_setup, "apply_step", real)
    resumed = await invoke(config, "crm", "setup")
    assert resumed.exit_code == 0, resumed.output
    redone = [line.split("] ", 1)[1] for line in resumed.output.splitlines() if line.startswith("[")]
    assert not set(redone) & set(done), "steps done before the interruption were run again"
    # 68 before issue 16, + 2 money tables, 30 columns, 2 keys; + the Sales Transaction table, its 10 columns and
    # key, and the payment's Voided On
    assert len(redone) == 115 - 20
    assert redone[-1].startswith("publish customizations")
    assert "nothing to do" in (await invoke(config, "crm", "setup")).output
    assert (await invoke(config, "doctor")).exit_code == 0
