"""Mapping rows executed, both ways: the built-in rows that are plain copies or transforms, and custom rows.

The built-in rows of tables.py without a `special` reason are executed here (`table_to_qbo` / `table_to_crm`,
called by the mapping functions of customers.py and transactions.py, which write the special rows in code); the
config's `[[mapping.<entity>]]` rows go through the same value functions (`row_to_qbo` / `row_to_crm`) on top of
the built-in body or columns: each custom row writes its field (and a custom row that replaces a built-in one
without going that way takes the built-in value out again).

What a row needs from outside the record (a QuickBooks custom field's DefinitionId, the QuickBooks id of the record
a CRM lookup points at, a choice's value for a label) is resolved by the engine first and passed in
`MappingContext`, so this module stays pure. No code runs from the config: templates substitute column values,
date formats go to strftime/strptime, value maps are dict lookups.

QuickBooks custom fields are the `CustomField` array of the record: `{"DefinitionId", "Name", "Type":
"StringType", "StringValue"}` entries (Intuit, "Custom Fields API" use cases:
https://developer.intuit.com/app/developer/qbo/docs/workflows/create-custom-fields/use-cases; the request sends
DefinitionId and StringValue, the answer adds Name and Type). A row addresses one by its definition's name.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.custom import CUSTOM_FIELD_PREFIX, LocatedMapping
from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.records import qbo_name
from inolink_tui.domain.mapping.tables import DEFAULT_MAPPINGS, Direction, FieldMapping, Transform, crm_limit, qbo_limit

FORMATTED = "@OData.Community.Display.V1.FormattedValue"
"""Dataverse's annotation carrying a choice's label beside its value (Prefer: odata.include-annotations)."""


@dataclass(frozen=True, slots=True)
class MappingContext:
    """What the custom rows of one record need from outside it, resolved by the engine."""

    custom_fields: Mapping[str, str] = field(default_factory=dict)
    """QuickBooks custom field name (case-folded) -> DefinitionId, for the record's QuickBooks entity."""
    linked_qbo_ids: Mapping[str, str | None] = field(default_factory=dict)
    """CRM lookup column -> the QuickBooks id of the record it points at (None: not linked)."""
    crm_binds: Mapping[str, str | None] = field(default_factory=dict)
    """CRM lookup column -> `/entityset(id)` of the CRM record linked to the QuickBooks reference (None: none)."""
    choice_values: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """CRM choice column -> its options, label (case-folded) -> value, for value maps written with labels."""
    choice_labels: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """CRM choice column -> its options, label (as the org spells it) -> value, to find a value's label."""


def custom_rows(entity_type: EntityType, mappings: Sequence[LocatedMapping]) -> list[LocatedMapping]:
    return [m for m in mappings if m.entity_type is entity_type]


def custom_field_name(row: FieldMapping) -> str | None:
    """ "Region" for a row written `CustomField:Region`, else None."""
    return row.qbo[len(CUSTOM_FIELD_PREFIX) :] if row.qbo.startswith(CUSTOM_FIELD_PREFIX) else None


# --- reading and writing QuickBooks paths ----------------------------------------------------------------------


def _entry_named(record: Mapping[str, Any], name: str, definition_id: str | None) -> Mapping[str, Any] | None:
    entries = record.get("CustomField")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping):
            continue
        if (definition_id is not None and str(entry.get("DefinitionId")) == definition_id) or str(
            entry.get("Name") or ""
        ).casefold() == name.casefold():
            return entry
    return None


def qbo_value(record: Mapping[str, Any], row: FieldMapping, ctx: MappingContext) -> Any:
    """The value at the row's QuickBooks field in `record` (a custom field's StringValue or NumberValue)."""
    name = custom_field_name(row)
    if name is not None:
        entry = _entry_named(record, name, ctx.custom_fields.get(name.casefold()))
        if entry is None:
            return None
        found = entry.get("StringValue", entry.get("NumberValue"))
        return None if found == "" else found
    value: Any = record
    for part in row.qbo.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _definition(row: FieldMapping, ctx: MappingContext, entity: str) -> str:
    name = custom_field_name(row) or ""
    definition_id = ctx.custom_fields.get(name.casefold())
    if definition_id is None:
        raise MappingError(
            f"QuickBooks has no custom field named {name!r} on {entity} records; create it in QuickBooks or "
            "correct the mapping, then requeue this job"
        )
    return definition_id


