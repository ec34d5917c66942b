"""`[[mapping.<entity>]]` in the config: custom field mappings read into `LocatedMapping`s, or one-line errors.

Why a module of its own: the entries are checked as a whole (an entry may not write a field another entry or a
built-in row already writes, may not break the record's name) and every problem must point at the TOML line of
the entry and key, which pydantic's per-field errors cannot do for an array of tables. Pure parsing: nothing here
reads the org's metadata or QuickBooks (that is `config check` against the systems, issue 17 item 3).

TOML shape (the README's "Field mappings" section documents it; `mapping show ENTITY --format toml` writes it):

    [[mapping.account]]
    crm = "accountnumber"
    qbo = "CustomField:Account Number"     # a QuickBooks field path, or a custom field by its definition's name
    direction = "both"                     # both | to_quickbooks | to_crm | on_create
    transform = "copy"                     # copy | truncate | upper | lower | value_map | constant | template
                                           # | lookup | date | money   (and "name", the built-in name cleaning)
    values = { "1" = "Gold" }              # value_map: CRM value (a choice's integer as text, or its label) -> QB
    constant = "..."                       # constant
    template = "{name} ({accountnumber})"  # template: CRM columns in braces
    format = "%Y-%m-%d"                    # date: a strftime format; money: decimal places ("2")

No code runs from the config: a template only substitutes column values, a date format only goes to strftime.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.custom import CUSTOM_FIELD_PREFIX, LocatedMapping, MappingOrigin
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.domain.mapping.tables import (
    DEFAULT_MAPPINGS,
    QBO_ENTITY,
    Direction,
    FieldMapping,
    Transform,
    crm_limit,
    qbo_limit,
)

SECTIONS: dict[str, EntityType] = {et.value.lower().replace(" ", "_"): et for et in DEFAULT_MAPPINGS}
"""`[[mapping.account]]` ... : the Entity Type in lower case, spaces as underscores."""

DIRECTION_NAMES: dict[str, Direction] = {
    "both": Direction.BOTH,
    "to_quickbooks": Direction.TO_QUICKBOOKS,
    "to_crm": Direction.TO_CRM,
    "on_create": Direction.ON_CREATE,
}
TRANSFORM_NAMES: dict[str, Transform] = {t.value.replace(" ", "_"): t for t in Transform}
"""Every transform a config may name; `setting` only in a built-in row written out as it is (its value comes from
[sync]), `name` is the built-in name cleaning (':' and line breaks become '-' and spaces towards QuickBooks)."""

KEYS = ("crm", "qbo", "direction", "transform", "values", "constant", "template", "format")
_PARAMETER_OF: dict[str, Transform] = {
    "values": Transform.VALUE_MAP,
    "constant": Transform.CONSTANT,
    "template": Transform.TEMPLATE,
}
_COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")
_QBO_PATH = re.compile(r"^[A-Z][A-Za-z0-9]*(\.[A-Z][A-Za-z0-9]*)*$")
_ENGINE_QBO_FIELDS = frozenset({"Id", "SyncToken", "MetaData", "sparse", "domain", "Active", "CustomField"})
"""QuickBooks fields only the engine writes (identity, concurrency, Active by the lifecycle policy)."""
_ENGINE_CRM_COLUMNS = frozenset({"versionnumber", "statecode", "statuscode"})
_INOLINK_COLUMNS = ("linkstatus", "accountingid", "accountingref", "promotedby", "promotedon", "syncclaim")
LOOKUP_REFS: dict[str, str | None] = {"ParentRef": None, "CustomerRef": "Customer", "ItemRef": "Item"}
"""QuickBooks references a lookup can resolve, and the QuickBooks entity of the linked record (None: the same
entity as the record's own, e.g. a sub-customer's parent customer). Only records this project links have ids."""
_NAME_FIELDS: dict[str, frozenset[str]] = {
    "Customer": frozenset({"DisplayName"}),
    "Item": frozenset({"Name"}),
}
"""The field that carries a record's name: QuickBooks refuses a record without it (error 6080 / 2020)."""


@dataclass(frozen=True, slots=True)
class _Entry:
    """One entry's TOML lines: the `[[mapping.x]]` header and each key under it."""

    line: int | None
    key_lines: dict[str, int]


