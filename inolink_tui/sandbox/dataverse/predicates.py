"""`$filter` binding and evaluation: a parsed filter becomes a predicate over one table's rows.

Binding is where names and types are checked, with the service's own messages: an unknown column
is "Could not find a property named ...", a string compared with a number is "A binary operator with
incompatible types was detected ...".

Matching rules, as on the real service (SQL Server underneath):
- string comparisons (eq, ne, gt..., contains, startswith, endswith) ignore case;
- inside contains / startswith / endswith the characters `%` (any run), `_` (any one character),
  `[abc]` and `[^abc]` (a character class) are wildcards, exactly as SQL LIKE treats them; `eq` is literal;
- `null` only matches with eq / ne; any ordering comparison with a null column is false;
- GUIDs compare without regard to case, quoted or bare; datetimes compare as instants (a date means midnight UTC);
- numbers compare as numbers whatever their Edm type (money, decimal, int, choice values).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.odata_filter import (
    BoolOp,
    Call,
    Compare,
    Literal,
    Node,
    Not,
    Path,
    QueryFunction,
)
from inolink_tui.sandbox.dataverse.schema import Kind, Table
from inolink_tui.sandbox.dataverse.state import DataverseState, Row
from inolink_tui.sandbox.dataverse.values import parse_datetime, parse_guid

Predicate = Callable[[Row], bool]

_OP_KIND = {
    "eq": "Equal",
    "ne": "NotEqual",
    "gt": "GreaterThan",
    "ge": "GreaterThanOrEqual",
    "lt": "LessThan",
    "le": "LessThanOrEqual",
}
_COMPATIBLE = {
    Kind.STRING: {"Edm.String"},
    Kind.BOOL: {"Edm.Boolean"},
    Kind.DATETIME: {"Edm.DateTimeOffset", "Edm.Date"},
    Kind.GUID: {"Edm.Guid", "Edm.String"},
    Kind.LOOKUP: {"Edm.Guid", "Edm.String"},
}
_NUMERIC = {"Edm.Int32", "Edm.Int64", "Edm.Decimal"}


def known_column(table: Table, name: str) -> str:
    """The column's row key, or the 400 the service gives for an unknown property."""
    if table.column(name) is None:
        raise errors.unknown_property(table.logical_name, name)
    return name


@dataclass(frozen=True)
class _Bound:
    """An operand bound to the table: a column read (possibly through a lookup) or a constant."""

    read: Callable[[Row], Any]
    kind: Kind | None  # None for a literal
    literal: Literal | None = None


def compile_filter(state: DataverseState, table: Table, node: Node) -> Predicate:
    """Bind a parsed filter to `table`; raises DataverseError for unknown names or incompatible types."""
    if isinstance(node, BoolOp):
        # Flatten left-deep chains iteratively so `a and b and ... ` thousands long cannot exhaust the stack.
        chain: list[Node] = []
        current: Node = node
        while isinstance(current, BoolOp) and current.op == node.op:
            chain.append(current.right)
            current = current.left
        chain.append(current)
        parts = [compile_filter(state, table, part) for part in reversed(chain)]
        if node.op == "and":
            return lambda row: all(p(row) for p in parts)
        return lambda row: any(p(row) for p in parts)
    if isinstance(node, Not):
        inner = compile_filter(state, table, node.operand)
        return lambda row: not inner(row)
    if isinstance(node, Call):
        return _compile_call(state, table, node)
    if isinstance(node, QueryFunction):
        return _compile_query_function(table, node)
    return _compile_compare(state, table, node)


def _compile_query_function(table: Table, node: QueryFunction) -> Predicate:
    """In / NotIn / Between / NotBetween / Null / NotNull over one column, with the column's comparison rules."""
    key = known_column(table, node.property_name)
    kind = table.columns[key].kind
    column = _Bound(lambda row: row.get(key), kind)
    for value in node.values:
        literal = value
        if kind.numeric and literal.edm == "Edm.String":  # PropertyValues may quote numbers: ["1","2"]
            try:
                literal = Literal(Decimal(str(literal.value)), "Edm.Decimal")
            except ArithmeticError as exc:
                raise errors.bad_request(
                    f"'{value.value}' is not a valid value for '{key}'.", errors.URL_NOT_PARSED
                ) from exc
        _check_types("eq", column, _Bound(lambda _row: None, None, literal))
    wanted = [normal(kind, _coerce_literal(kind, v)) for v in node.values]
    name = node.name

    def predicate(row: Row) -> bool:
        value = normal(kind, row.get(key))
        if name == "Null":
            return bool(value is None)
        if name == "NotNull":
            return bool(value is not None)
        if value is None:
            return False
        if name in ("In", "NotIn"):
            return bool(value in wanted) == (name == "In")
        low, high = wanted
        try:
            inside = bool(low <= value <= high)
        except TypeError:
            return False
        return inside == (name == "Between")

    return predicate


def _coerce_literal(kind: Kind, literal: Literal) -> Any:
    if kind.numeric and isinstance(literal.value, str):
        return Decimal(literal.value)
    if kind is Kind.DATETIME and isinstance(literal.value, str):
        return parse_datetime(literal.value)
    return literal.value