def _put(body: dict[str, Any], row: FieldMapping, value: Any, ctx: MappingContext, entity: str) -> None:
    if custom_field_name(row) is not None:
        definition_id = _definition(row, ctx, entity)
        entries = [e for e in body.get("CustomField") or [] if str(e.get("DefinitionId")) != definition_id]
        text = "" if value is None else str(value)
        name = custom_field_name(row)
        entries.append({"DefinitionId": definition_id, "Name": name, "Type": "StringType", "StringValue": text})
        body["CustomField"] = entries
        return
    *parents, last = row.qbo.split(".")
    holder = body
    for part in parents:
        nested = holder.get(part)
        if not isinstance(nested, dict):
            nested = holder[part] = {}
        holder = nested
    holder[last] = value


def _drop(body: dict[str, Any], path: str) -> None:
    """Take the field at `path` out of `body`, and the objects it leaves empty (an empty `PrimaryPhone: {}`)."""
    head, _, rest = path.partition(".")
    if not rest:
        body.pop(head, None)
        return
    nested = body.get(head)
    if isinstance(nested, dict):
        _drop(nested, rest)
        if not nested:
            body.pop(head)


# --- transforms -----------------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _decimal(value: Any, what: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise MappingError(f"{what}: {value!r} is not an amount") from None
    if not number.is_finite():
        raise MappingError(f"{what}: {value!r} is not an amount")
    return number


def _money(value: Any, row: FieldMapping, what: str) -> Decimal | None:
    number = _decimal(value, what)
    if number is None:
        return None
    places = int(row.fmt or "2")
    return number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _as_date(value: Any, row: FieldMapping, what: str, *, from_qbo: bool) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        if from_qbo and custom_field_name(row) is not None and row.fmt:
            return datetime.strptime(text, row.fmt).date()
        return date.fromisoformat(text[:10])
    except ValueError:
        raise MappingError(f"{what}: {value!r} is not a date") from None


def _date_text(day: date, row: FieldMapping) -> str:
    """The row's strftime format, else ISO (`isoformat`, which keeps a year's four digits where %Y may not)."""
    return day.strftime(row.fmt) if row.fmt else day.isoformat()


def _cut(text: str, limit: int | None) -> str:
    return text[:limit] if limit is not None else text


def _template(row: FieldMapping, crm_row: Mapping[str, Any]) -> str:
    out: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(row.template or ""):
        out.append(literal)
        if name is not None:
            out.append(_text(crm_row.get(name)) or "")
    return " ".join("".join(out).split())


def _choice_label(crm_row: Mapping[str, Any], column: str) -> str | None:
    return _text(crm_row.get(f"{column}{FORMATTED}"))


def row_to_qbo(et: EntityType, row: FieldMapping, crm_row: Mapping[str, Any], ctx: MappingContext, what: str) -> Any:
    """The QuickBooks value of one row for a CRM row (None: nothing to send); `what` names the row in errors.

    Text is sent trimmed, and an empty one not at all; numbers as they are."""
    crm = row.crm or ""
    t = row.transform
    if t is Transform.CONSTANT:
        return row.constant
    if t is Transform.TEMPLATE:
        return _template(row, crm_row) or None
    if t is Transform.LOOKUP:
        if crm_row.get(f"_{crm}_value") is None:
            return None
        qbo_id = ctx.linked_qbo_ids.get(crm)
        if qbo_id is None:
            raise MappingError(
                f"{crm} points at a record not linked to QuickBooks; sync that record first, then requeue this job"
            )
        return qbo_id
    value = crm_row.get(crm)
    if t is Transform.VALUE_MAP:
        if value is None:
            return None
        label = _choice_label(crm_row, crm)
        if label is None and isinstance(value, int):  # no annotation on the row: the label from the options
            label = next((lab for lab, v in (ctx.choice_labels.get(crm) or {}).items() if v == value), None)
        pairs = dict(row.values)
        for key in (str(value), label):
            if key is not None and key in pairs:
                return pairs[key]
        folded = {k.casefold(): v for k, v in row.values}
        if label is not None and label.casefold() in folded:
            return folded[label.casefold()]
        shown = f"{value!r}" + (f" ({label})" if label else "")
        raise MappingError(f"{what}: CRM {crm} value {shown} is not in the mapping's values; add it to the config")
    if t is Transform.MONEY:
        amount = _money(value, row, what)
        if amount is None:
            return None
        return str(amount) if custom_field_name(row) is not None else float(amount)
    if t is Transform.DATE:
        day = _as_date(value, row, what, from_qbo=False)
        return _date_text(day, row) if day is not None else None
    if isinstance(value, bool | int | float | Decimal) and custom_field_name(row) is None and t is Transform.COPY:
        return value
    text = _text(value)
    if text is None:
        return None
    if t is Transform.UPPER:
        text = text.upper()
    elif t is Transform.LOWER:
        text = text.lower()
    elif t is Transform.NAME:
        text = qbo_name(text)
    elif t is Transform.TRUNCATE:
        limit = qbo_limit(et, row)
        text = _cut(text, limit.maximum if limit else None)
    return text


