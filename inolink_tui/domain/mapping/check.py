"""Checking custom mappings against what both systems really have (issue 17 item 3), before anything runs.

Pure logic: the caller reads the org's column definitions and QuickBooks' custom field definitions
(`engine/mapping_metadata.py`) and passes them in; `None` means "not read" (an offline `config check`), and the
checks that need it are skipped. Without any metadata the QuickBooks field table (`qbo_fields.py`) still applies.

What is refused, one `MappingProblem` per finding (the first per row and key is enough to act on):

* the CRM column does not exist on the entity's table (a `{column}` of a template included);
* its type does not fit the transform (text transforms need String or Memo, a value map a choice, Yes/No or
  text, money a number, date a DateTime, lookup a lookup, copy anything but a lookup or a choice);
* a length that cannot fit: CRM's MaxLength over a QuickBooks limit that refuses (domain.limits, or a custom
  field's 31 characters) when writing to QuickBooks, or QuickBooks' limit over the CRM MaxLength when writing
  to CRM, unless the transform is truncate (Dataverse refuses a too-long value: values.py of the sandbox, from
  Learn's "The length of the 'x' attribute ... exceeded the maximum allowed length");
* a value map's CRM values that are not a choice's value or label;
* the QuickBooks field is unknown on the entity, or read-only while the direction writes it;
* a `CustomField:<name>` without an active definition of that name for the entity, or a Number custom field fed
  by a column that is not a number.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from inolink_tui.domain.enums import CRM_LOGICAL_NAME_FOR, EntityType
from inolink_tui.domain.limits import Overflow
from inolink_tui.domain.mapping.custom import CUSTOM_FIELD_PREFIX, LocatedMapping, MappingProblem
from inolink_tui.domain.mapping.qbo_fields import CUSTOM_FIELD_ENTITIES, CUSTOM_FIELD_STRING_MAX, READ_ONLY, WRITABLE
from inolink_tui.domain.mapping.tables import NO_QBO_FIELD, QBO_ENTITY, FieldMapping, Transform, qbo_limit


@dataclass(frozen=True, slots=True)
class CrmColumn:
    """One column as the org's metadata describes it (`AttributeType` as Dataverse names it: String, Memo,
    Picklist, Money, DateTime, Lookup, ...)."""

    name: str
    attribute_type: str
    max_length: int | None = None
    options: Mapping[int, str] | None = None
    """A choice's options, value -> label, when read."""


@dataclass(frozen=True, slots=True)
class QboCustomField:
    """A QuickBooks custom field definition: `entities` are the QuickBooks entities whose `CustomField` carries it."""

    definition_id: str
    name: str
    data_type: str
    entities: tuple[str, ...]
    active: bool = True


CrmTables = Mapping[str, Mapping[str, CrmColumn] | None]
"""Table logical name -> its columns by logical name; None for a table the org does not have."""

DETAIL_TABLE = {
    EntityType.QUOTE: "quotedetail",
    EntityType.ORDER: "salesorderdetail",
    EntityType.INVOICE: "invoicedetail",
}
LINE_PREFIX = "line."
TEXT = frozenset({"String", "Memo"})
CHOICE = frozenset({"Picklist", "State", "Status"})
NUMBER = frozenset({"Money", "Decimal", "Double", "Integer", "BigInt"})
LOOKUP = frozenset({"Lookup", "Customer", "Owner"})
FITS: dict[Transform, frozenset[str]] = {
    Transform.TRUNCATE: TEXT,
    Transform.UPPER: TEXT,
    Transform.LOWER: TEXT,
    Transform.NAME: TEXT,
    Transform.VALUE_MAP: CHOICE | TEXT | {"Boolean"},
    Transform.MONEY: NUMBER,
    Transform.DATE: frozenset({"DateTime"}),
    Transform.LOOKUP: LOOKUP,
}
"""The CRM column types each transform works on; COPY takes any type but a lookup or a choice."""
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


def crm_table_for(entity_type: EntityType, column: str) -> tuple[str, str]:
    """(table, column) a mapping's CRM column lives in: `line.x` is a column of the document's product lines."""
    if column.startswith(LINE_PREFIX) and entity_type in DETAIL_TABLE:
        return DETAIL_TABLE[entity_type], column[len(LINE_PREFIX) :]
    return CRM_LOGICAL_NAME_FOR[entity_type], column


