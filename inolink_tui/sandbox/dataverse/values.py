"""Checking written values against their column type, and formatting values for annotations.

Writes are validated the way the real service does it: a wrong JSON type is a payload error, a
too-long string or an option outside the choice's values is a validation error; nothing is
silently coerced or truncated.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.schema import Column, Kind, Table, value_range

PICKLIST_OUT_OF_RANGE = "0x8004431A"


def format_datetime(value: datetime) -> str:
    """Dataverse answers UTC datetimes with whole seconds and a `Z`."""
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime | None:
    """An ISO 8601 date or datetime (`Z` or offset); naive values are taken as UTC. None if unparseable."""
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def parse_guid(text: str) -> str | None:
    try:
        return str(uuid.UUID(text.strip("{}")))
    except ValueError:
        return None


def _convert_error(table: Table, value: Any, edm: str) -> errors.DataverseError:
    return errors.DataverseError(
        400,
        errors.PAYLOAD,
        f"Error identified in Payload provided by the user for Entity :'{table.entity_set}', For more information on "
        "this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ----> "
        f"InnerException : Microsoft.OData.ODataException: Cannot convert the literal '{value}' to the expected type "
        f"'{edm}'.",
    )


def coerce(table: Table, column: Column, value: Any) -> Any:
    """The stored form of a written value, or a DataverseError with the real service's wording."""
    if value is None:
        return None
    kind = column.kind
    if kind is Kind.STRING:
        if not isinstance(value, str):
            raise _convert_error(table, value, kind.edm)
        if len(value) > column.max_length:
            raise errors.validation(
                f"The length of the '{column.name}' attribute of the '{table.logical_name}' entity exceeded the "
                f"maximum allowed length of '{column.max_length}'."
            )
        return value
    if kind in (Kind.INT, Kind.BIGINT, Kind.CHOICE):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _convert_error(table, value, kind.edm)
        _check_range(table, column, value)
        if kind is Kind.CHOICE and value not in column.options:
            accepted = ",".join(str(v) for v in column.options)
            raise errors.DataverseError(  # 0x8004431A PicklistValueOutOfRange (Learn, "Web service error codes")
                400,
                PICKLIST_OUT_OF_RANGE,
                f"A validation error occurred.  The value {value} of '{column.name}' on record of type "
                f"'{table.logical_name}' is outside the valid range. Accepted Values: {accepted}",
            )
        return value
    if kind in (Kind.DECIMAL, Kind.MONEY):
        if isinstance(value, Decimal) and value.is_finite():  # Python callers (the seed) may pass Decimals
            value = float(value)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise _convert_error(table, value, kind.edm)
        _check_range(table, column, value)
        return float(value)
    if kind is Kind.BOOL:
        if not isinstance(value, bool):
            raise _convert_error(table, value, kind.edm)
        return value
    if kind is Kind.DATETIME:
        if isinstance(value, datetime):
            return format_datetime(value if value.tzinfo else value.replace(tzinfo=UTC))
        if isinstance(value, date):
            return format_datetime(datetime(value.year, value.month, value.day, tzinfo=UTC))
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is None:
            raise _convert_error(table, value, kind.edm)
        return format_datetime(parsed)
    guid = parse_guid(value) if isinstance(value, str) else None
    if guid is None:
        raise _convert_error(table, value, kind.edm)
    return guid


def _check_range(table: Table, column: Column, value: float) -> None:
    """MinValue / MaxValue of the column's metadata. The service's wording for numbers is not documented; the
    sandbox uses the shape of its documented "outside the valid range" choice message (see write_rules.py)."""
    bounds = value_range(column)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise errors.validation(
            f"The value {value} of '{column.name}' on record of type '{table.logical_name}' is outside the valid "
            f"range. Accepted Values: {bounds[0]:g} to {bounds[1]:g}"
        )


def formatted(column: Column, value: Any, symbol: str = "$") -> str | None:
    """The `OData.Community.Display.V1.FormattedValue` of a non-lookup value (None: the column has none)."""
    if value is None:
        return None
    kind = column.kind
    if kind is Kind.CHOICE:
        return column.options.get(value, str(value))
    if kind is Kind.BOOL:
        return "Yes" if value else "No"
    if kind is Kind.MONEY:
        sign = "-" if value < 0 else ""
        return f"{sign}{symbol}{abs(value):,.2f}"
    if kind is Kind.DECIMAL:
        return f"{value:,.2f}"
    if kind is Kind.INT:
        return f"{value:,}"
    if kind is Kind.DATETIME:
        parsed = parse_datetime(value)
        if parsed is None:
            return None
        hour = parsed.hour % 12 or 12
        return (
            f"{parsed.month}/{parsed.day}/{parsed.year} {hour}:{parsed.minute:02d} {'AM' if parsed.hour < 12 else 'PM'}"
        )
    return None