def row_to_crm(
    et: EntityType, row: FieldMapping, record: Mapping[str, Any], ctx: MappingContext, what: str
) -> tuple[str, Any] | None:
    """(CRM column or `column@odata.bind`, value) of one row for a QuickBooks record, or None to leave it.

    A copied value arrives as QuickBooks has it (an empty text as None); the other text transforms trim it."""
    crm = row.crm or ""
    t = row.transform
    if t is Transform.CONSTANT:
        return crm, row.constant
    if t is Transform.LOOKUP:
        bind = ctx.crm_binds.get(crm)
        return (f"{crm}@odata.bind", bind) if bind else None
    value = qbo_value(record, row, ctx)
    if t is Transform.VALUE_MAP:
        if value is None:
            return crm, None
        back = {q: c for c, q in row.values}
        folded = {q.casefold(): c for c, q in row.values}
        key = back.get(str(value)) or folded.get(str(value).casefold())
        if key is None:
            raise MappingError(f"{what}: QuickBooks value {value!r} is not in the mapping's values; add it")
        if key.lstrip("-").isdigit():
            return crm, int(key)
        options = ctx.choice_values.get(crm) or {}
        if key.casefold() not in options:
            raise MappingError(f"{what}: CRM {crm} has no choice labelled {key!r}")
        return crm, options[key.casefold()]
    if t is Transform.MONEY:
        amount = _money(value, row, what)
        return crm, float(amount) if amount is not None else None
    if t is Transform.DATE:
        day = _as_date(value, row, what, from_qbo=True)
        return crm, day.isoformat() if day is not None else None
    if isinstance(value, bool | int | float | Decimal):
        return crm, value
    if t is Transform.COPY:
        return crm, str(value) if value else None
    text = _text(value)
    if text is not None and t is Transform.UPPER:
        text = text.upper()
    elif text is not None and t is Transform.LOWER:
        text = text.lower()
    elif text is not None and t is Transform.TRUNCATE:
        limit = crm_limit(et, row)
        text = _cut(text, limit.maximum if limit else None)
    return crm, text


# --- whole records --------------------------------------------------------------------------------------------


def _replaced(et: EntityType, located: LocatedMapping) -> list[FieldMapping]:
    row = located.mapping
    return [b for b in DEFAULT_MAPPINGS[et] if located.replaces and b.crm == row.crm and b.qbo == row.qbo]


def apply_to_qbo(
    et: EntityType,
    entity: str,
    mappings: Sequence[LocatedMapping],
    crm_row: Mapping[str, Any],
    body: Mapping[str, Any],
    ctx: MappingContext,
    *,
    create: bool,
) -> dict[str, Any]:
    """The QuickBooks body with the custom rows of `et` applied (on-create rows only when `create`)."""
    out = deepcopy(dict(body))
    for located in custom_rows(et, mappings):
        row = located.mapping
        goes = row.direction.to_quickbooks and (create or row.direction is not Direction.ON_CREATE)
        if not goes:
            if any(b.direction.to_quickbooks for b in _replaced(et, located)) and not row.direction.to_quickbooks:
                _drop(out, row.qbo)
            continue
        _write(out, row, row_to_qbo(et, row, crm_row, ctx, located.origin.where()), ctx, entity)
    return out