_ARRAY = re.compile(r"^\s*\[\[\s*([^\[\]]+?)\s*\]\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"']+)\s*=")


def entry_lines(text: str) -> dict[str, list[_Entry]]:
    """Per section, the lines of each `[[mapping.<section>]]` entry in file order (TOML keeps that order)."""
    found: dict[str, list[_Entry]] = {}
    current: _Entry | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        if array := _ARRAY.match(raw):
            parts = [p.strip().strip("\"'") for p in array.group(1).split(".")]
            current = None
            if len(parts) == 2 and parts[0] == "mapping":
                current = _Entry(number, {})
                found.setdefault(parts[1], []).append(current)
            continue
        if _TABLE.match(raw):
            current = None
            continue
        if current is not None and (key := _KEY.match(raw)):
            current.key_lines.setdefault(key.group(1).strip("\"'"), number)
    return found


class MappingConfigProblem(ValueError):
    """One problem in `[mapping]`, already the whole line (`file:line: mapping.account[3].crm: ...`)."""


def _fail(origin: MappingOrigin, key: str | None, message: str) -> MappingConfigProblem:
    return MappingConfigProblem(f"{origin.where(key)}: {message}")


def _text(origin: MappingOrigin, entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _fail(origin, key, f"expected a string (text in quotes), got {value!r}")
    if not value.strip():
        raise _fail(origin, key, "must not be empty")
    return value.strip()


def template_columns(template: str) -> list[str]:
    """The CRM columns a template names, in order; ValueError for a brace that names no plain column."""
    columns: list[str] = []
    for _, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if spec or conversion or not _COLUMN.match(name):
            raise ValueError(f"{{{name}}} is not a CRM column in braces (only plain logical names, like {{name}})")
        columns.append(name)
    return columns


def _values(origin: MappingOrigin, raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, Mapping) or not raw:
        raise _fail(origin, "values", 'expected a table of CRM value = QuickBooks value, like { "1" = "Gold" }')
    pairs: list[tuple[str, str]] = []
    for crm_value, qbo_value in raw.items():
        if isinstance(qbo_value, bool) or not isinstance(qbo_value, str | int | float):
            raise _fail(origin, "values", f"{crm_value!r}: expected a QuickBooks value as text, got {qbo_value!r}")
        pairs.append((str(crm_value), str(qbo_value)))
    backwards = [q for _, q in pairs]
    if len(set(backwards)) != len(backwards):
        raise _fail(origin, "values", "two CRM values map to one QuickBooks value, so the way back is ambiguous")
    return tuple(pairs)


def _date_format(origin: MappingOrigin, fmt: str) -> str:
    if "%" not in fmt:
        raise _fail(origin, "format", f"{fmt!r} has no strftime directive (like %Y-%m-%d)")
    try:
        date(2024, 1, 31).strftime(fmt)
    except ValueError as exc:
        raise _fail(origin, "format", f"{fmt!r} is not a date format: {exc}") from None
    return fmt


def _qbo_field(origin: MappingOrigin, qbo: str, transform: Transform) -> str:
    if qbo.startswith(CUSTOM_FIELD_PREFIX):
        name = qbo[len(CUSTOM_FIELD_PREFIX) :].strip()
        if not name:
            raise _fail(origin, "qbo", "CustomField: needs the custom field's name, like CustomField:Region")
        return f"{CUSTOM_FIELD_PREFIX}{name}"
    if not _QBO_PATH.match(qbo):
        raise _fail(
            origin, "qbo", f"{qbo!r} is not a QuickBooks field path (like BillAddr.Line1) or CustomField:<name>"
        )
    if qbo.split(".")[0] in _ENGINE_QBO_FIELDS:
        raise _fail(origin, "qbo", f"QuickBooks {qbo} is written by the engine only")
    if transform is Transform.LOOKUP:
        ref = qbo.removesuffix(".value")
        if ref not in LOOKUP_REFS:
            raise _fail(origin, "qbo", f"a lookup resolves only {', '.join(LOOKUP_REFS)} (records this project links)")
        return f"{ref}.value"
    return qbo


def parse_entry(
    entity_type: EntityType, origin: MappingOrigin, entry: Any, *, prefix: str = "ino"
) -> tuple[FieldMapping, bool]:
    """One entry as a FieldMapping, and whether it is a built-in row written out as it is (then not custom)."""
    if not isinstance(entry, Mapping):
        raise _fail(origin, None, "expected a table (an [[mapping.<entity>]] entry)")
    for key in entry:
        if key not in KEYS:
            raise _fail(origin, str(key), f"unknown key {key!r} (known: {', '.join(KEYS)})")
    crm = _text(origin, entry, "crm")
    qbo = _text(origin, entry, "qbo")
    if qbo is None:
        raise _fail(origin, None, "qbo is required: the QuickBooks field (like AcctNum, or CustomField:Region)")
    direction_name = _text(origin, entry, "direction") or "both"
    if direction_name not in DIRECTION_NAMES:
        raise _fail(origin, "direction", f"{direction_name!r}: expected one of {', '.join(DIRECTION_NAMES)}")
    direction = DIRECTION_NAMES[direction_name]
    transform_name = _text(origin, entry, "transform") or "copy"
    if transform_name not in TRANSFORM_NAMES:
        raise _fail(origin, "transform", f"{transform_name!r}: expected one of {', '.join(TRANSFORM_NAMES)}")
    transform = TRANSFORM_NAMES[transform_name]
    plain = FieldMapping(crm, qbo, direction, transform)
    builtin = next((row for row in DEFAULT_MAPPINGS[entity_type] if _same_row(row, plain)), None)
    if builtin is not None and not any(k in entry for k in ("values", "constant", "template", "format")):
        return builtin, True
    if transform is Transform.SETTING:
        raise _fail(origin, "transform", "setting is a built-in row's value from [sync]; use constant instead")
    if crm is not None and not _COLUMN.match(crm):
        raise _fail(origin, "crm", f"{crm!r} is not a CRM column's logical name (lower case, like accountnumber)")
    qbo = _qbo_field(origin, qbo, transform)
    for key, owner in _PARAMETER_OF.items():
        if key in entry and transform is not owner:
            raise _fail(origin, key, f"{key} applies only to transform {owner.value.replace(' ', '_')}")
    if "format" in entry and transform not in (Transform.DATE, Transform.MONEY):
        raise _fail(origin, "format", "format applies only to transform date or money")
    if entity_type.is_transaction and direction not in (Direction.TO_QUICKBOOKS, Direction.ON_CREATE):
        raise _fail(origin, "direction", f"a {entity_type.value} is pushed once: use to_quickbooks or on_create")
    values: tuple[tuple[str, str], ...] = ()
    constant = template = fmt = None
    if transform is Transform.VALUE_MAP:
        if "values" not in entry:
            raise _fail(origin, "values", "value_map needs values = { CRM value = QuickBooks value, ... }")
        values = _values(origin, entry["values"])
    elif transform is Transform.CONSTANT:
        if "constant" not in entry:
            raise _fail(origin, "constant", "transform constant needs constant = the value to write")
        raw = entry["constant"]
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise _fail(origin, "constant", f"expected text or a number, got {raw!r}")
        constant = str(raw)
        if direction is Direction.BOTH:
            raise _fail(origin, "direction", "a constant is written one way: use to_quickbooks, on_create or to_crm")
        if direction is Direction.TO_CRM and crm is None:
            raise _fail(origin, "crm", "a constant to CRM needs the CRM column to write")
    elif transform is Transform.TEMPLATE:
        template = _text(origin, entry, "template")
        if template is None:
            raise _fail(origin, "template", 'transform template needs template = "{column} text {column}"')
        try:
            named = template_columns(template)
        except ValueError as exc:
            raise _fail(origin, "template", str(exc)) from None
        if not named:
            raise _fail(origin, "template", "names no CRM column (put columns in braces, like {name})")
        if direction not in (Direction.TO_QUICKBOOKS, Direction.ON_CREATE):
            raise _fail(origin, "direction", "a template cannot be read back: use to_quickbooks or on_create")
        crm = crm or named[0]
    elif transform is Transform.DATE:
        fmt = _date_format(origin, _text(origin, entry, "format") or "%Y-%m-%d")
    elif transform is Transform.MONEY:
        places = _text(origin, entry, "format") or "2"
        if not places.isdigit() or int(places) > 8:
            raise _fail(origin, "format", f"{places!r}: money's format is its decimal places, 0 to 8")
        fmt = places
    elif transform is Transform.TRUNCATE:
        _check_truncate(origin, entity_type, FieldMapping(crm, qbo, direction, transform))
    if crm is None and transform is not Transform.CONSTANT:
        raise _fail(origin, None, "crm is required: the CRM column's logical name (any prefix, like new_region)")
    if crm is not None:
        _check_crm_column(origin, entity_type, crm, direction, prefix)
    row = FieldMapping(
        crm, qbo, direction, transform, values=values, constant=constant, template=template, fmt=fmt, custom=True
    )
    _check_not_breaking(origin, entity_type, row)
    return row, False


def _check_truncate(origin: MappingOrigin, et: EntityType, row: FieldMapping) -> None:
    """Truncate cuts to the target's documented limit, so each side it writes must have one (domain.limits).

    Intuit's Custom Fields pages (developer.intuit.com/app/developer/qbo/docs/workflows/create-custom-fields)
    document no length for a custom field's StringValue, so a custom field cannot be a truncate target."""
    if row.direction.to_quickbooks and qbo_limit(et, row) is None:
        raise _fail(origin, "transform", f"truncate: QuickBooks {row.qbo} has no documented length limit; use copy")
    if row.direction.to_crm and crm_limit(et, row) is None:
        raise _fail(origin, "transform", f"truncate: no documented length is known here for CRM {row.crm}; use copy")


def _same_row(a: FieldMapping, b: FieldMapping) -> bool:
    return (a.crm, a.qbo, a.direction, a.transform) == (b.crm, b.qbo, b.direction, b.transform)


def _check_crm_column(origin: MappingOrigin, et: EntityType, crm: str, direction: Direction, prefix: str) -> None:
    if direction.to_crm and (
        crm in _ENGINE_CRM_COLUMNS or crm == PRIMARY_KEY[et] or crm in {f"{prefix}_{c}" for c in _INOLINK_COLUMNS}
    ):
        raise _fail(origin, "crm", f"CRM {crm} is written by the engine only")


def _check_not_breaking(origin: MappingOrigin, et: EntityType, row: FieldMapping) -> None:
    """A custom row may add a field or change one, never take away what QuickBooks needs to keep the record."""
    names = _NAME_FIELDS.get(QBO_ENTITY[et], frozenset())
    if row.qbo in names and not row.direction.to_quickbooks:
        raise _fail(
            origin,
            "direction",
            f"QuickBooks {row.qbo} carries the record's name; a mapping of it must still go to QuickBooks",
        )
    if row.qbo in names and row.transform in (Transform.CONSTANT, Transform.VALUE_MAP):
        raise _fail(
            origin,
            "transform",
            f"QuickBooks {row.qbo} is the record's unique name; a {row.transform.value} "
            "would give every record the same or a clashing name",
        )


def load_mappings(raw: Any, path: Path, text: str, *, prefix: str = "ino") -> tuple[LocatedMapping, ...]:
    """Every `[[mapping.<entity>]]` entry, checked; MappingConfigProblem (one line) for the first bad one."""
    if raw is None:
        return ()
    top = MappingOrigin(path, "", 0)
    if not isinstance(raw, Mapping):
        raise MappingConfigProblem(f"{path}: mapping: expected tables like [[mapping.account]], got {raw!r}")
    lines = entry_lines(text)
    out: list[LocatedMapping] = []
    for section, entries in raw.items():
        if section not in SECTIONS:
            line = lines.get(section, [_Entry(None, {})])[0].line
            place = f"{path}:{line}" if line else str(path)
            raise MappingConfigProblem(
                f"{place}: mapping.{section}: unknown Entity Type (known: {', '.join(SECTIONS)})"
            )
        if not isinstance(entries, list):
            raise MappingConfigProblem(f"{top.file}: mapping.{section}: expected [[mapping.{section}]] entries")
        et = SECTIONS[section]
        located = lines.get(section, [])
        writers: dict[tuple[str, bool], MappingOrigin] = {}
        for index, entry in enumerate(entries):
            where = located[index] if index < len(located) else _Entry(None, {})
            origin = MappingOrigin(path, section, index, where.line, dict(where.key_lines))
            row, builtin = parse_entry(et, origin, entry, prefix=prefix)
            if builtin:
                continue  # the built-in row written out as it is (`mapping show --format toml`): nothing changes
            _check_one_writer(origin, row, writers)
            replaces = any(_same_target(b, row) for b in DEFAULT_MAPPINGS[et])
            out.append(LocatedMapping(et, row, origin, replaces=replaces))
    return tuple(out)


def _same_target(builtin: FieldMapping, row: FieldMapping) -> bool:
    return builtin.crm == row.crm and builtin.qbo == row.qbo


def _check_one_writer(origin: MappingOrigin, row: FieldMapping, writers: dict[tuple[str, bool], MappingOrigin]) -> None:
    """Two entries may not write the same field of one side (which would win would depend on their order)."""
    targets: list[tuple[str, bool]] = []
    if row.direction.to_quickbooks:
        targets.append((row.qbo, True))
    if row.direction.to_crm and row.crm:
        targets.append((row.crm, False))
    for target in targets:
        other = writers.get(target)
        if other is not None:
            side = "QuickBooks" if target[1] else "CRM"
            raise _fail(
                origin,
                "qbo" if target[1] else "crm",
                f"{side} {target[0]} is already written by mapping.{other.section}[{other.index}]",
            )
        writers[target] = origin


def entry_of(row: FieldMapping) -> dict[str, Any]:
    """The TOML table of one row, as `load_mappings` reads it back (`mapping show --format toml`)."""
    entry: dict[str, Any] = {}
    if row.crm:
        entry["crm"] = row.crm
    entry["qbo"] = row.qbo
    entry["direction"] = next(name for name, d in DIRECTION_NAMES.items() if d is row.direction)
    entry["transform"] = row.transform.value.replace(" ", "_")
    if row.values:
        entry["values"] = dict(row.values)
    if row.constant is not None:
        entry["constant"] = row.constant
    if row.template is not None:
        entry["template"] = row.template
    if row.fmt is not None:
        entry["format"] = row.fmt
    return entry
