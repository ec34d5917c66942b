"""DataverseState's Python API, transactions and --state persistence."""

from __future__ import annotations

import json

import pytest

from inolink_tui.domain.crm_schema import DEFAULT_ENTITY_TYPE_OPTIONS as CRM_ENTITY_TYPE_OPTION
from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.enums import EntityType, RecordLinkStatus
from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.dataverse import DataverseState
from inolink_tui.sandbox.dataverse.errors import DataverseError
from inolink_tui.sandbox.dataverse.schema import SYNCED_SETS


def test_every_synced_table_has_inolink_columns() -> None:
    state = DataverseState(SandboxClock(), org_url="http://dv.test")
    for name in SYNCED_SETS:
        columns = state.table(name).columns
        for key in (
            "ino_linkstatus",
            "ino_accountingid",
            "ino_accountingref",
            "_ino_promotedby_value",
            "ino_promotedon",
        ):
            assert key in columns, (name, key)
        assert state.table(name).navigation("ino_promotedby") is not None
    assert set(state.table("ino_linkjobs").columns["_ino_regardingobjectid_value"].targets) == {
        f"ino_regardingobjectid_{t}" for t in ("account", "contact", "product", "quote", "salesorder", "invoice")
    }


def test_link_job_row_with_polymorphic_regarding() -> None:
    state = DataverseState(SandboxClock(), org_url="http://dv.test")
    quote = state.create_row("quotes", {"name": "Q"})
    job = state.create_row(
        "ino_linkjobs",
        {
            "ino_jobnumber": "42",
            "ino_entitytype": CRM_ENTITY_TYPE_OPTION[EntityType.QUOTE],
            "ino_regardingobjectid_quote@odata.bind": f"/quotes({quote['quoteid']})",
        },
    )
    assert job["_ino_regardingobjectid_value"] == quote["quoteid"]
    with pytest.raises(DataverseError) as caught:
        state.create_row("ino_linkjobs", {"ino_regardingobjectid_account@odata.bind": f"/quotes({quote['quoteid']})"})
    assert caught.value.status == 400


def test_transaction_rolls_back_creates_updates_deletes_and_tombstones() -> None:
    state = DataverseState(SandboxClock(), org_url="http://dv.test")
    keep = state.create_row("accounts", {"name": "Keep"})
    stones = len(state.tombstones("accounts"))
    with pytest.raises(RuntimeError), state.transaction():
        state.create_row("accounts", {"name": "New"})
        state.update_row("accounts", keep["accountid"], {"name": "Changed"})
        state.delete_row("accounts", keep["accountid"])
        raise RuntimeError("boom")
    rows = state.rows("accounts")
    assert [r["name"] for r in rows] == ["Keep"]
    assert len(state.tombstones("accounts")) == stones


def test_to_json_round_trip_keeps_rows_versions_switches() -> None:
    clock = SandboxClock()
    state = DataverseState(clock, org_url="http://dv.test")
    row = state.create_row("accounts", {"name": "A", "ino_linkstatus": CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED]})
    state.delete_row("accounts", state.create_row("accounts", {"name": "B"})["accountid"])
    state.deny("contacts", "Write")
    state.set_change_tracking("quotes", False)
    data = json.loads(json.dumps(state.to_json()))
    again = DataverseState.from_json(data, clock)
    assert again.get_row("accounts", row["accountid"]) == row
    assert again.current_version == state.current_version
    assert again.tombstones("accounts") == state.tombstones("accounts")
    assert again.denied == {"contacts": {"Write"}}
    assert again.table("quotes").change_tracking is False
    assert again.create_row("accounts", {"name": "C"})["versionnumber"] > state.current_version


def test_unknown_privilege_is_refused() -> None:
    state = DataverseState(SandboxClock(), org_url="http://dv.test")
    with pytest.raises(ValueError, match="unknown privilege"):
        state.deny("accounts", "Fly")