def _bind(state: DataverseState, table: Table, operand: Literal | Path) -> _Bound:
    if isinstance(operand, Literal):
        value = operand.value
        return _Bound(lambda _row: value, None, operand)
    if len(operand.segments) == 1:
        key = known_column(table, operand.segments[0])
        column = table.columns[key]
        return _Bound(lambda row: row.get(key), column.kind)
    if len(operand.segments) == 2:
        nav, name = operand.segments
        found = table.navigation(nav)
        if found is None:
            raise errors.unknown_property(table.logical_name, nav)
        lookup, target_set = found
        target = state.table(target_set)
        key = known_column(target, name)
        rows = state.row_map(target_set)

        def read(row: Row) -> Any:
            related = rows.get(row.get(lookup.key) or "")
            return related.get(key) if related is not None else None

        return _Bound(read, target.columns[key].kind)
    raise errors.bad_request(
        f"Only one level of lookup traversal is supported: '{'/'.join(operand.segments)}'.", errors.URL_NOT_PARSED
    )


def _edm(bound: _Bound) -> str:
    if bound.literal is not None:
        return bound.literal.edm
    assert bound.kind is not None
    return bound.kind.edm


def _check_types(op: str, left: _Bound, right: _Bound) -> Kind | None:
    """The column kind both sides compare as, after checking they are compatible."""
    kinds = [b.kind for b in (left, right) if b.kind is not None]
    literals = [b.literal for b in (left, right) if b.literal is not None]
    if any(lit.edm == "null" for lit in literals):
        if op not in ("eq", "ne") and not kinds:
            raise _incompatible(op, left, right)
        return kinds[0] if kinds else None
    if len(kinds) == 2:
        a, b = kinds
        if a == b or (a.numeric and b.numeric) or {a, b} <= {Kind.GUID, Kind.LOOKUP}:
            return a
        raise _incompatible(op, left, right)
    if not kinds:
        return None
    kind = kinds[0]
    edm = literals[0].edm
    compatible = edm in _NUMERIC if kind.numeric else edm in _COMPATIBLE.get(kind, set())
    if not compatible:
        raise _incompatible(op, left, right)
    if kind in (Kind.GUID, Kind.LOOKUP) and edm == "Edm.String" and parse_guid(literals[0].value) is None:
        raise errors.bad_request(f"'{literals[0].value}' is not a valid GUID.", errors.URL_NOT_PARSED)
    return kind


def _incompatible(op: str, left: _Bound, right: _Bound) -> errors.DataverseError:
    return errors.bad_request(
        "A binary operator with incompatible types was detected. Found operand types "
        f"'{_edm(left)}' and '{_edm(right)}' for operator kind '{_OP_KIND[op]}'.",
        errors.URL_NOT_PARSED,
    )


def normal(kind: Kind | None, value: Any) -> Any:
    """A value in the form it compares and sorts in (shared with `$orderby` so filters and order agree)."""
    if value is None:
        return None
    if kind is Kind.STRING:
        return str(value).casefold()
    if kind in (Kind.GUID, Kind.LOOKUP):
        return str(value).strip("{}").lower()
    if kind is Kind.DATETIME:
        if isinstance(value, datetime):
            return value
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        return parse_datetime(str(value))
    if kind is not None and kind.numeric:
        # Stored money/decimals are floats; comparing a Decimal literal exactly with them would make
        # `revenue eq 1.1` miss, so both sides compare as floats (ints stay ints).
        return float(value) if isinstance(value, float | Decimal) else value
    return value


def _compile_compare(state: DataverseState, table: Table, node: Compare) -> Predicate:
    left, right = _bind(state, table, node.left), _bind(state, table, node.right)
    kind = _check_types(node.op, left, right)
    op = node.op

    def predicate(row: Row) -> bool:
        a, b = normal(kind, left.read(row)), normal(kind, right.read(row))
        if op == "eq":
            return bool(a == b)
        if op == "ne":
            return bool(a != b)
        if a is None or b is None:
            return False
        try:
            if op == "gt":
                return bool(a > b)
            if op == "ge":
                return bool(a >= b)
            if op == "lt":
                return bool(a < b)
            return bool(a <= b)
        except TypeError:
            return False

    return predicate


def like_pattern(text: str, *, prefix: bool, suffix: bool) -> re.Pattern[str]:
    """Translate SQL LIKE wildcards (% _ [..] [^..]) in a contains/startswith/endswith argument to a regex."""
    out: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        elif char == "[":
            close = text.find("]", index + 1)
            if close == -1:
                out.append(re.escape(char))
            else:
                body = text[index + 1 : close]
                negate = body.startswith("^")
                body = body[1:] if negate else body
                out.append("[" + ("^" if negate else "") + "".join(_class_char(c) for c in body) + "]")
                index = close
        else:
            out.append(re.escape(char))
        index += 1
    pattern = ("" if prefix else ".*") + "".join(out) + ("" if suffix else ".*")
    try:
        return re.compile(pattern, re.IGNORECASE | re.DOTALL)
    except re.error:
        return re.compile(re.escape(text), re.IGNORECASE)


def _class_char(char: str) -> str:
    return char if char.isalnum() or char == "-" else re.escape(char)


def _compile_call(state: DataverseState, table: Table, node: Call) -> Predicate:
    target, argument = _bind(state, table, node.target), _bind(state, table, node.argument)
    if target.kind is not Kind.STRING or argument.literal is None or argument.literal.edm != "Edm.String":
        raise errors.bad_request(
            f"No function signature for the function with name '{node.name}' matches the specified arguments. "
            "The function signatures considered are: "
            f"{node.name}(Edm.String Nullable=true, Edm.String Nullable=true).",
            errors.URL_NOT_PARSED,
        )
    pattern = like_pattern(
        str(argument.literal.value), prefix=node.name == "startswith", suffix=node.name == "endswith"
    )
    read = target.read

    def predicate(row: Row) -> bool:
        value = read(row)
        return value is not None and pattern.fullmatch(str(value)) is not None

    return predicate
