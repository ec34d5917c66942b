"""Schema changes at run time: what the metadata API creates, kept as a journal so `--state` replays it.

Every customization (a table, a column, an alternate key, a relationship's navigation names, a global
option set, a removed column) goes through `Customizations.apply`, which changes the live schema in
`DataverseState.tables` and appends the same operation, as JSON, to `journal`. Loading a saved state
builds the base org (prepared or bare) and replays the journal, so a later change to `schema.py` (a
new column in the prepared org) still reaches orgs saved before it.

Alternate keys are not usable at once: Dataverse builds their index in a system job and reports the
progress in `EntityKeyIndexStatus` (Pending, InProgress, Active, Failed; Microsoft Learn, "Define
alternate keys to reference rows", section "Monitor index creation for alternate keys"). The sandbox
models that with `key_index_seconds` of service time; a key whose columns already hold duplicate values
ends Failed, as the index creation would.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.dataverse.schema import AlternateKey, CollectionNav, Column, Kind, Table

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState

NAMESPACE = uuid.UUID("8e1f0c7a-2b3d-4e5f-8a9b-0c1d2e3f4a5b")
DEFAULT_KEY_INDEX_SECONDS = 2.0


def metadata_id(*parts: str) -> str:
    """A stable MetadataId: the same table or column has the same id in every run and after a restart."""
    return str(uuid.uuid5(NAMESPACE, ".".join(parts)))


@dataclass
class OptionSet:
    """A global option set (GlobalOptionSetDefinitions)."""

    name: str
    options: dict[int, str]
    display: str = ""
    custom: bool = True

    @property
    def metadata_id(self) -> str:
        return metadata_id("optionset", self.name)


@dataclass
class PendingKey:
    entity_set: str
    key: AlternateKey
    ready_at: float
    status: str = "Pending"


@dataclass
class Customizations:
    """The metadata the sandbox adds on top of `schema.py`, and the journal that rebuilds it."""

    key_index_seconds: float = DEFAULT_KEY_INDEX_SECONDS
    option_sets: dict[str, OptionSet] = field(default_factory=dict)
    relationship_names: dict[str, str] = field(default_factory=dict)
    """`<referencing>.<lookup>.<referenced>` -> relationship SchemaName, for relationships created by name."""
    key_status: dict[str, PendingKey] = field(default_factory=dict)
    """`<entity set>.<key name>` -> index status, for keys created through the API."""
    journal: list[dict[str, Any]] = field(default_factory=list)
    next_otc: int = 10_100

    # ----- applying operations (live, and when replaying a saved journal) -----

    def apply(self, state: DataverseState, op: dict[str, Any], *, replay: bool = False) -> None:
        """Make one change and journal it; `replay` (loading --state) restarts an unfinished key index."""
        kind = op["op"]
        if kind == "add_table":
            table = table_from_json(op["table"])
            state.register_table(table)
            self.next_otc = max(self.next_otc, table.otc + 1)
        elif kind == "put_column":
            state.put_column(state.tables[op["entity_set"]], column_from_json(op["column"]))
        elif kind == "drop_column":
            state.drop_column(state.tables[op["entity_set"]], str(op["key"]))
        elif kind == "table_labels":
            table = state.tables[op["entity_set"]]
            table.display, table.collection_display = str(op["display"]), str(op["collection_display"])
        elif kind == "drop_collection":
            state.tables[op["entity_set"]].collections.pop(str(op["name"]), None)
        elif kind == "drop_table":
            state.unregister_table(state.tables[op["entity_set"]])
        elif kind == "drop_key":
            table = state.tables[op["entity_set"]]
            table.alternate_keys = tuple(k for k in table.alternate_keys if k.name != op["name"])
            self.key_status.pop(f"{table.entity_set}.{op['name']}", None)
        elif kind == "add_collection":
            table = state.tables[op["entity_set"]]
            nav = CollectionNav(str(op["name"]), str(op["target_set"]), str(op["lookup"]))
            table.collections[nav.name] = nav
        elif kind == "relationship_name":
            self.relationship_names[str(op["id"])] = str(op["schema_name"])
        elif kind == "option_set":
            options = {int(k): str(v) for k, v in op["options"].items()}
            self.option_sets[op["name"]] = OptionSet(op["name"], options, str(op.get("display", "")))
        elif kind == "add_key":
            key = AlternateKey(str(op["name"]), tuple(op["columns"]), str(op["display"]))
            pending = PendingKey(str(op["entity_set"]), key, float(op["ready_at"]), str(op.get("status", "Pending")))
            if replay and pending.status not in ("Active", "Failed"):  # the saved clock's readings mean nothing now
                pending.ready_at = state.clock.monotonic() + self.key_index_seconds
            self.key_status[f"{pending.entity_set}.{key.name}"] = pending
            if pending.status == "Active":
                _activate(state, pending)
        else:
            raise ValueError(f"unknown customization {kind!r}")
        self.journal.append(op)

    def tick(self, state: DataverseState) -> None:
        """Advance index creation of new alternate keys to the service clock."""
        now = state.clock.monotonic()
        for pending in self.key_status.values():
            if pending.status in ("Active", "Failed"):
                continue
            if now >= pending.ready_at:
                pending.status = "Active" if _unique(state, pending) else "Failed"
                if pending.status == "Active":
                    _activate(state, pending)
                self._record_status(pending)
            elif now >= pending.ready_at - self.key_index_seconds / 2:
                pending.status = "InProgress"

    def _record_status(self, pending: PendingKey) -> None:
        for op in self.journal:
            if op["op"] == "add_key" and op["entity_set"] == pending.entity_set and op["name"] == pending.key.name:
                op["status"] = pending.status

    def key_index_status(self, entity_set: str, key_name: str) -> str:
        """EntityKeyIndexStatus: keys that came with the org are Active."""
        pending = self.key_status.get(f"{entity_set}.{key_name}")
        return pending.status if pending is not None else "Active"

    def pending_keys(self, entity_set: str) -> list[AlternateKey]:
        """Keys created through the API whose index is not Active (they are not in `Table.alternate_keys` yet)."""
        return [p.key for p in self.key_status.values() if p.entity_set == entity_set and p.status != "Active"]

    def to_json(self) -> dict[str, Any]:
        return {"key_index_seconds": self.key_index_seconds, "journal": self.journal}


def _unique(state: DataverseState, pending: PendingKey) -> bool:
    seen: set[tuple[Any, ...]] = set()
    for row in state.row_map(pending.entity_set).values():
        values = tuple(row.get(c) for c in pending.key.columns)
        if any(v is None for v in values):
            continue
        folded = tuple(v.casefold() if isinstance(v, str) else v for v in values)
        if folded in seen:
            return False
        seen.add(folded)
    return True


def _activate(state: DataverseState, pending: PendingKey) -> None:
    table = state.tables[pending.entity_set]
    if all(k.name != pending.key.name for k in table.alternate_keys):
        table.alternate_keys = (*table.alternate_keys, pending.key)
        state.reindex(table)


# ----- JSON codec for schema objects (journal entries) -----


def column_to_json(column: Column) -> dict[str, Any]:
    data = asdict(column)
    data["kind"] = column.kind.name
    data["options"] = {str(k): v for k, v in column.options.items()}
    return data


def column_from_json(data: dict[str, Any]) -> Column:
    values = dict(data)
    values["kind"] = Kind[str(values["kind"])]
    values["options"] = {int(k): str(v) for k, v in dict(values.get("options", {})).items()}
    return Column(**values)


def table_to_json(table: Table) -> dict[str, Any]:
    return {
        "logical_name": table.logical_name,
        "entity_set": table.entity_set,
        "primary_key": table.primary_key,
        "primary_name": table.primary_name,
        "columns": [column_to_json(c) for c in table.columns.values()],
        "otc": table.otc,
        "display": table.display,
        "change_tracking": table.change_tracking,
        "schema_name": table.schema_name,
        "ownership": table.ownership,
        "custom": table.custom,
        "collection_display": table.collection_display,
    }


def table_from_json(data: dict[str, Any]) -> Table:
    columns = [column_from_json(c) for c in data["columns"]]
    return Table(
        logical_name=str(data["logical_name"]),
        entity_set=str(data["entity_set"]),
        primary_key=str(data["primary_key"]),
        primary_name=str(data["primary_name"]),
        columns={c.key: c for c in columns},
        otc=int(data["otc"]),
        display=str(data["display"]),
        change_tracking=bool(data.get("change_tracking", False)),
        schema_name=str(data.get("schema_name", "")),
        ownership=str(data.get("ownership", "UserOwned")),
        custom=bool(data.get("custom", True)),
        collection_display=str(data.get("collection_display", "")),
    )


def with_target(column: Column, nav: str, entity_set: str) -> Column:
    """A lookup column with one more target (a multi-table lookup gains a relationship)."""
    return replace(column, targets={**column.targets, nav: entity_set})
