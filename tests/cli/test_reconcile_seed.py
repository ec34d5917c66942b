"""A freshly seeded sandbox is drift-free for its pre-linked records: the seed's two sides agree under the mapping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.sandbox_cli import invoke, sandbox_config


@pytest.mark.timeout(120)
async def test_a_fresh_seed_has_no_field_drift(tmp_path: Path) -> None:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox
    from inolink_tui.store import open_store

    async with run_sandbox(SandboxOptions(records=40)) as handle:
        config = sandbox_config(handle, tmp_path)
        await (await open_store(tmp_path / "inolink.db", create=True)).close()
        result = await invoke(config, "--db", str(tmp_path / "inolink.db"), "reconcile", "--format", "json")
        drifts = json.loads(result.output)["drift"]
        fields = [(d["entity_type"], d["name"], d["field"], d["crm_value"], d["qbo_value"]) for d in drifts]
        assert [f for f, d in zip(fields, drifts, strict=True) if d["kind"] == "field"] == []
        # What a fresh seed still reports is by design: its dangling link (a QuickBooks Id that does not exist),
        # promoted records waiting for their first cycle, and the money the first Low Priority cycle writes
        # (aging, and the seeded payments of pre-linked customers).
        assert {d["kind"] for d in drifts} <= {"gone", "promoted-no-job", "aging", "payment"}, fields
