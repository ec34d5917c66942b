"""Query options on a table: `$select`, `$filter`, `$orderby`, `$top`, `$count`, `$expand`, and row projection.

`$filter` binding and its matching rules (case-insensitive strings, SQL LIKE wildcards in
contains/startswith/endswith) live in `predicates.py`; ordering puts nulls first ascending, as
SQL Server does, and always ends with the primary key so keyset paging can resume.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.exchange import CURRENCY_KEY
from inolink_tui.sandbox.dataverse.odata_filter import ParseError, parse
from inolink_tui.sandbox.dataverse.paging import encode_token, query_string
from inolink_tui.sandbox.dataverse.predicates import Predicate, compile_filter, known_column, normal
from inolink_tui.sandbox.dataverse.schema import Column, Kind, Table
from inolink_tui.sandbox.dataverse.state import DataverseState, Row
from inolink_tui.sandbox.dataverse.values import formatted

COUNT_LIMIT = 5000
FORMATTED = "OData.Community.Display.V1.FormattedValue"
LOOKUP_NAME = "Microsoft.Dynamics.CRM.lookuplogicalname"
ASSOCIATED_NAV = "Microsoft.Dynamics.CRM.associatednavigationproperty"


@dataclass
class Expand:
    """One `$expand` item: a single-valued lookup or a one-to-many collection."""

    nav: str
    target: Table
    options: QueryOptions
    lookup_key: str  # single: the `_x_value` on this row; collection: the lookup on the target rows
    single: bool
    ref: bool = False  # `nav/$ref`: only the related row's `@odata.id`
    params: list[tuple[str, str]] = field(default_factory=list)  # the item's own options, for its nextLink


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
        options.select = [known_column(table, name.strip()) for name in params["$select"].split(",") if name.strip()]
    if "$filter" in params:
        options.raw_filter = params["$filter"]
        try:
            aliases = {k: v for k, v in params.items() if k.startswith("@")}
            node = parse(params["$filter"], aliases, allow_aliases=not nested)
        except ParseError as exc:
            raise errors.bad_request(str(exc), errors.URL_NOT_PARSED) from exc
        options.where = compile_filter(state, table, node)
    if "$orderby" in params:
        for item in params["$orderby"].split(","):
            words = item.split()
            if words and words[0].startswith("@") and not nested:  # a parameter alias naming the property
                words[0] = params.get(words[0], "").strip()  # (Learn "Use OData to query data", parameter aliases)
            if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                raise errors.bad_request(f"Syntax error in $orderby '{params['$orderby']}'.", errors.URL_NOT_PARSED)
            options.orderby.append((known_column(table, words[0]), len(words) == 2 and words[1].lower() == "desc"))
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


JOIN_TABLES = "https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/join-tables"
ONLY_SELECT_AND_FILTER = (  # JOIN_TABLES, "Nested $expand on collection-valued navigation properties"
    "Only $select and $filter clause can be provided while doing $expand on many-to-one relationship or nested "
    "one-to-many relationship."
)


def _expand(state: DataverseState, table: Table, item: str) -> Expand:
    """One `$expand` item (JOIN_TABLES): `nav`, `nav($select=..;$filter=..;$orderby=..;$top=..;$expand=..)`, or
    `nav/$ref` for a single-valued navigation property."""
    match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(/\$ref)?\s*(?:\((.*)\))?", item, re.DOTALL)
    if match is None:
        raise errors.bad_request(f"Syntax error in $expand item '{item}'.", errors.URL_NOT_PARSED)
    nav, ref, inner = match.group(1), bool(match.group(2)), match.group(3)
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
        if options.top is not None or options.orderby:
            raise errors.bad_request(ONLY_SELECT_AND_FILTER, errors.URL_NOT_PARSED)
        if options.where is not None:  # not described for a lookup: the sandbox refuses it rather than guess
            raise errors.bad_request(
                "$filter is not supported in $expand of a single-valued navigation property.", errors.URL_NOT_PARSED
            )
        return Expand(nav, target, options, column.key, single=True, ref=ref)
    collection = table.collections.get(nav)
    if collection is None:
        raise errors.unknown_property(table.logical_name, nav)
    if ref:  # JOIN_TABLES, "Return references"
        raise errors.bad_request(
            "Expand with $ref is only supported on lookup type navigation property.", errors.URL_NOT_PARSED
        )
    target = state.table(collection.entity_set)
    options = parse_options(state, target, params, nested=True)
    if options.expand and (options.top is not None or options.orderby):
        raise errors.bad_request(ONLY_SELECT_AND_FILTER, errors.URL_NOT_PARSED)
    return Expand(nav, target, options, collection.lookup, single=False, params=list(params.items()))


# ----- ordering -----


def sort_value(state: DataverseState, table: Table, key: str, row: Row) -> Any:
    """What a column sorts by. A lookup sorts by the related row's primary name (Learn "Order rows using OData",
    https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query/order-rows: "When you order using
    lookup columns, the results are sorted using the primary name field for the related table"); a choice by its
    integer value (same page)."""
    column = table.columns[key]
    value = row.get(key)
    if column.kind is Kind.LOOKUP and value is not None:
        target = state.lookup_target(column, value)
        if target is not None:
            return normal(Kind.STRING, target[2].get(state.tables[target[1]].primary_name))
    return normal(column.kind, value)


def sort_key_values(state: DataverseState, table: Table, row: Row, orderby: list[tuple[str, bool]]) -> list[Any]:
    """The values a row sorts by, ending with its primary key (a total order keyset paging can resume)."""
    keys = [k for k, _ in orderby] + [table.primary_key]
    return [sort_value(state, table, k, row) for k in keys]


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


def ordered(state: DataverseState, table: Table, rows: list[Row], orderby: list[tuple[str, bool]]) -> list[Row]:
    """Rows in `$orderby` order then primary key: stable sorts from the last key to the first (nulls first)."""
    result = sorted(rows, key=lambda r: str(r[table.primary_key]))
    for key, descending in reversed(orderby):

        def sort_key(row: Row, key: str = key) -> tuple[bool, Any]:
            value = sort_value(state, table, key, row)
            return (value is not None, value if value is not None else 0)

        result.sort(key=sort_key, reverse=descending)
    return result


def select_rows(state: DataverseState, table: Table, options: QueryOptions) -> list[Row]:
    rows = list(state.row_map(table.entity_set).values())
    if options.where is not None:
        rows = [r for r in rows if options.where(r)]
    return ordered(state, table, rows, options.orderby)


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
    page: int | None = None,
) -> dict[str, Any]:
    """A row as JSON: etag, selected columns (primary key always), annotations, expansions.

    `page` is the request's `odata.maxpagesize`: with a nested `$expand` in the query it pages each expanded
    collection too (JOIN_TABLES, "Nested $expand on collection-valued navigation properties")."""
    out: dict[str, Any] = {}
    if with_etag:
        out["@odata.etag"] = etag(row)
    keys = options.select if options.select is not None else list(table.columns)
    if table.primary_key not in keys:
        keys = [*keys, table.primary_key]
    # Learn samples ("Create with data returned", "Update with data returned") and reference §5 (seen): selecting
    # a money column brings the record's `_transactioncurrencyid_value` along unasked.
    money = any(table.columns[k].kind is Kind.MONEY for k in keys)
    if money and CURRENCY_KEY in table.columns and CURRENCY_KEY not in keys:
        keys = [*keys[:-1], CURRENCY_KEY, keys[-1]] if keys[-1] == table.primary_key else [*keys, CURRENCY_KEY]
    symbol = currency_symbol(state, row) if money and annotations else "$"
    for key in keys:
        column = table.columns[key]
        value = row.get(key)
        _annotate(state, column, value, annotations, out, key, symbol)
        out[key] = value
    for item in options.expand:
        if item.single:  # JOIN_TABLES samples: an expanded lookup row carries no @odata.etag
            related = state.row_map(item.target.entity_set).get(row.get(item.lookup_key) or "")
            if related is None:
                out[item.nav] = None
            elif item.ref:
                out[item.lookup_key] = row.get(item.lookup_key)
                out[item.nav] = {"@odata.id": state.entity_url(item.target, related[item.target.primary_key])}
            else:
                out[item.nav] = project(state, item.target, related, item.options, annotations, with_etag=False)
        else:
            children = [
                r
                for r in state.row_map(item.target.entity_set).values()
                if r.get(item.lookup_key) == row[table.primary_key]
            ]
            if item.options.where is not None:
                children = [r for r in children if item.options.where(r)]
            children = ordered(state, item.target, children, item.options.orderby)
            if item.options.top is not None:
                children = children[: item.options.top]
            # JOIN_TABLES samples: with a single-level $expand each item carries @odata.etag and the lookup that
            # points back at this row (`_parentcustomerid_value`) even if not selected; where a nested $expand is
            # in the query, items carry neither.
            nested = any(e.options.expand for e in options.expand)
            item_options = item.options
            if not nested and item.options.select is not None and item.lookup_key not in item.options.select:
                item_options = replace(item.options, select=[*item.options.select, item.lookup_key])
            paged = nested and page is not None
            shown = children[:page] if paged else children
            out[item.nav] = [
                project(state, item.target, r, item_options, annotations, with_etag=not nested, page=page)
                for r in shown
            ]
            # JOIN_TABLES "Single $expand on collection-valued navigation properties": each expanded collection
            # has a `<nav>@odata.nextLink` naming the filtered collection with the item's options, no paging; with
            # a nested $expand and a page size, the link carries the paging cookie of the rows not shown.
            params = list(item.params)
            if paged and len(children) > len(shown):
                last = sort_key_values(state, item.target, shown[-1], item.options.orderby) if shown else []
                params.append(("$skiptoken", encode_token(2, {"last": last})))
            query = query_string(params)
            url = f"{state.entity_url(table, row[table.primary_key])}/{item.nav}"
            out[f"{item.nav}@odata.nextLink"] = url + (f"?{query}" if query else "")
    return out


def currency_symbol(state: DataverseState, row: Row) -> str:
    """The symbol money values of `row` are formatted with: its transaction currency's (Learn "Select columns using
    OData", Formatted values: "Currency values with currency symbols"); `$` when it has none."""
    if CURRENCY_KEY not in row or "transactioncurrencies" not in state.tables:
        return "$"
    currency = state.row_map("transactioncurrencies").get(row.get(CURRENCY_KEY) or "")
    return str(currency.get("currencysymbol") or "$") if currency else "$"


