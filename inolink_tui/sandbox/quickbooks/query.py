"""Running a parsed query against a company: filters, default Active filter, ordering, 1-based paging.

Comparisons are case-insensitive; `*Ref` properties compare by id; dates and datetimes compare as
instants (a bare date is midnight in the company offset); `LIKE` knows only the `%` wildcard and is
case-insensitive, which is what the engine's Name Matching relies on.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks.entities import EntitySpec, field_name, spec_for
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.query_parser import Condition, CurrentDate, ParsedQuery, Value, parse_query
from inolink_tui.sandbox.quickbooks.state import strip_nulls

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

MAX_RESULTS = 1000
DEFAULT_RESULTS = 100
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _invalid(detail: str) -> QboFault:
    return QboFault("4001", "Invalid query", f"QueryValidationError: {detail}")


def _resolve(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        match = next((k for k in value if k.lower() == part.lower()), None)
        if match is None:
            return None
        value = value[match]
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def _as_instant(text: str, state: QboState) -> datetime | None:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=state.company_tz)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=state.company_tz)


def _literal(value: Value, state: QboState) -> Value:
    return state.today() if isinstance(value, CurrentDate) else value


def _compare(actual: Any, op: str, literal: Value, state: QboState) -> bool:
    literal = _literal(literal, state)
    if actual is None:
        return False
    left: Any
    right: Any
    if isinstance(actual, bool):
        if isinstance(literal, str):
            literal = literal.strip().lower() == "true"
        left, right = actual, bool(literal)
        if op not in ("=", "IN"):
            return False
    elif isinstance(actual, int | Decimal | float):
        try:
            left, right = Decimal(str(actual)), Decimal(str(literal))
        except InvalidOperation:
            return False
    else:
        text = str(actual)
        left, right = text.casefold(), str(literal).casefold()
        if isinstance(literal, str) and _DATE_LIKE.match(text) and _DATE_LIKE.match(literal):
            a, b = _as_instant(text, state), _as_instant(literal, state)
            if a is not None and b is not None:
                left, right = a, b
        elif text.isdigit() and str(literal).isdigit():
            left, right = int(text), int(str(literal))
    if op in ("=", "IN"):
        return bool(left == right)
    try:
        if op == "<":
            return bool(left < right)
        if op == ">":
            return bool(left > right)
        if op == "<=":
            return bool(left <= right)
        return bool(left >= right)
    except TypeError:
        return False


def _like(actual: Any, pattern: str) -> bool:
    if actual is None:
        return False
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, str(actual), flags=re.IGNORECASE | re.DOTALL) is not None


NULL_LITERAL = " "
"""Data queries page (developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/
data-queries): "Null is represented as the string ' ' (i.e. a space within single quotes)"."""


def _matches(record: dict[str, Any], condition: Condition, state: QboState) -> bool:
    actual = _resolve(record, condition.prop)
    if actual in (None, "") and condition.op in ("=", "IN"):
        return NULL_LITERAL in condition.values
    if condition.op == "LIKE":
        return _like(actual, str(condition.values[0]))
    if condition.op == "IN":
        return any(_compare(actual, "=", value, state) for value in condition.values)
    return _compare(actual, condition.op, condition.values[0], state)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (3, "")
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int | Decimal | float):
        return (0, Decimal(str(value)))
    text = str(value)
    if text.isdigit():
        return (0, Decimal(text))
    return (1, text.casefold())


def _validate(spec: EntitySpec, query: ParsedQuery) -> None:
    for condition in query.where:
        top = condition.prop.split(".")[0]
        canonical = field_name(spec, top)
        if canonical is None:
            raise _invalid(f"Property {condition.prop} not found for Entity {spec.name}")
        if canonical == "Id" and condition.op not in ("=", "IN"):
            raise QboFault(
                "4001",
                "Invalid query",
                f"QueryValidationError: operator {condition.op} is not supported for property Id",
            )
    for prop, _ in query.order:
        if field_name(spec, prop.split(".")[0]) is None:
            raise _invalid(f"Property {prop} not found for Entity {spec.name}")
    if query.max_results is not None and query.max_results < 1:
        raise QboFault("4002", "Error processing query", "QueryProcessingError: MAXRESULTS must be positive")


def run_query(state: QboState, text: str) -> dict[str, Any]:
    """The `QueryResponse` object for a query string (without the envelope's `time`)."""
    query = parse_query(text)
    spec = spec_for(query.entity)
    if spec is None:
        raise _invalid(f"invalid context declaration: {query.entity}")
    _validate(spec, query)
    rows = [r for r in state.records[spec.name].values()]
    mentions_active = any(c.prop.split(".")[0].lower() == "active" for c in query.where)
    if spec.has_active and not mentions_active:
        rows = [r for r in rows if r.get("Active") is not False]
    rows = [r for r in rows if all(_matches(r, c, state) for c in query.where)]
    if query.count:
        return {"totalCount": len(rows)}
    rows.sort(key=lambda r: _sort_key(r.get("Id")))
    for prop, descending in reversed(query.order):
        rows.sort(key=lambda r, p=prop: _sort_key(_resolve(r, p)), reverse=descending)  # type: ignore[misc]
    start = max(1, query.start_position)
    limit = min(query.max_results or DEFAULT_RESULTS, MAX_RESULTS)
    page = rows[start - 1 : start - 1 + limit]
    if not page:
        return {}
    return {spec.name: [strip_nulls(dict(r)) for r in page], "startPosition": start, "maxResults": len(page)}
