"""Query options on a table: `$select`, `$filter`, `$orderby`, `$top`, `$count`, `$expand`, and row projection.

Binding a parsed `$filter` to a table is where names and types are checked, with the service's own
messages: an unknown column is "Could not find a property named ...", a string compared with a
number is "A binary operator with incompatible types was detected ...".

Matching rules, as on the real service (SQL Server underneath):
- string comparisons (eq, ne, gt..., contains, startswith, endswith) ignore case;
- inside contains / startswith / endswith the characters `%` (any run), `_` (any one character),
  `[abc]` and `[^abc]` (a character class) are wildcards, exactly as SQL LIKE treats them; `eq` is literal;
- `null` only matches with eq / ne; any ordering comparison with a null column is false;
- GUIDs compare without regard to case, quoted or bare; datetimes compare as instants (a date means midnight UTC).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
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
    ParseError,
    Path,
    parse,
)
from inolink_tui.sandbox.dataverse.schema import Column, Kind, Table
from inolink_tui.sandbox.dataverse.state import DataverseState, Row
from inolink_tui.sandbox.dataverse.values import formatted, parse_datetime, parse_guid

Predicate = Callable[[Row], bool]
COUNT_LIMIT = 5000
FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOOKUP_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
ASSOCIATED_NAV = "Microsoft.Dynamics.CRM.associatednavigationproperty"
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


@dataclass
class Expand:
    """One `$expand` item: a single-valued lookup or a one-to-many collection."""

    nav: str
    target: Table
    options: QueryOptions
    lookup_key: str  # single: the `_x_value` on this row; collection: the lookup on the target rows
    single: bool


@dataclass
class QueryOptions:
    select: list[str] | None = None
    where: Predicate | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)
    top: int | None = None
    count: bool = False
    expand: list[Expand] = field(default_factory=list)
    raw_filter: str | None = None


class Annotations:
    """Which instance annotations the client asked for in `Prefer: odata.include-annotations`."""

    def __init__(self, spec: str | None) -> None:
        self.patterns = [p.strip() for p in (spec or "").split(",") if p.strip()]

    def wants(self, term: str) -> bool:
        for pattern in self.patterns:
            if pattern == "*" or pattern == term:
                return True
            if pattern.endswith("*") and term.startswith(pattern[:-1]):
                return True
        return False

    def __bool__(self) -> bool:
        return bool(self.patterns)


# ----- option parsing -----

ALLOWED_OPTIONS = ("$select", "$filter", "$orderby", "$top", "$count", "$expand")


def parse_options(state: DataverseState, table: Table, params: dict[str, str], *, nested: bool = False) -> QueryOptions:
    """Check and bind query options; anything unsupported is a 400 rather than silently ignored."""
    for name in params:
        if name.startswith("$") and name not in ALLOWED_OPTIONS:
            if name == "$skip":
                raise errors.bad_request("The query parameter $skip is not supported")
            if not (name in ("$skiptoken", "$deltatoken") and not nested):
                raise errors.bad_request(f"The query parameter {name} is not supported", errors.URL_NOT_PARSED)
    options = QueryOptions()
    if "$select" in params:
        options.select = [_known(table, name.strip()) for name in params["$select"].split(",") if name.strip()]
    if "$filter" in params:
        options.raw_filter = params["$filter"]
        try:
            node = parse(params["$filter"])
        except ParseError as exc:
            raise errors.bad_request(str(exc), errors.URL_NOT_PARSED) from exc
        options.where = compile_filter(state, table, node)
    if "$orderby" in params:
        for item in params["$orderby"].split(","):
            words = item.split()
            if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise errors.bad_request(f"Syntax error in $orderby '{params['$orderby']}'.", errors.URL_NOT_PARSED)
            options.orderby.append((_known(table, words[0]), len(words) == 2 and words[1].lower() == "desc"))
    if "$top" in params:
        try:
            options.top = int(params["$top"])
        except ValueError:
            options.top = -1
        if options.top < 0:
            raise errors.bad_request(
                f"Invalid value '{params['$top']}' for $top query option found. The $top query option requires a "
                "non-negative integer value.",
                errors.URL_NOT_PARSED,
            )
    if "$count" in params:
        value = params["$count"].lower()
        if value not in ("true", "false"):
            raise errors.bad_request(f"'{params['$count']}' is not a valid count option.", errors.URL_NOT_PARSED)
        options.count = value == "true"
    if "$expand" in params:
        options.expand = [_expand(state, table, item) for item in split_top_level(params["$expand"], ",")]
    return options


def _known(table: Table, name: str) -> str:
    if table.column(name) is None:
        raise errors.unknown_property(table.logical_name, name)
    return name


def split_top_level(text: str, separator: str) -> list[str]:
    """Split on a separator outside parentheses and quotes (`$expand=a($select=x,y),b`)."""
    parts: list[str] = []
    depth = 0
    quoted = False
    current: list[str] = []
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == separator and depth == 0 and not quoted:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    if depth != 0 or quoted or any(not p for p in parts):
        raise errors.bad_request(f"Syntax error in '{text}'.", errors.URL_NOT_PARSED)
    return parts


def _expand(state: DataverseState, table: Table, item: str) -> Expand:
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?", item, re.DOTALL)
    if match is None:
        raise errors.bad_request(f"Syntax error in $expand item '{item}'.", errors.URL_NOT_PARSED)
    nav, inner = match.group(1), match.group(2)
    params: dict[str, str] = {}
    if inner:
        for option in split_top_level(inner, ";"):
            name, sep, value = option.partition("=")
            if not sep:
                raise errors.bad_request(f"Syntax error in $expand item '{item}'.", errors.URL_NOT_PARSED)
            params[name.strip()] = value
    found = table.navigation(nav)
    if found is not None:
        column, target_set = found
        target = state.table(target_set)
        options = parse_options(state, target, params, nested=True)
        if options.top is not None or options.orderby or options.where is not None:
            raise errors.bad_request(
                "Only $select and $expand are supported in $expand of a single-valued navigation property.",
                errors.URL_NOT_PARSED,
            )
        return Expand(nav, target, options, column.key, single=True)
    collection = table.collections.get(nav)
    if collection is None:
        raise errors.unknown_property(table.logical_name, nav)
    target = state.table(collection.entity_set)
    return Expand(nav, target, parse_options(state, target, params, nested=True), collection.lookup, single=False)


# ----- $filter binding and evaluation -----


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
    return _compile_compare(state, table, node)


def _bind(state: DataverseState, table: Table, operand: Literal | Path) -> _Bound:
    if isinstance(operand, Literal):
        value = operand.value
        return _Bound(lambda _row: value, None, operand)
    if len(operand.segments) == 1:
        key = _known(table, operand.segments[0])
        column = table.columns[key]
        return _Bound(lambda row: row.get(key), column.kind)
    if len(operand.segments) == 2:
        nav, name = operand.segments
        found = table.navigation(nav)
        if found is None:
            raise errors.unknown_property(table.logical_name, nav)
        lookup, target_set = found
        target = state.table(target_set)
        key = _known(target, name)
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


def _normal(kind: Kind | None, value: Any) -> Any:
    """Values of both sides in one comparable form."""
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
        return Decimal(str(value))
    return value


def _compile_compare(state: DataverseState, table: Table, node: Compare) -> Predicate:
    left, right = _bind(state, table, node.left), _bind(state, table, node.right)
    kind = _check_types(node.op, left, right)
    op = node.op

    def predicate(row: Row) -> bool:
        a, b = _normal(kind, left.read(row)), _normal(kind, right.read(row))
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


# ----- ordering -----


def sort_key_values(table: Table, row: Row, orderby: list[tuple[str, bool]]) -> list[Any]:
    """The values a row sorts by, ending with its primary key (a total order keyset paging can resume)."""
    keys = [k for k, _ in orderby] + [table.primary_key]
    return [_normal(table.columns[k].kind, row.get(k)) for k in keys]


def compare_keys(a: list[Any], b: list[Any], directions: list[bool]) -> int:
    """Compare two sort keys; nulls first ascending (SQL Server), descending reverses each column."""
    for x, y, descending in zip(a, b, [*directions, False], strict=False):
        if x == y:
            continue
        if x is None:
            result = -1
        elif y is None:
            result = 1
        else:
            try:
                result = -1 if x < y else 1
            except TypeError:
                result = -1 if str(x) < str(y) else 1
        return -result if descending else result
    return 0


def ordered(table: Table, rows: list[Row], orderby: list[tuple[str, bool]]) -> list[Row]:
    directions = [d for _, d in orderby]
    keyed: list[tuple[list[Any], Row]] = [(sort_key_values(table, r, orderby), r) for r in rows]

    def compare(a: tuple[list[Any], Row], b: tuple[list[Any], Row]) -> int:
        return compare_keys(a[0], b[0], directions)

    keyed.sort(key=functools.cmp_to_key(compare))
    return [r for _, r in keyed]


def select_rows(state: DataverseState, table: Table, options: QueryOptions) -> list[Row]:
    rows = list(state.row_map(table.entity_set).values())
    if options.where is not None:
        rows = [r for r in rows if options.where(r)]
    return ordered(table, rows, options.orderby)


# ----- projection -----


def etag(row: Row) -> str:
    return f'W/"{row["versionnumber"]}"'


def project(
    state: DataverseState,
    table: Table,
    row: Row,
    options: QueryOptions,
    annotations: Annotations,
    *,
    with_etag: bool = True,
) -> dict[str, Any]:
    """A row as JSON: etag, selected columns (primary key always), annotations, expansions."""
    out: dict[str, Any] = {}
    if with_etag:
        out["@odata.etag"] = etag(row)
    keys = options.select if options.select is not None else list(table.columns)
    if table.primary_key not in keys:
        keys = [*keys, table.primary_key]
    for key in keys:
        column = table.columns[key]
        value = row.get(key)
        _annotate(state, column, value, annotations, out, key)
        out[key] = value
    for item in options.expand:
        if item.single:
            related = state.row_map(item.target.entity_set).get(row.get(item.lookup_key) or "")
            out[item.nav] = project(state, item.target, related, item.options, annotations) if related else None
        else:
            children = [
                r
                for r in state.row_map(item.target.entity_set).values()
                if r.get(item.lookup_key) == row[table.primary_key]
            ]
            if item.options.where is not None:
                children = [r for r in children if item.options.where(r)]
            children = ordered(item.target, children, item.options.orderby)
            if item.options.top is not None:
                children = children[: item.options.top]
            out[item.nav] = [project(state, item.target, r, item.options, annotations) for r in children]
    return out


def _annotate(
    state: DataverseState, column: Column, value: Any, annotations: Annotations, out: dict[str, Any], key: str
) -> None:
    if not annotations or value is None:
        return
    if column.kind is Kind.LOOKUP:
        target = state.lookup_target(column, value)
        if target is None:
            return
        nav, entity_set, related = target
        target_table = state.tables[entity_set]
        if annotations.wants(FORMATTED):
            out[f"{key}@{FORMATTED}"] = related.get(target_table.primary_name)
        if annotations.wants(ASSOCIATED_NAV):
            out[f"{key}@{ASSOCIATED_NAV}"] = nav
        if annotations.wants(LOOKUP_NAME):
            out[f"{key}@{LOOKUP_NAME}"] = target_table.logical_name
        return
    if annotations.wants(FORMATTED):
        text = formatted(column, value)
        if text is not None:
            out[f"{key}@{FORMATTED}"] = text


def context_url(state: DataverseState, table: Table, options: QueryOptions, suffix: str = "") -> str:
    """`@odata.context`: `<org>/api/data/v9.2/$metadata#accounts(name,revenue)` plus `/$entity` or `/$delta`."""
    selection = ""
    if options.select is not None:
        parts = list(options.select)
        parts += [f"{e.nav}({','.join(e.options.select or [])})" for e in options.expand]
        selection = f"({','.join(parts)})"
    return f"{state.org_url}/api/data/v9.2/$metadata#{table.entity_set}{selection}{suffix}"


def capped_count(total: int) -> tuple[int, bool]:
    """`@odata.count` stops at 5000; the flag says more rows exist (reference §9)."""
    return min(total, COUNT_LIMIT), total > COUNT_LIMIT
