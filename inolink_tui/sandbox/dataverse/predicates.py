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

Evaluation runs over an environment: `$it` is the row being filtered, and each lambda variable
(`contact_customer_accounts/any(c: c/fullname eq 'x')`) names the related row being tried.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.lambdas import compile_lambda
from inolink_tui.sandbox.dataverse.odata_filter import (
    BoolOp,
    Call,
    Compare,
    Lambda,
    Literal,
    Node,
    Not,
    Path,
    QueryFunction,
)
from inolink_tui.sandbox.dataverse.query_functions import SIGNATURES, inside, window
from inolink_tui.sandbox.dataverse.schema import Kind, Table
from inolink_tui.sandbox.dataverse.state import DataverseState, Row
from inolink_tui.sandbox.dataverse.values import parse_datetime, parse_guid

Predicate = Callable[[Row], bool]
Env = dict[str, Row]
"""`$it` -> the row being filtered; each lambda variable in scope -> the related row being tried."""
Test = Callable[[Env], bool]

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

    read: Callable[[Env], Any]
    kind: Kind | None  # None for a literal
    literal: Literal | None = None


@dataclass(frozen=True)
class Scope:
    """What names mean while binding: the filtered table (`$it`) and the lambda variables' tables."""

    state: DataverseState
    table: Table
    variables: dict[str, Table]
    now: datetime
    current: str = "$it"  # the innermost lambda variable: whose row a query function's PropertyName names

    def base(self, path: Path) -> tuple[str, Table, tuple[str, ...]]:
        """(environment key, its table, the remaining segments) for a path."""
        head = path.segments[0]
        if head in self.variables:
            return head, self.variables[head], path.segments[1:]
        if head == "$it":
            return "$it", self.table, path.segments[1:]
        return "$it", self.table, path.segments


def compile_filter(state: DataverseState, table: Table, node: Node) -> Predicate:
    """Bind a parsed filter to `table`; raises DataverseError for unknown names or incompatible types."""
    test = compile_test(Scope(state, table, {}, state.clock.now()), node)
    return lambda row: test({"$it": row})


def compile_test(scope: Scope, node: Node) -> Test:
    """Bind a node in `scope` to a test over an environment."""
    if isinstance(node, BoolOp):
        # Flatten left-deep chains iteratively so `a and b and ... ` thousands long cannot exhaust the stack.
        chain: list[Node] = []
        current: Node = node
        while isinstance(current, BoolOp) and current.op == node.op:
            chain.append(current.right)
            current = current.left
        chain.append(current)
        parts = [compile_test(scope, part) for part in reversed(chain)]
        if node.op == "and":
            return lambda env: all(p(env) for p in parts)
        return lambda env: any(p(env) for p in parts)
    if isinstance(node, Not):
        inner = compile_test(scope, node.operand)
        return lambda env: not inner(env)
    if isinstance(node, Call):
        return _compile_call(scope, node)
    if isinstance(node, QueryFunction):
        return _compile_query_function(scope, node)
    if isinstance(node, Lambda):
        return compile_lambda(scope, node, compile_test)
    return _compile_compare(scope, node)


def _compile_query_function(scope: Scope, node: QueryFunction) -> Test:
    """In / NotIn / Between / NotBetween over one column with its comparison rules, or a date function.

    Inside a lambda body `PropertyName` names a column of the lambda's item: Dataverse runs a lambda as a
    link-entity filter whose conditions apply to the related table (an inference; the docs give no example).
    """
    current = scope.current
    table = scope.variables.get(current, scope.table)
    key = known_column(table, node.property_name)
    kind = table.columns[key].kind
    if SIGNATURES[node.name].date_only:
        return _compile_date_function(scope, node, key, kind)
    column = _Bound(lambda env: env[current].get(key), kind)
    for value in node.values:
        literal = value
        if kind.numeric and literal.edm == "Edm.String":  # PropertyValues may quote numbers: ["1","2"]
            try:
                literal = Literal(Decimal(str(literal.value)), "Edm.Decimal")
            except ArithmeticError as exc:
                raise errors.bad_request(
                    f"'{value.value}' is not a valid value for '{key}'.", errors.URL_NOT_PARSED
                ) from exc
        _check_types("eq", column, _Bound(lambda _env: None, None, literal))
    wanted = [normal(kind, _coerce_literal(kind, v)) for v in node.values]
    name = node.name

    def test(env: Env) -> bool:
        value = normal(kind, env[current].get(key))
        if value is None:
            return False
        if name in ("In", "NotIn"):
            return bool(value in wanted) == (name == "In")
        low, high = wanted
        try:
            between = bool(low <= value <= high)
        except TypeError:
            return False
        return between == (name == "Between")

    return test


