"""`$apply`: the subset of OData data aggregation Dataverse documents (filter, groupby, aggregate).

Source: Microsoft Learn, "Aggregate data using OData"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/aggregate-data):
- `$apply=groupby((statuscode))` lists the distinct values; `groupby((a,b,c))` the distinct combinations, a null
  group value is left out of its row (the "Distinct column values" sample omits `accountcategorycode`);
- `groupby((statuscode),aggregate($count as count))`, `aggregate(revenue with sum as total)`, `with average`,
  `with min` / `with max` (datetimes too: `createdon with max as lastCreate`);
- `groupby((primarycontactid/fullname),aggregate(...))` groups through a lookup; the value is named
  `<related logical name>_<column>` (`contact_fullname`);
- `filter(<expr>)/groupby(...)` chains transformations with `/`;
- the context is `$metadata#accounts`; with `Prefer: odata.include-annotations` the FormattedValue of each value is
  sent (money "$440,000.00", counts "8", choices their label, dates "3/25/2023 10:42 AM");
- "groupby with datetime values is not supported" and "$orderby with aggregate values is not supported. This
  will return the error: The query node SingleValueOpenPropertyAccess is not supported".
`countdistinct` is from the OData extension the page points to. Not documented, so chosen here: groups come back in
ascending order of their values (nulls first, as `$orderby` sorts); the error code of the refusals is 0x80060888
(the service's code for queries it cannot parse); `$apply` with `$filter` filters the rows first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.predicates import normal
from inolink_tui.sandbox.dataverse.query import FORMATTED, Annotations, parse_options, split_top_level
from inolink_tui.sandbox.dataverse.schema import Column, Kind, Table
from inolink_tui.sandbox.dataverse.state import DataverseState, Row
from inolink_tui.sandbox.dataverse.values import formatted

_CALL = re.compile(r"^(filter|groupby|aggregate)\((.*)\)$", re.DOTALL)
_ITEM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s+with\s+(sum|average|min|max|countdistinct)\s+as\s+([A-Za-z_]\w*)$")
_COUNT = re.compile(r"^\$count\s+as\s+([A-Za-z_]\w*)$")


@dataclass(frozen=True)
class _Group:
    """One groupby property: a column of the table or of the row a lookup points at."""

    name: str  # the key in the answer
    column: Column
    lookup: str | None  # the `_x_value` key to follow first, if any
    target: str  # entity set the column belongs to


@dataclass(frozen=True)
class _Aggregate:
    alias: str
    method: str  # sum, average, min, max, countdistinct, or count
    column: Column | None


def _syntax(text: str) -> errors.DataverseError:
    return errors.bad_request(f"Syntax error in $apply '{text}'.", errors.URL_NOT_PARSED)


def _group(state: DataverseState, table: Table, path: str) -> _Group:
    head, _, tail = path.strip().partition("/")
    if tail:
        lookup = table.lookup_by_name(head)
        if lookup is None or len(set(lookup.targets.values())) != 1:
            raise errors.unknown_property(table.logical_name, head)
        target = state.tables[next(iter(lookup.targets.values()))]
        column = target.column(tail)
        if column is None:
            raise errors.unknown_property(target.logical_name, tail)
        return _Group(f"{target.logical_name}_{tail}", column, lookup.key, target.entity_set)
    column = table.column(head)
    if column is None:
        raise errors.unknown_property(table.logical_name, head)
    return _Group(head, column, None, table.entity_set)


def _aggregates(table: Table, text: str) -> list[_Aggregate]:
    out: list[_Aggregate] = []
    for item in split_top_level(text, ","):
        count = _COUNT.match(item)
        if count is not None:
            out.append(_Aggregate(count.group(1), "count", None))
            continue
        match = _ITEM.match(item)
        if match is None:
            raise _syntax(item)
        column = table.column(match.group(1))
        if column is None:
            raise errors.unknown_property(table.logical_name, match.group(1))
        if match.group(2) in ("sum", "average") and not column.kind.numeric:
            raise errors.bad_request(
                f"The {match.group(2)} of '{column.name}' cannot be computed: it is not a number.",
                errors.URL_NOT_PARSED,
            )
        out.append(_Aggregate(match.group(3), match.group(2), column))
    return out


def _value(state: DataverseState, row: Row, group: _Group) -> Any:
    if group.lookup is None:
        return row.get(group.column.key)
    related = state.row_map(group.target).get(row.get(group.lookup) or "")
    return None if related is None else related.get(group.column.key)


def _compute(rows: list[Row], item: _Aggregate) -> Any:
    if item.method == "count":
        return len(rows)
    assert item.column is not None
    kind = item.column.kind
    values: list[Any] = [r[item.column.key] for r in rows if r.get(item.column.key) is not None]
    if item.method == "countdistinct":
        return len({normal(kind, v) for v in values})
    if not values:
        return None
    if item.method == "sum":
        return sum(values)
    if item.method == "average":
        return sum(values) / len(values)
    pick = min if item.method == "min" else max
    return pick(values, key=lambda v: normal(kind, v))


def _put(out: dict[str, Any], name: str, value: Any, column: Column | None, annotations: Annotations) -> None:
    if annotations.wants(FORMATTED) and value is not None:
        text = str(value) if column is None else formatted(column, value)
        if text is not None:
            out[f"{name}@{FORMATTED}"] = text
    out[name] = value


def apply_query(state: DataverseState, table: Table, params: dict[str, str], annotations: Annotations) -> list[Any]:
    """The rows of the `$apply` answer (the caller wraps them with the context and the headers)."""
    if "$orderby" in params:
        raise errors.bad_request("The query node SingleValueOpenPropertyAccess is not supported", errors.URL_NOT_PARSED)
    rows = list(state.row_map(table.entity_set).values())
    where = parse_options(state, table, {k: v for k, v in params.items() if k == "$filter"}).where
    rows = [r for r in rows if where is None or where(r)]
    groups: list[_Group] = []
    aggregates: list[_Aggregate] = []
    for step in split_top_level(params["$apply"], "/"):
        call = _CALL.match(step.strip())
        if call is None:
            raise _syntax(step)
        name, inner = call.group(1), call.group(2)
        if name == "filter":
            test = parse_options(state, table, {"$filter": inner}).where
            rows = [r for r in rows if test is None or test(r)]
        elif name == "aggregate":
            aggregates = _aggregates(table, inner)
        else:
            parts = split_top_level(inner, ",")
            if not parts[0].startswith("(") or not parts[0].endswith(")") or len(parts) > 2:
                raise _syntax(step)
            groups = [_group(state, table, p) for p in split_top_level(parts[0][1:-1], ",")]
            if any(g.column.kind is Kind.DATETIME for g in groups):
                raise errors.bad_request("groupby with datetime values is not supported.", errors.URL_NOT_PARSED)
            if len(parts) == 2:
                agg = _CALL.match(parts[1])
                if agg is None or agg.group(1) != "aggregate":
                    raise _syntax(step)
                aggregates = _aggregates(table, agg.group(2))
    buckets: dict[tuple[Any, ...], tuple[list[Any], list[Row]]] = {}
    for row in rows:
        values = [_value(state, row, g) for g in groups]
        key = tuple(normal(g.column.kind, v) for g, v in zip(groups, values, strict=True))
        buckets.setdefault(key, (values, []))[1].append(row)
    if not groups:
        buckets = {(): ([], rows)}
    ordered = sorted(buckets.items(), key=lambda kv: [(k is not None, k if k is not None else 0) for k in kv[0]])
    answer: list[Any] = []
    for _key, (values, members) in ordered:
        out: dict[str, Any] = {}
        for group, value in zip(groups, values, strict=True):
            if value is not None:
                _put(out, group.name, value, group.column, annotations)
        for item in aggregates:
            column = item.column if item.method in ("sum", "average", "min", "max") else None
            _put(out, item.alias, _compute(members, item), column, annotations)
        answer.append(out)
    return answer
