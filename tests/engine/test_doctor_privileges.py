"""doctor's privilege check covers the payment and payment-application tables money back to CRM writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from inolink_tui.engine.doctor import needed_privileges
from inolink_tui.engine.options import EngineOptions
from tests.cli.sandbox_cli import control, invoke, sandbox_config


def test_the_payment_tables_are_among_the_tables_checked() -> None:
    options = EngineOptions()
    schema = options.schema
    needed = needed_privileges(options)
    assert needed[schema.payment_table] == ("Create", "Read", "Write", "Append", "AppendTo", "Delete")
    assert needed[schema.application_table] == ("Create", "Read", "Write", "Append", "Delete")


def test_transaction_tables_are_checked_and_record_needs_create() -> None:
    from dataclasses import replace

    from inolink_tui.domain.transaction_history import TransactionPolicy, TransactionSync

    options = EngineOptions()
    needed = needed_privileges(options)
    assert needed[options.schema.sales_transaction_table] == ("Create", "Read", "Write", "Append", "Delete")
    assert "Create" not in needed["invoice"] and "Create" not in needed["quote"]
    record = replace(options, transactions=TransactionPolicy(invoices=TransactionSync.RECORD))
    assert "Create" in needed_privileges(record)["invoice"] and "Create" not in needed_privileges(record)["quote"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("table", "privilege"), [("payment", "Create"), ("paymentapplication", "Append")])
async def test_doctor_names_a_revoked_privilege_on_a_payment_table(tmp_path: Path, table: str, privilege: str) -> None:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(SandboxOptions(records=0)) as handle:
        config = sandbox_config(handle, tmp_path)
        assert (await invoke(config, "crm", "setup")).exit_code == 0
        clean = await invoke(config, "doctor")
        assert clean.exit_code == 0, clean.output
        await control(handle, "/_sandbox/crm/privileges", {"entity_set": f"ino_{table}s", "privilege": privilege})
        doctor = await invoke(config, "doctor")
        assert doctor.exit_code == 2, doctor.output
        line = f"FAIL Dynamics 365: the application user lacks prv{privilege}ino_{table} ({privilege} on ino_{table})"
        assert line in doctor.output, doctor.output