def _write(body: dict[str, Any], row: FieldMapping, value: Any, ctx: MappingContext, entity: str) -> None:
    """Put the row's value in the body; None takes the field out (a custom field is cleared, with an empty
    StringValue)."""
    if value is None and custom_field_name(row) is None:
        _drop(body, row.qbo)
        return
    _put(body, row, value, ctx, entity)


def apply_to_crm(
    et: EntityType,
    mappings: Sequence[LocatedMapping],
    record: Mapping[str, Any],
    columns: Mapping[str, Any],
    ctx: MappingContext,
    *,
    create: bool = False,
) -> dict[str, Any]:
    """The CRM columns with the custom rows of `et` applied (rows to CRM; replaced built-ins taken out)."""
    out = dict(columns)
    for located in custom_rows(et, mappings):
        row = located.mapping
        if not row.direction.to_crm:
            if row.crm and any(b.direction.to_crm for b in _replaced(et, located)):
                out.pop(row.crm, None)
            continue
        pair = row_to_crm(et, row, record, ctx, located.origin.where())
        if pair is None:
            continue
        column, value = pair
        if value is None and create:
            out.pop(column, None)
            continue
        out[column] = value
    return out


# --- the built-in rows executed from the tables --------------------------------------------------------------


def table_rows(et: EntityType) -> list[FieldMapping]:
    """The built-in rows of `et` executed from the table (no `special` reason: a plain copy or transform)."""
    return [row for row in DEFAULT_MAPPINGS[et] if row.special is None]


_NO_CONTEXT = MappingContext()


def _label(et: EntityType, row: FieldMapping) -> str:
    return f"{et.value} {row.crm}"


def table_to_qbo(
    et: EntityType, crm_row: Mapping[str, Any], body: Mapping[str, Any], *, create: bool
) -> dict[str, Any]:
    """`body` with the table rows of `et` written from `crm_row` (on-create rows only when `create`)."""
    out = deepcopy(dict(body))
    for row in table_rows(et):
        if row.direction.to_quickbooks and (create or row.direction is not Direction.ON_CREATE):
            _write(out, row, row_to_qbo(et, row, crm_row, _NO_CONTEXT, _label(et, row)), _NO_CONTEXT, et.value)
    return out


def table_to_crm(et: EntityType, record: Mapping[str, Any]) -> dict[str, Any]:
    """The CRM columns the table rows of `et` write from a QuickBooks record (None clears a column)."""
    out: dict[str, Any] = {}
    for row in table_rows(et):
        if row.direction.to_crm and (pair := row_to_crm(et, row, record, _NO_CONTEXT, _label(et, row))):
            out[pair[0]] = pair[1]
    return out


def effective_rows(et: EntityType, mappings: Sequence[LocatedMapping]) -> list[FieldMapping]:
    """The rows a job of `et` applies: the built-in rows a custom one does not replace, then the custom rows."""
    mine = custom_rows(et, mappings)
    replaced = {(m.mapping.crm, m.mapping.qbo) for m in mine if m.replaces}
    return [r for r in DEFAULT_MAPPINGS[et] if (r.crm, r.qbo) not in replaced] + [m.mapping for m in mine]


def lookup_columns(et: EntityType, mappings: Sequence[LocatedMapping]) -> list[FieldMapping]:
    """The lookup rows of `et`, for the engine to resolve before applying the mapping."""
    return [m.mapping for m in custom_rows(et, mappings) if m.mapping.transform is Transform.LOOKUP]


def custom_field_names(et: EntityType, mappings: Sequence[LocatedMapping]) -> list[str]:
    return [n for m in custom_rows(et, mappings) if (n := custom_field_name(m.mapping)) is not None]


def label_columns(et: EntityType, mappings: Sequence[LocatedMapping]) -> list[str]:
    """CRM choice columns whose value map names labels (their options give a value's label and a label's value)."""
    return [
        m.mapping.crm
        for m in custom_rows(et, mappings)
        if m.mapping.crm
        and m.mapping.transform is Transform.VALUE_MAP
        and any(not c.lstrip("-").isdigit() for c, _ in m.mapping.values)
    ]
