"""Customizations survive `--state`: the journal replays tables, columns, keys and labels on a fresh org."""

from __future__ import annotations

import json

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.dataverse.customize import column_to_json
from inolink_tui.sandbox.dataverse.schema import Column, Kind
from inolink_tui.sandbox.dataverse.state import DataverseState


def test_journal_replays_on_a_fresh_bare_org() -> None:
    state = DataverseState(SandboxClock(1.0), org_url="http://dv.test", bare=True)
    custom = state.customizations
    column = Column("ino_ref", Kind.STRING, max_length=10, custom=True, schema_name="ino_Ref")
    custom.apply(state, {"op": "put_column", "entity_set": "accounts", "column": column_to_json(column)})
    custom.apply(
        state,
        {"op": "add_key", "entity_set": "accounts", "name": "ino_refkey", "columns": ["ino_ref"], "display": "Ref",
         "ready_at": state.clock.monotonic() + 10_000, "status": "Pending"},
    )  # fmt: skip
    custom.apply(
        state, {"op": "table_labels", "entity_set": "accounts", "display": "Client", "collection_display": "C"}
    )
    saved = json.loads(json.dumps(state.to_json()))

    loaded = DataverseState.from_json(saved, SandboxClock(1.0))
    assert loaded.bare and "ino_ref" in loaded.tables["accounts"].columns
    assert loaded.tables["accounts"].columns["ino_ref"].max_length == 10
    assert loaded.tables["accounts"].display == "Client"
    assert loaded.customizations.key_index_status("accounts", "ino_refkey") == "Pending"
    pending = loaded.customizations.key_status["accounts.ino_refkey"]
    assert pending.ready_at <= loaded.clock.monotonic() + loaded.customizations.key_index_seconds  # restarted
    assert "ino_linkjobs" not in loaded.tables