def _compile_date_function(scope: Scope, node: QueryFunction, key: str, kind: Kind) -> Test:
    """LastXDays, Today, On, ... : the column's value must fall in the function's window (query_functions.py)."""
    full = f"Microsoft.Dynamics.CRM.{node.name}"
    if kind is not Kind.DATETIME:
        # Documented only as "evaluate whether the value is ..." a date; the service's message is undocumented.
        raise errors.bad_request(
            f"The function '{full}' can only be applied to a date and time column; '{key}' is {kind.edm}.",
            errors.URL_NOT_PARSED,
        )
    x: int | None = None
    day: datetime | None = None
    if node.values:
        literal = node.values[0]
        expected = SIGNATURES[node.name].params[0][1]
        try:
            if expected == "Edm.Int64":
                if not isinstance(literal.value, int) or isinstance(literal.value, bool):
                    raise ValueError(literal.value)
                x = literal.value
            else:
                day = normal(Kind.DATETIME, literal.value if isinstance(literal.value, str | date) else None)
                if day is None:
                    raise ValueError(literal.value)
        except (ValueError, TypeError) as exc:
            # The OData library's wording for a literal of the wrong type (the service's exact text is undocumented).
            raise errors.bad_request(
                f"Cannot convert the literal '{literal.value}' to the expected type '{expected}'.",
                errors.URL_NOT_PARSED,
            ) from exc
    span = window(node.name, scope.now, x, day)

    def test(env: Env) -> bool:
        value = normal(kind, env[scope.current].get(key))
        return value is not None and inside(value, span)

    return test


def _coerce_literal(kind: Kind, literal: Literal) -> Any:
    if kind.numeric and isinstance(literal.value, str):
        return Decimal(literal.value)
    if kind is Kind.DATETIME and isinstance(literal.value, str):
        return parse_datetime(literal.value)
    return literal.value


def _bind(scope: Scope, operand: Literal | Path) -> _Bound:
    if isinstance(operand, Literal):
        value = operand.value
        return _Bound(lambda _env: value, None, operand)
    base, table, rest = scope.base(operand)
    if not rest:
        raise errors.bad_request(
            f"The range variable '{base}' must be followed by a property, as in '{base}/name'.", errors.URL_NOT_PARSED
        )
    if len(rest) == 1:
        key = known_column(table, rest[0])
        column = table.columns[key]
        return _Bound(lambda env: env[base].get(key), column.kind)
    # Lookup traversal, to any depth: `primarycontactid/fullname`, `primarycontactid/createdby/fullname` (Learn
    # "Filter rows using OData", "Filter using lookup column property values": "You can also compare values further
    # up the hierarchy of single-valued navigation properties").
    hops: list[tuple[str, dict[str, Row]]] = []
    current = table
    for nav in rest[:-1]:
        found = current.navigation(nav)
        if found is None:
            raise errors.unknown_property(current.logical_name, nav)
        lookup, target_set = found
        hops.append((lookup.key, scope.state.row_map(target_set)))
        current = scope.state.table(target_set)
    key = known_column(current, rest[-1])

    def read(env: Env) -> Any:
        row: Row | None = env[base]
        for lookup_key, rows in hops:
            row = rows.get(row.get(lookup_key) or "") if row is not None else None
        return row.get(key) if row is not None else None

    return _Bound(read, current.columns[key].kind)


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


def _compile_compare(scope: Scope, node: Compare) -> Test:
    left, right = _bind(scope, node.left), _bind(scope, node.right)
    kind = _check_types(node.op, left, right)
    op = node.op

    def test(env: Env) -> bool:
        a, b = normal(kind, left.read(env)), normal(kind, right.read(env))
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

    return test


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


def _compile_call(scope: Scope, node: Call) -> Test:
    target, argument = _bind(scope, node.target), _bind(scope, node.argument)
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

    def test(env: Env) -> bool:
        value = read(env)
        return value is not None and pattern.fullmatch(str(value)) is not None

    return test
