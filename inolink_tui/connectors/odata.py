"""Build Dataverse `$filter` expressions from values, never from concatenated user text.

Every literal goes through `literal()`: strings are single-quoted with embedded quotes doubled
(OData's rule, the opposite of QuickBooks' backslash), datetimes are normalised to UTC, GUIDs are
bare. Property names must look like property names. The result is still plain text for the
`$filter` query parameter; httpx percent-encodes it (so `&`, `#`, `+` and newlines are safe).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

_PROPERTY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*")
_WILDCARDS = re.compile(r"([%_\[])")

Literal = str | int | float | Decimal | bool | None | datetime | date | uuid.UUID


def quote_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def literal(value: Literal) -> str:
    """The OData literal for a Python value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no OData literal")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} has no OData literal")
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("datetimes in a filter must be timezone-aware")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        return quote_string(value)
    raise TypeError(f"no OData literal for {type(value).__name__}")


_KEYWORDS = frozenset({"null", "true", "false", "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "inf", "nan"})
"""Words OData reads as literals or operators: as a property name they would change the filter's meaning."""


def prop(name: str) -> str:
    """Validate a property (or lookup path like `primarycontactid/fullname`)."""
    if not _PROPERTY.fullmatch(name) or any(part.lower() in _KEYWORDS for part in name.split("/")):
        raise ValueError(f"{name!r} is not a valid property name")
    return name


def escape_wildcards(text: str) -> str:
    """Dataverse treats % _ [ as wildcards inside contains/startswith/endswith; bracket them to mean themselves."""
    return _WILDCARDS.sub(r"[\1]", text)


@dataclass(frozen=True, slots=True)
class Filter:
    """A `$filter` expression; combine with `&`, `|` and `~`."""

    text: str

    def __and__(self, other: Filter) -> Filter:
        return Filter(f"({self.text}) and ({other.text})")

    def __or__(self, other: Filter) -> Filter:
        return Filter(f"({self.text}) or ({other.text})")

    def __invert__(self) -> Filter:
        return Filter(f"not ({self.text})")

    def __str__(self) -> str:
        return self.text


def _compare(op: str, name: str, value: Literal) -> Filter:
    return Filter(f"{prop(name)} {op} {literal(value)}")


def eq(name: str, value: Literal) -> Filter:
    return _compare("eq", name, value)


def ne(name: str, value: Literal) -> Filter:
    return _compare("ne", name, value)


def gt(name: str, value: Literal) -> Filter:
    return _compare("gt", name, value)


def ge(name: str, value: Literal) -> Filter:
    return _compare("ge", name, value)


def lt(name: str, value: Literal) -> Filter:
    return _compare("lt", name, value)


def le(name: str, value: Literal) -> Filter:
    return _compare("le", name, value)


def _function(func: str, name: str, text: str, literal_wildcards: bool) -> Filter:
    needle = escape_wildcards(text) if literal_wildcards else text
    return Filter(f"{func}({prop(name)},{quote_string(needle)})")


def contains(name: str, text: str, *, literal_wildcards: bool = True) -> Filter:
    return _function("contains", name, text, literal_wildcards)


def startswith(name: str, text: str, *, literal_wildcards: bool = True) -> Filter:
    return _function("startswith", name, text, literal_wildcards)


def endswith(name: str, text: str, *, literal_wildcards: bool = True) -> Filter:
    return _function("endswith", name, text, literal_wildcards)


def any_of(name: str, values: Iterable[Literal]) -> Filter:
    """`name` equals one of `values` (an `or` chain: portable and fine for the short lists we send)."""
    parts = [f"{prop(name)} eq {literal(v)}" for v in values]
    if not parts:
        raise ValueError("any_of needs at least one value")
    return Filter(" or ".join(parts) if len(parts) > 1 else parts[0])


def all_of(*filters: Filter) -> Filter:
    if not filters:
        raise ValueError("all_of needs at least one filter")
    return Filter(" and ".join(f"({f.text})" for f in filters)) if len(filters) > 1 else filters[0]


def record_path(entity_set: str, record_id: str | uuid.UUID) -> str:
    """`accounts(<guid>)`: the id must be a GUID (bare), which also keeps user text out of the path."""
    if not _PROPERTY.fullmatch(entity_set) or "/" in entity_set:
        raise ValueError(f"{entity_set!r} is not an entity set name")
    try:
        guid = record_id if isinstance(record_id, uuid.UUID) else uuid.UUID(str(record_id).strip("{}"))
    except ValueError as exc:
        raise ValueError(f"{record_id!r} is not a record id (GUID)") from exc
    return f"{entity_set}({guid})"
