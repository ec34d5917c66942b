"""What each mapped field of a Link Job carried: CRM value and QuickBooks value, and the transform between them.

Why: the inspector shows a job's fields as `CRM value -> QuickBooks value` (issue 17 item 4), for pushes and pulls,
custom rows included. The engine records one `AppliedField` per mapping row it applied, in the job's payload under
`"fields"` (`with_applied`), from the CRM row and the QuickBooks body it wrote or read (`applied_fields_of` does
the reading of both sides for it); the console reads them back with `applied_fields`. Pure data, JSON-safe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from inolink_tui.domain.mapping.custom import CUSTOM_FIELD_PREFIX
from inolink_tui.domain.mapping.tables import FieldMapping

PAYLOAD_KEY = "fields"
TO_QUICKBOOKS = "to QuickBooks"
TO_CRM = "to CRM"


@dataclass(frozen=True, slots=True)
class AppliedField:
    """One mapping row as one job applied it. `direction` is the way this job wrote it (to QuickBooks for a
    push, to CRM for a pull); `transform` is the transform's name as the config writes it (value_map, copy...)."""

    crm: str | None
    qbo: str
    crm_value: Any
    qbo_value: Any
    transform: str
    direction: str = TO_QUICKBOOKS
    custom: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "crm": self.crm,
            "qbo": self.qbo,
            "crm_value": _jsonable(self.crm_value),
            "qbo_value": _jsonable(self.qbo_value),
            "transform": self.transform,
            "direction": self.direction,
            "custom": self.custom,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AppliedField | None:
        """None for an entry that is not one (a payload from another version is shown, never a crash)."""
        qbo = data.get("qbo")
        if not isinstance(qbo, str):
            return None
        crm = data.get("crm")
        return cls(
            crm=crm if isinstance(crm, str) else None,
            qbo=qbo,
            crm_value=data.get("crm_value"),
            qbo_value=data.get("qbo_value"),
            transform=str(data.get("transform") or ""),
            direction=TO_CRM if data.get("direction") == TO_CRM else TO_QUICKBOOKS,
            custom=data.get("custom") is True,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    return str(value)


def value_at(body: Mapping[str, Any], path: str) -> Any:
    """The value at a QuickBooks field path: `BillAddr.City`, `CustomField:Region` (by definition name, its
    StringValue or NumberValue); `Line[]` paths give the list of every line's value."""
    if path.startswith(CUSTOM_FIELD_PREFIX):
        name = path[len(CUSTOM_FIELD_PREFIX) :].strip().casefold()
        for entry in body.get("CustomField") or []:
            if isinstance(entry, Mapping) and str(entry.get("Name", "")).casefold() == name:
                return entry.get("StringValue", entry.get("NumberValue"))
        return None
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = body.get(head[:-2])
        if not isinstance(items, list):
            return None
        values = [value_at(item, rest) for item in items if isinstance(item, Mapping)]
        return [v for v in values if v is not None] or None
    value = body.get(head)
    if not rest:
        return value
    return value_at(value, rest) if isinstance(value, Mapping) else None


def applied_fields_of(
    rows: Iterable[FieldMapping], crm_row: Mapping[str, Any], qbo_body: Mapping[str, Any], direction: str
) -> list[AppliedField]:
    """One AppliedField per row the job applied in `direction`, its values read from both sides as they stand
    after the write (the CRM row read or written, the QuickBooks body sent or read)."""
    out: list[AppliedField] = []
    for row in rows:
        wanted = row.direction.to_quickbooks if direction == TO_QUICKBOOKS else row.direction.to_crm
        if not wanted:
            continue
        crm_value = crm_row.get(row.crm) if row.crm else None
        out.append(
            AppliedField(
                crm=row.crm,
                qbo=row.qbo,
                crm_value=crm_value,
                qbo_value=value_at(qbo_body, row.qbo),
                transform=row.transform.value.replace(" ", "_"),
                direction=direction,
                custom=row.custom,
            )
        )
    return out


def with_applied(payload: Mapping[str, Any] | None, fields: Sequence[AppliedField]) -> dict[str, Any] | None:
    """The job's payload with its applied fields recorded (unchanged when there are none)."""
    if not fields:
        return dict(payload) if payload is not None else None
    return {**(payload or {}), PAYLOAD_KEY: [f.to_json() for f in fields]}


def applied_fields(payload: Mapping[str, Any] | None) -> list[AppliedField]:
    """The applied fields a job's payload records (none for jobs from before they were recorded)."""
    raw = (payload or {}).get(PAYLOAD_KEY)
    if not isinstance(raw, list):
        return []
    found = (AppliedField.from_json(item) for item in raw if isinstance(item, Mapping))
    return [f for f in found if f is not None]
