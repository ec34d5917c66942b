"""The in-memory Dataverse organisation: tables of rows, the org-wide row version, and delete tombstones.

Both the Web API and Python callers (the seed, simulated users) write through `create_row` /
`update_row` / `delete_row`, so every write bumps `versionnumber`, stamps modifiedon/modifiedby and
is visible to change tracking whichever way it arrived. A `transaction()` journals every mutation
so a failed `$batch` changeset can be rolled back exactly.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.customize import Customizations
from inolink_tui.sandbox.dataverse.exchange import stamp_currency
from inolink_tui.sandbox.dataverse.keys import parse_key
from inolink_tui.sandbox.dataverse.schema import Column, Kind, Table, build_tables
from inolink_tui.sandbox.dataverse.schema_units import DEFAULT_UNIT_GROUP, PRIMARY_UNIT
from inolink_tui.sandbox.dataverse.values import coerce, format_datetime

Row = dict[str, Any]
PRIVILEGES = ("Create", "Read", "Write", "Delete", "Append", "AppendTo")
_NAMESPACE = uuid.UUID("5b7f3a52-9d0e-4c1b-8a55-1d2c3e4f5a6b")
DEFAULT_DELTA_TOKEN_LIFETIME = 7 * 86400.0
API_PATH = "/api/data/v9.2/"


class DataverseState:
    """One Dataverse environment. Not thread-safe: the sandbox serves it from one event loop."""

    def __init__(self, clock: SandboxClock, *, org_url: str, bare: bool = False) -> None:
        self.clock = clock
        self.org_url = org_url.rstrip("/")
        self.bare = bare
        """A stock environment (`sandbox serve --bare-org`): no InoLink schema until a client creates it."""
        self.tables: dict[str, Table] = build_tables(bare=bare)
        self.customizations = Customizations()
        self.denied_privileges: set[str] = set()
        """Named privileges (`prvCreateAttribute`, `prvReadAccount`, ...) taken from API callers."""
        self._rows: dict[str, dict[str, Row]] = {name: {} for name in self.tables}
        self._tombstones: dict[str, list[tuple[int, str]]] = {name: [] for name in self.tables}
        self._version = 1_000_000
        self._journal: list[Callable[[], None]] | None = None
        self._key_index: dict[tuple[str, str], dict[tuple[Any, ...], str]] = {}
        self.denied: dict[str, set[str]] = {}
        self.delta_token_lifetime = DEFAULT_DELTA_TOKEN_LIFETIME
        self.organization_id = str(uuid.uuid5(_NAMESPACE, "organization"))
        self.business_unit_id = str(uuid.uuid5(_NAMESPACE, "businessunit"))
        self.system_user_id = str(uuid.uuid5(_NAMESPACE, "SYSTEM"))
        self.create_row("businessunits", {"businessunitid": self.business_unit_id, "name": "inolink"})
        self.create_row(
            "systemusers",
            {
                "systemuserid": self.system_user_id,
                "fullname": "SYSTEM",
                "_businessunitid_value": self.business_unit_id,
                "accessmode": 4,
            },
        )
        self._seed_publishers()
        self._seed_units()

    def _seed_units(self) -> None:
        """The unit group "Default Unit" with its base unit "Primary Unit" (see schema_units.py)."""
        group = str(uuid.uuid5(_NAMESPACE, "uomschedule:default"))
        unit = str(uuid.uuid5(_NAMESPACE, "uom:primary"))
        self.create_row(
            "uomschedules", {"uomscheduleid": group, "name": DEFAULT_UNIT_GROUP, "baseuomname": PRIMARY_UNIT}
        )
        self.create_row("uoms", {"uomid": unit, "name": PRIMARY_UNIT, "_uomscheduleid_value": group, "quantity": 1})

    def _seed_publishers(self) -> None:
        """Every org has a default publisher (prefix `new` here; real orgs often get a `cr`+hex one).

        The prepared org also has InoLink's publisher and solution, as an org that installed it would.
        """
        publishers = [("DefaultPublisher", "Default Publisher", "new", "Default", "Default Solution")]
        if not self.bare:
            publishers.append(("inolink", "InoLink", "ino", "InoLink", "InoLink"))
        for unique, friendly, prefix, solution, solution_name in publishers:
            publisher = str(uuid.uuid5(_NAMESPACE, f"publisher:{unique}"))
            row = {"uniquename": unique, "friendlyname": friendly, "customizationprefix": prefix}
            self.create_row("publishers", {"publisherid": publisher, **row, "customizationoptionvalueprefix": 10000})
            solution_id = str(uuid.uuid5(_NAMESPACE, f"solution:{solution}"))
            row = {"uniquename": solution, "friendlyname": solution_name, "version": "1.0"}
            self.create_row("solutions", {"solutionid": solution_id, **row, "_publisherid_value": publisher})

    def unregister_table(self, table: Table) -> None:
        """Remove a table created through the metadata API, with its rows."""
        self.tables.pop(table.entity_set, None)
        self._rows.pop(table.entity_set, None)
        self._tombstones.pop(table.entity_set, None)

    # ----- schema changes (the metadata API, through customize.Customizations) -----

    def register_table(self, table: Table) -> None:
        """Add a new table with no rows (its entity set becomes addressable at once)."""
        self.tables[table.entity_set] = table
        self._rows.setdefault(table.entity_set, {})
        self._tombstones.setdefault(table.entity_set, [])

    def put_column(self, table: Table, column: Column) -> None:
        """Add a column (existing rows read it as null) or replace one, e.g. a lookup gaining a target."""
        table.columns[column.key] = column
        for row in self._rows[table.entity_set].values():
            row.setdefault(column.key, None)

    def drop_column(self, table: Table, key: str) -> None:
        """Remove a column and its values (the control API's way to break an org for `doctor` tests)."""
        table.columns.pop(key, None)
        table.alternate_keys = tuple(k for k in table.alternate_keys if key not in k.columns)
        for row in self._rows[table.entity_set].values():
            row.pop(key, None)

    def reindex(self, table: Table) -> None:
        """Rebuild the alternate-key indexes of a table (after a key became Active)."""
        for key in table.alternate_keys:
            self._key_index[(table.entity_set, key.name)] = {}
        for row_id, row in list(self._rows[table.entity_set].items()):
            self._store(table.entity_set, row_id, row)

    # ----- public Python API (seed, simulated users, tests) -----

    def table(self, entity_set: str) -> Table:
        """The schema of an entity set, or a 400 `0x80060888` naming the unknown segment."""
        table = self.tables.get(entity_set)
        if table is None:
            raise errors.segment_not_found(entity_set)
        return table

    def create_row(self, entity_set: str, row: dict[str, Any], *, user_id: str | None = None) -> dict[str, Any]:
        """Insert a row. Accepts `_x_value` lookups (unlike the Web API) as well as `<Nav>@odata.bind`."""
        table = self.table(entity_set)
        values = self.resolve_body(table, row, allow_lookup_values=True)
        return copy.deepcopy(self.insert(table, values, user_id=user_id))

    def update_row(
        self, entity_set: str, row_id: str, changes: dict[str, Any], *, user_id: str | None = None
    ) -> dict[str, Any]:
        table = self.table(entity_set)
        existing = self.find(table, row_id)
        values = self.resolve_body(table, changes, allow_lookup_values=True)
        return copy.deepcopy(self.update(table, existing, values, user_id=user_id))

    def delete_row(self, entity_set: str, row_id: str) -> None:
        table = self.table(entity_set)
        self.delete(table, self.find(table, row_id))

    def rows(self, entity_set: str) -> list[dict[str, Any]]:
        self.table(entity_set)
        return [copy.deepcopy(r) for r in self._rows[entity_set].values()]

    def get_row(self, entity_set: str, row_id: str) -> dict[str, Any] | None:
        self.table(entity_set)
        row = self._rows[entity_set].get(row_id.lower())
        return copy.deepcopy(row) if row is not None else None

    def deny(self, entity_set: str, privilege: str) -> None:
        """Take a privilege (Create, Read, Write, Delete, Append, AppendTo) from API callers on one table."""
        self.table(entity_set)
        if privilege not in PRIVILEGES:
            raise ValueError(f"unknown privilege {privilege!r} (choose from {', '.join(PRIVILEGES)})")
        self.denied.setdefault(entity_set, set()).add(privilege)

    def allow(self, entity_set: str, privilege: str) -> None:
        self.denied.get(entity_set, set()).discard(privilege)

    def set_change_tracking(self, entity_set: str, enabled: bool) -> None:
        self.table(entity_set).change_tracking = enabled

    def app_user_for(self, client_id: str) -> str:
        """The application user (a systemuser) mapped to an Entra app registration; created on first use."""
        user_id = str(uuid.uuid5(_NAMESPACE, f"app:{client_id.lower()}"))
        if user_id not in self._rows["systemusers"]:
            self.create_row(
                "systemusers",
                {
                    "systemuserid": user_id,
                    "fullname": f"# {client_id}",
                    "applicationid": client_id.lower(),
                    "_businessunitid_value": self.business_unit_id,
                    "accessmode": 4,
                },
            )
        return user_id

    @property
    def current_version(self) -> int:
        """The highest row version handed out so far (the change-tracking watermark)."""
        return self._version

    # ----- lookups used by the Web API -----

    def row_map(self, entity_set: str) -> dict[str, Row]:
        """The live rows of a set (callers must not mutate them)."""
        return self._rows[entity_set]

    def tombstones(self, entity_set: str) -> list[tuple[int, str]]:
        return self._tombstones[entity_set]

    def find(self, table: Table, row_id: str) -> Row:
        row = self._rows[table.entity_set].get(row_id.lower())
        if row is None:
            raise errors.not_found(table.logical_name, row_id)
        return row

    def find_by_key(self, table: Table, key: dict[str, Any]) -> Row | None:
        """A row by alternate key; string values compare case-insensitively as in SQL Server."""
        for alternate in table.alternate_keys:
            if set(alternate.columns) == set(key):
                wanted = _key_values(key, alternate.columns)
                row_id = self._key_index.get((table.entity_set, alternate.name), {}).get(wanted) if wanted else None
                return self._rows[table.entity_set].get(row_id) if row_id else None
        for row in self._rows[table.entity_set].values():
            if all(_same(row.get(col), value) for col, value in key.items()):
                return row
        return None

    def lookup_target(self, column: Column, value: str | None) -> tuple[str, str, Row] | None:
        """(navigation property, entity set, row) a lookup value points at; polymorphic lookups are searched."""
        if value is None:
            return None
        for nav, entity_set in column.targets.items():
            row = self._rows.get(entity_set, {}).get(value)
            if row is not None:
                return nav, entity_set, row
        return None

    def entity_url(self, table: Table, row_id: str) -> str:
        return f"{self.org_url}{API_PATH}{table.entity_set}({row_id})"

    # ----- write path -----

    def resolve_body(self, table: Table, body: dict[str, Any], *, allow_lookup_values: bool = False) -> Row:
        """Turn a write body into column values: binds resolved, types checked, unknown names rejected."""
        values: Row = {}
        for name, value in body.items():
            if name.endswith("@odata.bind"):
                nav = name[: -len("@odata.bind")]
                found = table.navigation(nav)
                if found is None:
                    raise errors.bad_request(
                        f"An undeclared property '{nav}' which only has property annotations in the payload but no "
                        "property value was found in the payload. In OData, only declared navigation properties and "
                        "declared named streams can be represented as properties without values.",
                        errors.URL_NOT_PARSED,
                    )
                lookup, target_set = found
                values[lookup.key] = None if value is None else self._resolve_bind(target_set, value)
                continue
            if "@" in name:
                continue  # instance annotations such as "@odata.type" carry no data
            column = table.column(name)
            if column is None:
                if table.navigation(name) is not None or name in table.collections:
                    raise errors.bad_request(
                        f"Deep insert through '{name}' is not supported by the sandbox; bind existing rows with "
                        f"'{name}@odata.bind' instead."
                    )
                raise errors.unknown_payload_property(table.logical_name, name)
            if column.kind is Kind.LOOKUP and not allow_lookup_values:
                raise errors.bad_request(
                    "CRM do not support direct update of Entity Reference properties, Use Navigation properties "
                    "instead.",
                    errors.URL_NOT_PARSED,
                )
            if column.read_only and not allow_lookup_values:
                continue  # the service ignores attempts to set system columns
            values[column.key] = coerce(table, column, value)
        return values

    def _resolve_bind(self, target_set: str, ref: Any) -> str:
        if not isinstance(ref, str):
            raise errors.bad_request(f"The value '{ref}' of an @odata.bind annotation is not a valid entity URL.")
        text = ref
        if text.startswith(self.org_url):
            text = text[len(self.org_url) :]
        if text.startswith(API_PATH):
            text = text[len(API_PATH) :]
        text = text.lstrip("/")
        open_at = text.find("(")
        if open_at <= 0 or not text.endswith(")"):
            raise errors.segment_not_found(text)
        entity_set, key_text = text[:open_at], text[open_at + 1 : -1]
        if entity_set not in self.tables:
            raise errors.segment_not_found(entity_set)
        table = self.tables[entity_set]
        if entity_set != target_set:
            raise errors.bad_request(
                f"The entity set '{entity_set}' is not a valid target of this navigation property; expected "
                f"'{target_set}'.",
                errors.URL_NOT_PARSED,
            )
        key = parse_key(table, key_text)
        if isinstance(key, str):
            return str(self.find(table, key)[table.primary_key])
        row = self.find_by_key(table, key)
        if row is None:
            raise errors.alt_key_not_found(table.logical_name, key_text)
        return str(row[table.primary_key])

    def _next_version(self) -> int:
        self._version += 1
        return self._version

    def insert(self, table: Table, values: Row, *, user_id: str | None = None) -> Row:
        """Create a row from resolved values, filling the key, system columns and nulls for the rest."""
        pk = table.primary_key
        row_id = values.get(pk) or str(uuid.uuid4())
        if row_id in self._rows[table.entity_set]:
            raise errors.duplicate_record()
        now = format_datetime(self.clock.now())
        actor = user_id or self.system_user_id
        row: Row = {col.key: None for col in table.columns.values()}
        row.update(values)
        row.update(
            {
                pk: row_id,
                "createdon": values.get("createdon") or now,  # the seed may backdate history
                "modifiedon": values.get("modifiedon") or now,
                "_createdby_value": actor,
                "_modifiedby_value": actor,
                "versionnumber": self._next_version(),
            }
        )
        if row.get("_ownerid_value") is None:
            row["_ownerid_value"] = actor
        _derive(table, row)
        stamp_currency(self, table, row, values)
        self._check_keys(table, row)
        self._put(table.entity_set, row_id, row)
        return row

    def update(self, table: Table, existing: Row, values: Row, *, user_id: str | None = None) -> Row:
        row = dict(existing)
        values = {k: v for k, v in values.items() if k != table.primary_key}
        row.update(values)
        _derive(table, row)
        stamp_currency(self, table, row, values)
        if any(col in values for key in table.alternate_keys for col in key.columns):
            self._check_keys(table, row)
        row["modifiedon"] = format_datetime(self.clock.now())
        row["_modifiedby_value"] = user_id or self.system_user_id
        row["versionnumber"] = self._next_version()
        self._put(table.entity_set, row[table.primary_key], row)
        return row

    def delete(self, table: Table, row: Row) -> None:
        """Delete a row: detail lines go with their parent, other lookups to it are cleared."""
        row_id = row[table.primary_key]
        self._put(table.entity_set, row_id, None)
        self._tombstone(table.entity_set, row_id)
        for other in self.tables.values():
            for column in other.columns.values():
                if table.entity_set not in column.targets.values():
                    continue
                for child in [r for r in self._rows[other.entity_set].values() if r.get(column.key) == row_id]:
                    if column.cascade_delete:
                        self.delete(other, child)
                    else:
                        self.update(other, child, {column.key: None})

    def _check_keys(self, table: Table, row: Row) -> None:
        for key in table.alternate_keys:
            wanted = {col: row.get(col) for col in key.columns}
            if any(v is None for v in wanted.values()):
                continue
            other = self.find_by_key(table, wanted)
            if other is not None and other[table.primary_key] != row[table.primary_key]:
                raise errors.duplicate_key(key.display, key.display + " Key")

    def _put(self, entity_set: str, row_id: str, row: Row | None) -> None:
        previous = self._rows[entity_set].get(row_id)
        self._store(entity_set, row_id, row)
        if self._journal is not None:
            self._journal.append(lambda: self._store(entity_set, row_id, previous))

    def _store(self, entity_set: str, row_id: str, row: Row | None) -> None:
        """Replace or remove a row, keeping the alternate-key indexes in step."""
        rows = self._rows[entity_set]
        table = self.tables[entity_set]
        previous = rows.get(row_id)
        for key in table.alternate_keys:
            index = self._key_index.setdefault((entity_set, key.name), {})
            if previous is not None:
                old = _key_values(previous, key.columns)
                if old is not None and index.get(old) == row_id:
                    del index[old]
            if row is not None:
                new = _key_values(row, key.columns)
                if new is not None:
                    index[new] = row_id
        if row is None:
            rows.pop(row_id, None)
        else:
            rows[row_id] = row

    def _tombstone(self, entity_set: str, row_id: str) -> None:
        stones = self._tombstones[entity_set]
        stones.append((self._next_version(), row_id))
        if self._journal is not None:

            def undo() -> None:
                stones.pop()

            self._journal.append(undo)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All-or-nothing writes (a `$batch` changeset): any exception undoes every mutation made inside."""
        if self._journal is not None:
            yield
            return
        self._journal = []
        try:
            yield
        except BaseException:
            for undo in reversed(self._journal):
                undo()
            raise
        finally:
            self._journal = None

    # ----- persistence (--state) -----

    def to_json(self) -> dict[str, Any]:
        return {
            "org_url": self.org_url,
            "bare": self.bare,
            "customizations": self.customizations.to_json(),
            "denied_privileges": sorted(self.denied_privileges),
            "version": self._version,
            "rows": {name: list(rows.values()) for name, rows in self._rows.items()},
            "tombstones": {name: [list(t) for t in stones] for name, stones in self._tombstones.items()},
            "denied": {name: sorted(p) for name, p in self.denied.items() if p},
            "change_tracking": {name: t.change_tracking for name, t in self.tables.items()},
            "delta_token_lifetime": self.delta_token_lifetime,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], clock: SandboxClock) -> DataverseState:
        state = cls(clock, org_url=str(data["org_url"]), bare=bool(data.get("bare", False)))
        saved = data.get("customizations", {})
        state.customizations.key_index_seconds = float(saved.get("key_index_seconds", 2.0))
        for op in saved.get("journal", []):
            state.customizations.apply(state, op, replay=True)
        state.denied_privileges = set(data.get("denied_privileges", []))
        for name, rows in data.get("rows", {}).items():
            if name in state._rows:
                primary_key = state.tables[name].primary_key
                for row in rows:
                    state._store(name, str(row[primary_key]), dict(row))
        for name, stones in data.get("tombstones", {}).items():
            if name in state._tombstones:
                state._tombstones[name] = [(int(v), str(i)) for v, i in stones]
        state._version = max(state._version, int(data.get("version", 0)))
        state.denied = {name: set(p) for name, p in data.get("denied", {}).items()}
        for name, enabled in data.get("change_tracking", {}).items():
            if name in state.tables:
                state.tables[name].change_tracking = bool(enabled)
        state.delta_token_lifetime = float(data.get("delta_token_lifetime", DEFAULT_DELTA_TOKEN_LIFETIME))
        return state


def _key_values(row: dict[str, Any], columns: tuple[str, ...]) -> tuple[Any, ...] | None:
    """An alternate key's index entry (strings case-folded); None when any key column is empty."""
    values = tuple(row.get(c) for c in columns)
    if any(v is None for v in values):
        return None
    return tuple(v.casefold() if isinstance(v, str) else v for v in values)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    return bool(a == b)


def _derive(table: Table, row: Row) -> None:
    """Computed columns: a contact's or user's fullname follows first and last name, as in CRM."""
    if table.entity_set in ("contacts", "systemusers") and (row.get("firstname") or row.get("lastname")):
        row["fullname"] = " ".join(p for p in (row.get("firstname"), row.get("lastname")) if p)
