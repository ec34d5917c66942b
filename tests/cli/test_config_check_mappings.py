"""`config check` (offline and --online) and `doctor` on [[mapping.*]] entries, against one served sandbox whose
seeded org has the custom columns new_region / new_customertier and whose company has the Region and Tier
customer custom fields (sandbox/seed_custom.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cli.sandbox_cli import invoke, sandbox_config

GOOD = """
[[mapping.account]]
crm = "new_region"
qbo = "CustomField:Region"

[[mapping.account]]
crm = "new_customertier"
qbo = "CustomField:Tier"
transform = "value_map"
values = { "Gold" = "G", "100000001" = "S" }
"""

MISSING_COLUMN = """
[[mapping.account]]
crm = "new_region"
qbo = "CustomField:Region"

[[mapping.account]]
crm = "new_regoin"
qbo = "CustomField:Tier"
"""

READ_ONLY = """
[[mapping.account]]
crm = "creditlimit"
qbo = "Balance"
transform = "money"
"""


@pytest.fixture
async def served():  # type: ignore[no-untyped-def]
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(SandboxOptions(records=2)) as handle:
        yield handle


def _line_of(path: Path, text: str, after: int = 0) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if i > after and line.strip() == text)


@pytest.mark.timeout(120)
async def test_config_check_and_doctor_on_custom_mappings(served: Any, tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    good = sandbox_config(served, tmp_path / "good", GOOD)
    offline = await invoke(good, "config", "check")
    assert offline.exit_code == 0, offline.output
    before = dict(served.sandbox.stats.requests)
    online = await invoke(good, "config", "check", "--online")
    assert online.exit_code == 0, online.output
    after = served.sandbox.stats.requests
    # the org's account columns (4 metadata reads) and QuickBooks' preferences and GraphQL definitions
    assert sum(after.values()) - sum(before.values()) >= 6, (before, dict(after))
    assert "config OK" in online.output

    (tmp_path / "missing").mkdir()
    missing = sandbox_config(served, tmp_path / "missing", MISSING_COLUMN)
    assert (await invoke(missing, "config", "check")).exit_code == 0  # offline: the org's columns are not read
    refused = await invoke(missing, "config", "check", "--online")
    assert refused.exit_code == 2, refused.output
    header = _line_of(missing, "[[mapping.account]]", after=_line_of(missing, "[[mapping.account]]"))
    crm_line = _line_of(missing, 'crm = "new_regoin"')
    assert crm_line == header + 1
    expected = f"{missing}:{crm_line}: mapping.account[1].crm: CRM table account has no column new_regoin"
    assert expected in refused.output, refused.output
    assert "mapping.account[0]" not in refused.output

    doctor = await invoke(missing, "doctor")
    assert doctor.exit_code == 2, doctor.output
    assert f"FAIL Mapping: {expected}" in doctor.output, doctor.output

    (tmp_path / "readonly").mkdir()
    read_only = sandbox_config(served, tmp_path / "readonly", READ_ONLY)
    before = sum(served.sandbox.stats.requests.values())
    offline_refused = await invoke(read_only, "config", "check")
    assert offline_refused.exit_code == 2, offline_refused.output
    qbo_line = _line_of(read_only, 'qbo = "Balance"')
    expected = f"{read_only}:{qbo_line}: mapping.account[0].qbo: QuickBooks Customer.Balance is read-only"
    assert expected in offline_refused.output, offline_refused.output
    assert sum(served.sandbox.stats.requests.values()) == before  # offline: not one request