def _lookup_name(column: str) -> str:
    """`_parentaccountid_value` (how rows spell a lookup) -> `parentaccountid` (how the metadata does)."""
    if column.startswith("_") and column.endswith("_value"):
        return column[1:-6]
    return column


def _transform_key(transform: Transform) -> str:
    return transform.value.replace(" ", "_")


class _Checker:
    def __init__(self, crm: CrmTables | None, custom_fields: Sequence[QboCustomField] | None) -> None:
        self.crm = crm
        self.custom_fields = custom_fields
        self.problems: list[MappingProblem] = []
        self.numeric: set[int] = set()
        """Rows (by id) whose QuickBooks side is a Number custom field."""

    def add(self, row: LocatedMapping, key: str, message: str) -> None:
        self.problems.append(MappingProblem(row.origin, key, message))

    # ----- CRM -----
    def column(self, row: LocatedMapping, name: str, key: str = "crm") -> CrmColumn | None:
        if self.crm is None:
            return None
        table, column = crm_table_for(row.entity_type, name)
        if table not in self.crm:
            return None
        columns = self.crm[table]
        if columns is None:
            self.add(row, key, f"the CRM table {table} does not exist in this org")
            return None
        found = columns.get(column) or columns.get(_lookup_name(column))
        if found is None:
            close = sorted(c for c in columns if c.lower() == column.lower())
            hint = f" (did you mean {close[0]}?)" if close else ""
            self.add(row, key, f"CRM table {table} has no column {column}{hint}")
        return found

    def crm_side(self, row: LocatedMapping) -> CrmColumn | None:
        mapping = row.mapping
        if mapping.transform is Transform.TEMPLATE and mapping.template:
            for name in _PLACEHOLDER.findall(mapping.template):
                self.column(row, name, "template")
        if mapping.crm is None:
            return None
        found = self.column(row, mapping.crm)
        if found is None:
            return None
        allowed = FITS.get(mapping.transform)
        if allowed is not None and found.attribute_type not in allowed:
            self.add(
                row,
                "transform",
                f'transform "{_transform_key(mapping.transform)}" does not fit {mapping.crm}, a '
                f"{found.attribute_type} column (it takes {', '.join(sorted(allowed))})",
            )
        elif mapping.transform is Transform.COPY and found.attribute_type in LOOKUP | CHOICE:
            fix = "lookup" if found.attribute_type in LOOKUP else "value_map"
            self.add(row, "transform", f'{mapping.crm} is a {found.attribute_type} column: use transform = "{fix}"')
        if mapping.transform is Transform.VALUE_MAP and found.options is not None:
            self.choices(row, found)
        return found

    def choices(self, row: LocatedMapping, column: CrmColumn) -> None:
        options = column.options or {}
        labels = {label.casefold() for label in options.values()}
        for crm_value, _ in row.mapping.values:
            text = crm_value.strip()
            by_value = text.lstrip("-").isdigit() and int(text) in options
            if not by_value and text.casefold() not in labels:
                known = ", ".join(f"{value} {label}" for value, label in sorted(options.items()))
                self.add(row, "values", f"{text!r} is not a choice of {column.name} (choices: {known})")

    # ----- QuickBooks -----
    def qbo_side(self, row: LocatedMapping) -> tuple[int | None, bool]:
        """(the QuickBooks field's length limit, whether it refuses longer values) after checking the field."""
        mapping = row.mapping
        entity = QBO_ENTITY.get(row.entity_type)
        if entity is None:
            self.add(row, "qbo", f"{row.entity_type.value} has no QuickBooks field mapping")
            return None, False
        if mapping.qbo.startswith(CUSTOM_FIELD_PREFIX):
            return self.custom_field(row, entity, mapping.qbo[len(CUSTOM_FIELD_PREFIX) :].strip())
        if mapping.qbo == NO_QBO_FIELD and not mapping.custom:
            return None, False  # a built-in CRM value from [sync] (a new product's Unit Group): nothing in QuickBooks
        writable = mapping.qbo in WRITABLE.get(entity, frozenset())
        read_only = mapping.qbo in READ_ONLY.get(entity, frozenset())
        if not writable and not read_only:
            self.add(row, "qbo", f"QuickBooks {entity} has no field {mapping.qbo}")
            return None, False
        if read_only and mapping.direction.to_quickbooks:
            self.add(
                row,
                "qbo",
                f'QuickBooks {entity}.{mapping.qbo} is read-only: it can only be read into CRM (direction = "to_crm")',
            )
        limit = qbo_limit(row.entity_type, mapping)
        if limit is None:
            return None, False
        return limit.maximum, limit.overflow is Overflow.REFUSE

    def custom_field(self, row: LocatedMapping, entity: str, name: str) -> tuple[int | None, bool]:
        if entity not in CUSTOM_FIELD_ENTITIES:
            self.add(row, "qbo", f"QuickBooks {entity} records carry no custom fields")
            return None, False
        if self.custom_fields is None:
            return CUSTOM_FIELD_STRING_MAX, True
        mine = [d for d in self.custom_fields if entity in d.entities]
        found = next((d for d in mine if d.name.casefold() == name.casefold()), None)
        if found is None or not found.active:
            known = ", ".join(sorted(d.name for d in mine if d.active)) or "none"
            state = "is inactive" if found is not None else "does not exist"
            self.add(row, "qbo", f"the QuickBooks {entity} custom field {name!r} {state} (active ones: {known})")
            return None, False
        if found.data_type == "NUMBER":
            self.numeric.add(id(row))
        if found.data_type != "STRING":
            return None, False
        return CUSTOM_FIELD_STRING_MAX, True

    # ----- both -----
    def lengths(self, row: LocatedMapping, column: CrmColumn, qbo_max: int | None, refuses: bool) -> None:
        mapping = row.mapping
        if mapping.transform is Transform.TRUNCATE or column.max_length is None or qbo_max is None:
            return
        if mapping.transform not in (Transform.COPY, Transform.UPPER, Transform.LOWER, Transform.NAME):
            return
        if mapping.direction.to_quickbooks and refuses and column.max_length > qbo_max:
            self.add(
                row,
                "crm",
                f"{mapping.crm} holds up to {column.max_length} characters, QuickBooks {mapping.qbo} at most "
                f'{qbo_max}: use transform = "truncate" or a shorter column',
            )
        if mapping.direction.to_crm and qbo_max > column.max_length:
            self.add(
                row,
                "crm",
                f"{mapping.crm} holds at most {column.max_length} characters, QuickBooks {mapping.qbo} up to "
                f'{qbo_max}: use transform = "truncate" or direction = "to_quickbooks"',
            )

    def check(self, row: LocatedMapping) -> None:
        column = self.crm_side(row)
        qbo_max, refuses = self.qbo_side(row)
        if column is not None:
            self.lengths(row, column, qbo_max, refuses)
            numeric_column = column.attribute_type in NUMBER
            passes_through = row.mapping.transform in (Transform.COPY, Transform.MONEY)
            if id(row) in self.numeric and passes_through and not numeric_column:
                self.add(
                    row,
                    "crm",
                    f"QuickBooks {row.mapping.qbo} holds numbers; "
                    f"{row.mapping.crm} is a {column.attribute_type} column",
                )