def _annotate(
    state: DataverseState,
    column: Column,
    value: Any,
    annotations: Annotations,
    out: dict[str, Any],
    key: str,
    symbol: str = "$",
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
        text = formatted(column, value, symbol)
        if text is not None:
            out[f"{key}@{FORMATTED}"] = text


def context_url(state: DataverseState, table: Table, options: QueryOptions, suffix: str = "") -> str:
    """`@odata.context`: `<org>/api/data/v9.2/$metadata#accounts(name,revenue)` plus `/$entity` or `/$delta`."""
    selection = f"({_selection(options)})" if options.select is not None else ""
    return f"{state.org_url}/api/data/v9.2/$metadata#{table.entity_set}{selection}{suffix}"


def _selection(options: QueryOptions) -> str:
    """`name,primarycontactid(fullname,createdby(fullname))`: nested expansions nest (JOIN_TABLES samples); a
    `$ref` expansion reads `primarycontactid,primarycontactid/$ref()` as the "Return references" sample does."""
    parts = list(options.select or [])
    for e in options.expand:
        parts += [e.nav, f"{e.nav}/$ref()"] if e.ref else [f"{e.nav}({_selection(e.options)})"]
    return ",".join(parts)


def capped_count(total: int) -> tuple[int, bool]:
    """`@odata.count` stops at 5000; the flag says more rows exist (reference §9)."""
    return min(total, COUNT_LIMIT), total > COUNT_LIMIT


GLOBAL_METADATA_VERSION = "Microsoft.Dynamics.CRM.globalmetadataversion"
"""Learn "Compose HTTP requests and handle errors", Request annotations: "returned on the request ... The value
changes when any schema change occurs"; samples show it after the count annotations as a string of digits. The
sandbox counts its schema changes (the customization journal)."""
TOTAL_RECORD_COUNT = "Microsoft.Dynamics.CRM.totalrecordcount"
TOTAL_RECORD_COUNT_LIMIT_EXCEEDED = "Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"


def count_annotations(total: int, count: bool, annotations: Annotations) -> dict[str, Any]:
    """The collection-level count annotations of a page, in the order the docs print them.

    Source: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/count-rows
    - `$count=true` adds `@odata.count`: the matching rows, up to 5,000, whatever the page size;
    - `Prefer: odata.include-annotations` naming `Microsoft.Dynamics.CRM.totalrecordcount` and
      `...totalrecordcountlimitexceeded` (or `*`, or `Microsoft.Dynamics.CRM.*`) adds both: with `$count=true`
      they are the capped count and whether more than 5,000 rows match; without it the count is `-1`.
    Vague or inconsistent in the docs: (1) the page's last sample shows `@odata.count: 10` beside
    `totalrecordcount: 5000` and `limitexceeded: true`, contradicting its own rules above it; the sandbox
    follows the stated rules. (2) Without `$count=true` only the `-1` is stated; `limitexceeded` is then `false`
    here. (3) The annotations are only described for the preference, so without it neither is sent (the
    sandbox used to send `limitexceeded` unasked).
    """
    capped, exceeded = capped_count(total)
    out: dict[str, Any] = {}
    if count:
        out["@odata.count"] = capped
    if annotations.wants(TOTAL_RECORD_COUNT):
        out[f"@{TOTAL_RECORD_COUNT}"] = capped if count else -1
    if annotations.wants(TOTAL_RECORD_COUNT_LIMIT_EXCEEDED):
        out[f"@{TOTAL_RECORD_COUNT_LIMIT_EXCEEDED}"] = exceeded if count else False
    return out
