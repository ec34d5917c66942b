"""The console's palette tools run this program's own commands with the console's --config and --db."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from inolink_tui.cli import console_tools
from inolink_tui.cli.context import CliContext
from inolink_tui.domain.enums import EntityType, LinkStatus, Operation, Source
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.ui import tools


def _job(entity: EntityType, crm_id: str) -> LinkJob:
    return LinkJob(
        id=42,
        entity_type=entity,
        link_status=LinkStatus.ERROR,
        source=Source.CRM,
        submitted_by="Sam",
        submitted_at=datetime(2026, 1, 1, tzinfo=UTC),
        processed_at=None,
        accounting_id=None,
        processed_count=1,
        error_description="products not linked to QuickBooks: Widget",
        company="1",
        crm_record_id=crm_id,
        record_name="Invoice 1",
        qbo_entity="Invoice",
        operation=Operation.CREATE,
    )


async def test_each_tool_runs_the_matching_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "TOOLS", {})
    ran: list[list[str]] = []

    async def fake_run(args: list[str]) -> tuple[int, str]:
        ran.append(args[3:])  # after python -m inolink_tui
        return 0, "ok"

    monkeypatch.setattr(console_tools, "run_cli", fake_run)
    console_tools.register_console_tools(CliContext(config_path=Path("/etc/s.toml"), db_override=Path("/d/j.db")))
    assert set(tools.TOOLS) == {"doctor", "fix-dependencies", "promote", "unlink"}
    await tools.TOOLS["doctor"].run(None)
    await tools.TOOLS["fix-dependencies"].run(_job(EntityType.INVOICE, "abc"))
    await tools.TOOLS["promote"].run(_job(EntityType.ORDER, "def"))
    await tools.TOOLS["unlink"].run(_job(EntityType.ACCOUNT, "ghi"))
    opts = ["--config", "/etc/s.toml", "--db", "/d/j.db"]
    assert ran == [
        [*opts, "doctor"],
        [*opts, "jobs", "fix-dependencies", "42"],
        [*opts, "promote", "order", "--ids", "def"],
        [*opts, "unlink", "account", "ghi"],
    ]
    assert all(tools.TOOLS[n].mutating for n in ("fix-dependencies", "promote", "unlink"))


async def test_run_cli_returns_the_exit_status_and_output() -> None:
    import sys

    code, output = await console_tools.run_cli([sys.executable, "-c", "print('FAIL x'); raise SystemExit(2)"])
    assert (code, output.strip()) == (2, "FAIL x")
