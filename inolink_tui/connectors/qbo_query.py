"""Build QuickBooks queries (`SELECT * FROM Customer WHERE ...`) from values, never from raw user text.

QuickBooks escapes a quote inside a literal with a backslash (`'Amy\\'s'`), so a backslash is
escaped too, otherwise a name ending in `\\` would swallow the closing quote. Only AND exists (no
OR), `Id` supports only `=` and `IN`, pages are 1-based STARTPOSITION with MAXRESULTS <= 1000.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

MAX_RESULTS = 1000
IN_CHUNK = 100
"""Values per IN (...) list: keeps the URL well under common limits for long names."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:\.[A-Za-z][A-Za-z0-9]*)*")
OPERATORS = frozenset({"=", "<", ">", "<=", ">=", "LIKE"})

Value = str | int | float | Decimal | bool | datetime | date


def quote_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def literal(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no QuickBooks literal")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} has no QuickBooks literal")
        return format(value, "f")
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("datetimes in a query must be timezone-aware")
        return quote_string(value.isoformat(timespec="seconds"))
    if isinstance(value, date):
        return quote_string(value.isoformat())
    if isinstance(value, str):
        return quote_string(value)
    raise TypeError(f"no QuickBooks literal for {type(value).__name__}")


_KEYWORDS = frozenset(
    {
        "select",
        "from",
        "where",
        "and",
        "or",
        "in",
        "like",
        "orderby",
        "asc",
        "desc",
        "startposition",
        "maxresults",
        "count",
        "not",
        "true",
        "false",
        "null",
    }
)
"""Words of the query language: as a name they would change the query's shape instead of naming a thing."""


def entity_name(name: str) -> str:
    if not _NAME.fullmatch(name) or name.lower() in _KEYWORDS:
        raise ValueError(f"{name!r} is not a QuickBooks entity name")
    return name


def field_name(name: str) -> str:
    if not _FIELD.fullmatch(name) or any(part.lower() in _KEYWORDS for part in name.split(".")):
        raise ValueError(f"{name!r} is not a QuickBooks field name")
    return name


@dataclass(frozen=True, slots=True)
class QboQuery:
    """An immutable query; each method returns a new one."""

    entity: str
    conditions: tuple[str, ...] = ()
    order: str | None = None

    def __post_init__(self) -> None:
        entity_name(self.entity)

    def where(self, field: str, op: str, value: Value) -> QboQuery:
        operator = op.strip().upper()
        if operator not in OPERATORS:
            raise ValueError(f"{op!r} is not a QuickBooks query operator")
        if field.lower() == "id" and operator != "=":
            raise ValueError("QuickBooks supports only = and IN on Id")
        return QboQuery(self.entity, (*self.conditions, f"{field_name(field)} {operator} {literal(value)}"), self.order)

    def where_in(self, field: str, values: Iterable[Value]) -> QboQuery:
        items = [literal(v) for v in values]
        if not items:
            raise ValueError("IN needs at least one value")
        return QboQuery(self.entity, (*self.conditions, f"{field_name(field)} IN ({', '.join(items)})"), self.order)

    def include_inactive(self) -> QboQuery:
        """Name lists hide inactive rows unless asked (`Active IN (true, false)`)."""
        return self.where_in("Active", [True, False])

    def order_by(self, field: str, *, descending: bool = False) -> QboQuery:
        return QboQuery(self.entity, self.conditions, f"{field_name(field)} {'DESC' if descending else 'ASC'}")

    def _base(self, select: str) -> str:
        text = f"SELECT {select} FROM {self.entity}"
        if self.conditions:
            text += " WHERE " + " AND ".join(self.conditions)
        return text

    def text(self, *, start: int = 1, max_results: int = MAX_RESULTS) -> str:
        if start < 1:
            raise ValueError("STARTPOSITION is 1-based")
        if not 1 <= max_results <= MAX_RESULTS:
            raise ValueError(f"MAXRESULTS must be between 1 and {MAX_RESULTS}")
        text = self._base("*")
        if self.order:
            text += f" ORDERBY {self.order}"
        return f"{text} STARTPOSITION {start} MAXRESULTS {max_results}"

    def count_text(self) -> str:
        return self._base("COUNT(*)")