def check_mappings(
    rows: Sequence[LocatedMapping],
    crm: CrmTables | None = None,
    custom_fields: Sequence[QboCustomField] | None = None,
) -> list[MappingProblem]:
    """Every problem of `rows` against the org's columns (`crm`) and QuickBooks' custom field definitions."""
    checker = _Checker(crm, custom_fields)
    for row in rows:
        checker.check(row)
    return checker.problems


def tables_used(rows: Sequence[LocatedMapping]) -> tuple[str, ...]:
    """The CRM tables whose columns `rows` name, so only those definitions are read."""
    names: dict[str, None] = {}
    for row in rows:
        columns = [row.mapping.crm] if row.mapping.crm else []
        if row.mapping.transform is Transform.TEMPLATE and row.mapping.template:
            columns += _PLACEHOLDER.findall(row.mapping.template)
        for column in columns:
            names[crm_table_for(row.entity_type, column)[0]] = None
    return tuple(names)


def uses_custom_fields(rows: Sequence[LocatedMapping]) -> bool:
    return any(row.mapping.qbo.startswith(CUSTOM_FIELD_PREFIX) for row in rows)


__all__ = [
    "CrmColumn",
    "CrmTables",
    "FieldMapping",
    "QboCustomField",
    "check_mappings",
    "crm_table_for",
    "tables_used",
    "uses_custom_fields",
]
