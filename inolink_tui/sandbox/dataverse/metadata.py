"""Reading table definitions: `EntityDefinitions` and what hangs off it, as the Web API serves them.

Microsoft Learn, "Query table definitions using the Web API" and "Retrieve table definitions by name or
MetadataId" (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-metadata-web-api):

    GET EntityDefinitions[?$select=..&$filter=..&$expand=Attributes($select=..),Keys]
    GET EntityDefinitions(<MetadataId>) | EntityDefinitions(LogicalName='account')
    GET EntityDefinitions(..)/Attributes[(<MetadataId>) | (LogicalName='name')]
    GET EntityDefinitions(..)/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata
        ?$expand=OptionSet,GlobalOptionSet (any derived type: String.., Lookup.., State.., ...)
    GET EntityDefinitions(..)/Attributes(LogicalName='x')/Microsoft.Dynamics.CRM.PicklistAttributeMetadata
    GET EntityDefinitions(..)/Keys[(LogicalName='x')]
    GET EntityDefinitions(..)/ManyToOneRelationships | OneToManyRelationships
    GET GlobalOptionSetDefinitions[(Name='x') | (<MetadataId>)]
    GET RelationshipDefinitions[(<MetadataId>) | (SchemaName='x')][?$filter=SchemaName eq 'x']

Definitions support `$select` and `$filter` (on their scalar properties) and `$expand` of their navigation
properties; `$top`, `$orderby` and paging are not supported on metadata (Learn: "Query table definitions",
"Limitations"), so they are refused here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.metadata_json import (
    all_keys,
    attribute_json,
    entity_json,
    global_option_set_json,
    key_json,
    odata_type,
    option_set_json,
    relationships,
)
from inolink_tui.sandbox.dataverse.query import parse_options
from inolink_tui.sandbox.dataverse.schema import Column, Kind, Table

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState

Json = dict[str, Any]
CAST_PREFIX = "Microsoft.Dynamics.CRM."
_NAMED_KEY = re.compile(r"^\s*(LogicalName|SchemaName|Name)\s*=\s*'((?:[^']|'')*)'\s*$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
METADATA_OPTIONS = {"$select", "$filter", "$expand"}


def context(state: DataverseState, fragment: str) -> str:
    return f"{state.org_url}/api/data/v9.2/$metadata#{fragment}"


def parse_named_key(text: str, allowed: str) -> tuple[str, str]:
    """A MetadataId or `<allowed>='value'` in a metadata URL: ("id"|allowed, value)."""
    text = text.strip()
    if _GUID.match(text):
        return "id", text.lower()
    match = _NAMED_KEY.match(text)
    if match is None or match.group(1) != allowed:
        raise errors.bad_request(
            f"Bad Request - Error in query syntax: the key '({text})' is not a MetadataId or {allowed}='...'.",
            errors.URL_NOT_PARSED,
        )
    return allowed, match.group(2).replace("''", "'")


def find_table(state: DataverseState, key_text: str) -> Table:
    """The table of `EntityDefinitions(<id>)` or `EntityDefinitions(LogicalName='x')`, or 404."""
    kind, value = parse_named_key(key_text, "LogicalName")
    for table in state.tables.values():
        if (kind == "id" and entity_json(state, table)["MetadataId"] == value) or (
            kind != "id" and table.logical_name == value.casefold()
        ):
            return table
    raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find entity with key '{key_text}'.")


def find_column(state: DataverseState, table: Table, key_text: str) -> Column:
    kind, value = parse_named_key(key_text, "LogicalName")
    for column in table.columns.values():
        if (kind == "id" and attribute_json(state, table, column)["MetadataId"] == value) or (
            kind != "id" and column.name == value.casefold()
        ):
            return column
    raise errors.DataverseError(
        404, errors.NOT_FOUND, f"Could not find attribute with key '{key_text}' on entity '{table.logical_name}'."
    )


# ----- query options on definitions -----


def split_top(text: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def parse_expand(text: str) -> dict[str, dict[str, str]]:
    """`Attributes($select=a,b;$filter=..),Keys` -> {"Attributes": {"$select": "a,b", ...}, "Keys": {}}."""
    out: dict[str, dict[str, str]] = {}
    for item in split_top(text, ","):
        name, _, rest = item.partition("(")
        options: dict[str, str] = {}
        if rest:
            if not rest.endswith(")"):
                raise errors.bad_request(f"Syntax error in $expand '{text}'.", errors.URL_NOT_PARSED)
            for option in split_top(rest[:-1], ";"):
                key, _, value = option.partition("=")
                options[key.strip()] = value.strip()
        out[name.strip()] = options
    return out


def _scalar_table(type_name: str, rows: list[Json]) -> Table:
    """A throw-away schema over the scalar properties of definitions, so `$filter` reuses the query engine."""
    columns: dict[str, Column] = {}
    for row in rows:
        for name, value in row.items():
            if name in columns or name.startswith("@"):
                continue
            if isinstance(value, bool):
                kind = Kind.BOOL
            elif isinstance(value, int):
                kind = Kind.INT
            elif isinstance(value, str) and name == "MetadataId":
                kind = Kind.GUID
            elif isinstance(value, str) or value is None:
                kind = Kind.STRING
            else:
                continue
            columns[name] = Column(name, kind, max_length=10_000)
    columns.setdefault("MetadataId", Column("MetadataId", Kind.GUID))
    return Table(type_name, type_name, "MetadataId", "MetadataId", columns, 0, type_name)


_ENUM_LITERAL = re.compile(r"Microsoft\.Dynamics\.CRM\.[A-Za-z]+'((?:[^']|'')*)'")
_VALUE_PATH = re.compile(r"\b([A-Za-z][A-Za-z0-9]*)/Value\b")


def _filtered(state: DataverseState, type_name: str, rows: list[Json], text: str) -> list[Json]:
    """`$filter` on definitions: enum literals (`Microsoft.Dynamics.CRM.OwnershipTypes'UserOwned'`) compare as
    their names, and `<ManagedProperty>/Value` reaches into BooleanManagedProperty-like complex values
    (Learn, "Query table definitions using the Web API": "Use enum types / complex types in $filter")."""
    text = _VALUE_PATH.sub(r"\1__Value", _ENUM_LITERAL.sub(r"'\1'", text))
    flat = []
    for row in rows:
        extra = {
            f"{name}__Value": value["Value"]
            for name, value in row.items()
            if isinstance(value, dict) and not isinstance(value.get("Value"), dict | list) and "Value" in value
        }
        flat.append({**row, **extra})
    where = parse_options(state, _scalar_table(type_name, flat), {"$filter": text}).where
    return [row for row, probe in zip(rows, flat, strict=True) if where is None or where(probe)]


def query(
    state: DataverseState,
    type_name: str,
    rows: list[Json],
    options: dict[str, str],
    expanders: dict[str, Callable[[Json, dict[str, str]], Any]] | None = None,
    *,
    known: set[str] | None = None,
) -> list[Json]:
    """Apply `$filter`, `$expand` and `$select` to definitions (dicts), as Dataverse does for metadata."""
    for name in options:
        if name.startswith("$") and name not in METADATA_OPTIONS:
            raise errors.bad_request(f"The query parameter {name} is not supported", errors.URL_NOT_PARSED)
    if "$filter" in options:
        rows = _filtered(state, type_name, rows, options["$filter"])
    names = set(known or set()).union(*(r.keys() for r in rows))
    expand = parse_expand(options["$expand"]) if options.get("$expand") else {}
    for nav in expand:
        if expanders is None or nav not in expanders:
            raise errors.bad_request(
                f"Could not find a property named '{nav}' on type 'Microsoft.Dynamics.CRM.{type_name}'.",
                errors.URL_NOT_PARSED,
            )
    select = [s.strip() for s in options["$select"].split(",") if s.strip()] if options.get("$select") else None
    for name in select or []:
        if rows and name not in names and name not in (expanders or {}):
            raise errors.bad_request(
                f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{type_name}'.",
                errors.URL_NOT_PARSED,
            )
    out = []
    for row in rows:
        shown = {k: v for k, v in row.items() if select is None or k in select or k in ("@odata.type", "MetadataId")}
        for nav, nested in expand.items():
            assert expanders is not None
            shown[nav] = expanders[nav](row, nested)
        out.append(shown)
    return out


# ----- the routes -----


def read_definitions(state: DataverseState, key_text: str | None, rest: list[str], request: DvRequest) -> DvResponse:
    """GET under `EntityDefinitions`."""
    params = request.query()
    if key_text is None:
        if rest:
            raise errors.segment_not_found("/".join(rest))
        rows = [entity_json(state, t) for t in state.tables.values()]
        value = query(state, "EntityMetadata", rows, params, _entity_expanders(state))
        return DvResponse.json(200, {"@odata.context": context(state, "EntityDefinitions"), "value": value})
    table = find_table(state, key_text)
    entity_id = entity_json(state, table)["MetadataId"]
    if not rest:
        (row,) = query(state, "EntityMetadata", [entity_json(state, table)], params, _entity_expanders(state))
        return DvResponse.json(200, {"@odata.context": context(state, "EntityDefinitions/$entity"), **row})
    head, _, item_key = rest[0].partition("(")
    item_key = item_key[:-1] if item_key.endswith(")") else item_key
    base = f"EntityDefinitions('{entity_id}')/{head}"
    if head == "Attributes":
        return _attributes(state, table, item_key or None, rest[1:], params, base)
    if head == "Keys" and len(rest) == 1:
        keys = [key_json(state, table, k) for k in all_keys(state, table)]
        if item_key:
            kind, wanted = parse_named_key(item_key, "LogicalName")
            keys = [k for k in keys if k["MetadataId" if kind == "id" else "LogicalName"] == wanted]
            if not keys:
                raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find key with key '{item_key}'.")
            (row,) = query(state, "EntityKeyMetadata", keys, params)
            return DvResponse.json(200, {"@odata.context": context(state, f"{base}/$entity"), **row})
        value = query(state, "EntityKeyMetadata", keys, params)
        return DvResponse.json(200, {"@odata.context": context(state, base), "value": value})
    if head in ("ManyToOneRelationships", "OneToManyRelationships") and len(rest) == 1 and not item_key:
        side = "ReferencingEntity" if head == "ManyToOneRelationships" else "ReferencedEntity"
        rows = [r for r in relationships(state) if r[side] == table.logical_name]
        value = query(state, "OneToManyRelationshipMetadata", rows, params)
        return DvResponse.json(200, {"@odata.context": context(state, base), "value": value})
    raise errors.segment_not_found("/".join(rest))


def _entity_expanders(state: DataverseState) -> dict[str, Callable[[Json, dict[str, str]], Any]]:
    def table_of(row: Json) -> Table:
        return state.tables[row["EntitySetName"]]

    def attributes(row: Json, nested: dict[str, str]) -> list[Json]:
        table = table_of(row)
        rows = [attribute_json(state, table, c) for c in table.columns.values()]
        return query(state, "AttributeMetadata", rows, nested, _attribute_expanders(state, table))

    def keys(row: Json, nested: dict[str, str]) -> list[Json]:
        table = table_of(row)
        return query(state, "EntityKeyMetadata", [key_json(state, table, k) for k in all_keys(state, table)], nested)

    def related(side: str) -> Callable[[Json, dict[str, str]], list[Json]]:
        def expand(row: Json, nested: dict[str, str]) -> list[Json]:
            rows = [r for r in relationships(state) if r[side] == row["LogicalName"]]
            return query(state, "OneToManyRelationshipMetadata", rows, nested)

        return expand

    return {
        "Attributes": attributes,
        "Keys": keys,
        "ManyToOneRelationships": related("ReferencingEntity"),
        "OneToManyRelationships": related("ReferencedEntity"),
    }


def _attribute_expanders(state: DataverseState, table: Table) -> dict[str, Callable[[Json, dict[str, str]], Any]]:
    def column_of(row: Json) -> Column:
        return next(c for c in table.columns.values() if c.name == row["LogicalName"])

    def option_set(row: Json, nested: dict[str, str]) -> Json | None:
        column = column_of(row)
        if column.kind is not Kind.CHOICE:
            return None
        global_set = state.customizations.option_sets.get(column.option_set) if column.option_set else None
        (value,) = query(state, "OptionSetMetadata", [option_set_json(table, column, global_set)], nested)
        return value

    def global_option_set(row: Json, nested: dict[str, str]) -> Json | None:
        column = column_of(row)
        global_set = state.customizations.option_sets.get(column.option_set) if column.option_set else None
        if global_set is None:
            return None
        (value,) = query(state, "OptionSetMetadata", [global_option_set_json(global_set)], nested)
        return value

    return {"OptionSet": option_set, "GlobalOptionSet": global_option_set}


def _attributes(
    state: DataverseState, table: Table, item_key: str | None, rest: list[str], params: dict[str, str], base: str
) -> DvResponse:
    columns = list(table.columns.values())
    if item_key:
        columns = [find_column(state, table, item_key)]
    cast = None
    if len(rest) == 2 and item_key and rest[1] in ("OptionSet", "GlobalOptionSet"):
        return _option_set_of(state, table, columns[0], rest, params, base)
    if rest:
        if len(rest) > 1 or not rest[0].startswith(CAST_PREFIX):
            raise errors.segment_not_found("/".join(rest))
        cast = rest[0][len(CAST_PREFIX) :]
        if not cast.endswith("AttributeMetadata"):
            raise errors.segment_not_found(rest[0])
        columns = [c for c in columns if _is_a(table, c, cast)]
        if item_key and not columns:
            raise errors.DataverseError(
                404, errors.NOT_FOUND, f"The attribute '{item_key}' is not of type '{CAST_PREFIX}{cast}'."
            )
    rows = [attribute_json(state, table, c) for c in columns]
    value = query(state, cast or "AttributeMetadata", rows, params, _attribute_expanders(state, table))
    fragment = f"{base}/{CAST_PREFIX}{cast}" if cast else base
    if item_key:
        return DvResponse.json(200, {"@odata.context": context(state, f"{fragment}/$entity"), **value[0]})
    return DvResponse.json(200, {"@odata.context": context(state, fragment), "value": value})


def _option_set_of(
    state: DataverseState, table: Table, column: Column, rest: list[str], params: dict[str, str], base: str
) -> DvResponse:
    """`Attributes(..)/Microsoft.Dynamics.CRM.PicklistAttributeMetadata/OptionSet?$select=Options` (Learn, "Query
    table definitions using the Web API", "Retrieving attributes"): the option set alone."""
    cast = rest[0].removeprefix(CAST_PREFIX)
    if not rest[0].startswith(CAST_PREFIX) or not _is_a(table, column, cast) or column.kind is not Kind.CHOICE:
        raise errors.segment_not_found("/".join(rest))
    global_set = state.customizations.option_sets.get(column.option_set) if column.option_set else None
    if rest[1] == "GlobalOptionSet" and global_set is None:
        return DvResponse(204)
    body = option_set_json(table, column, global_set)
    (row,) = query(state, "OptionSetMetadata", [body], params)
    fragment = f"{base}({attribute_json(state, table, column)['MetadataId']})/{rest[0]}/{rest[1]}/$entity"
    return DvResponse.json(200, {"@odata.context": context(state, fragment), **row})


def _is_a(table: Table, column: Column, cast: str) -> bool:
    """Type-cast segments match the derived type and its base types (State/Status derive from Enum)."""
    derived = odata_type(table, column)
    if cast == "EnumAttributeMetadata":
        return derived in ("PicklistAttributeMetadata", "StateAttributeMetadata", "StatusAttributeMetadata")
    if cast == "AttributeMetadata":
        return True
    return derived == cast


def read_global_option_sets(state: DataverseState, key_text: str | None, request: DvRequest) -> DvResponse:
    sets = [global_option_set_json(o) for o in state.customizations.option_sets.values()]
    if key_text is not None:
        kind, wanted = parse_named_key(key_text, "Name")
        sets = [s for s in sets if s["MetadataId" if kind == "id" else "Name"] == wanted]
        if not sets:
            raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find optionset with key '{key_text}'.")
        (row,) = query(state, "OptionSetMetadata", sets, request.query())
        return DvResponse.json(200, {"@odata.context": context(state, "GlobalOptionSetDefinitions/$entity"), **row})
    value = query(state, "OptionSetMetadata", sets, request.query())
    return DvResponse.json(200, {"@odata.context": context(state, "GlobalOptionSetDefinitions"), "value": value})


def read_relationships(state: DataverseState, key_text: str | None, request: DvRequest) -> DvResponse:
    rows = relationships(state)
    if key_text is not None:
        kind, wanted = parse_named_key(key_text, "SchemaName")
        rows = [r for r in rows if r["MetadataId" if kind == "id" else "SchemaName"] == wanted]
        if not rows:
            raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find relationship with key '{key_text}'.")
        (row,) = query(state, "RelationshipMetadataBase", rows, request.query())
        return DvResponse.json(200, {"@odata.context": context(state, "RelationshipDefinitions/$entity"), **row})
    value = query(state, "RelationshipMetadataBase", rows, request.query())
    return DvResponse.json(200, {"@odata.context": context(state, "RelationshipDefinitions"), "value": value})
