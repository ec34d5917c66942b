"""One Web API operation in, one response out: the dispatcher shared by plain HTTP requests and `$batch` parts.

It covers reads (collections with paging, single rows with conditional GET, single columns, related
collections, `$count`, WhoAmI), creates, updates and upserts by primary or alternate key with
`If-Match` / `If-None-Match`, deletes, and `PUT` of one column. Privileges denied through
`DataverseState.deny` produce the real 403 `0x80040220`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.aggregate import apply_query
from inolink_tui.sandbox.dataverse.associate import reference, related_count, related_row
from inolink_tui.sandbox.dataverse.changes import count_changes, handle_tracking
from inolink_tui.sandbox.dataverse.deep_insert import create_deep
from inolink_tui.sandbox.dataverse.keys import format_key, parse_key
from inolink_tui.sandbox.dataverse.messages import JSON_TYPE, DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.metadata_json import privilege_name
from inolink_tui.sandbox.dataverse.metadata_routes import route
from inolink_tui.sandbox.dataverse.paging import decode_token, encode_token, link, page_size
from inolink_tui.sandbox.dataverse.query import (
    GLOBAL_METADATA_VERSION,
    Annotations,
    QueryOptions,
    capped_count,
    compare_keys,
    context_url,
    count_annotations,
    etag,
    parse_options,
    project,
    select_rows,
    sort_key_values,
)
from inolink_tui.sandbox.dataverse.schema import Kind, Table
from inolink_tui.sandbox.dataverse.state import DataverseState, Row
from inolink_tui.sandbox.dataverse.write_rules import check_product_number, check_required, fill_autonumber

_SEGMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\((.*)\))?$", re.DOTALL)
_DUPLICATE_RULES = {"accounts": "name", "contacts": "emailaddress1"}


def dispatch(state: DataverseState, request: DvRequest) -> DvResponse:
    """Run one operation; a DataverseError escapes so callers (batch changesets) can roll back."""
    path = request.path.strip("/")
    if path in ("WhoAmI", "WhoAmI()"):
        if request.method != "GET":
            raise _method_not_allowed(request.method)
        return DvResponse.json(
            200,
            {
                "@odata.context": f"{state.org_url}/api/data/v9.2/$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
                "BusinessUnitId": state.business_unit_id,
                "UserId": request.user_id,
                "OrganizationId": state.organization_id,
            },
        )
    state.customizations.tick(state)
    segments = path.split("/")
    if path == "":
        answer = route(state, "", None, [], request)
        assert answer is not None
        return answer
    head = _SEGMENT.match(segments[0]) if segments[0] != "$metadata" else None
    if head is None and segments[0] != "$metadata":
        raise errors.segment_not_found(segments[0])
    name, key_text = (head.group(1), head.group(2)) if head is not None else ("$metadata", None)
    answer = route(state, name, key_text, segments[1:], request)
    if answer is not None:
        return answer
    table = state.table(name)
    rest = segments[1:]
    raw = key_text is not None and len(rest) == 2 and rest[1] == "$value" and request.method == "GET"
    ref = key_text is not None and len(rest) == 2 and rest[1] == "$ref"
    count = key_text is not None and len(rest) == 2 and rest[1] == "$count" and request.method == "GET"
    if len(rest) > 1 and not (raw or ref or count):
        raise errors.segment_not_found("/".join(rest))
    if key_text is None:
        if rest == ["$count"] and request.method == "GET":
            _require(state, request, table, "Read")
            if "$deltatoken" in request.query():
                return count_changes(state, table, request)
            total = len(select_rows(state, table, parse_options(state, table, _only(request, "$filter"))))
            return DvResponse(200, {"Content-Type": "text/plain"}, str(capped_count(total)[0]).encode())
        if rest:
            raise errors.segment_not_found(rest[0])
        if request.method == "GET":
            return _get_collection(state, table, request)
        if request.method == "POST":
            return _create(state, table, request)
        raise _method_not_allowed(request.method)
    key = parse_key(table, key_text)
    if ref:  # associate / disassociate (associate.py); Append on this table, as for a bind
        _require(state, request, table, "Read" if request.method == "GET" else "Append")
        row = _locate(state, table, key)
        if row is None:
            raise _missing(table, key)
        return reference(state, table, row, rest[0], request)
    if rest:
        return _column_operation(state, table, key, rest[0], request, raw=raw, count=count)
    if request.method == "GET":
        return _get_row(state, table, key, request)
    if request.method == "PATCH":
        return _patch(state, table, key, key_text, request)
    if request.method == "DELETE":
        return _delete(state, table, key, request)
    raise _method_not_allowed(request.method)


def _only(request: DvRequest, *names: str) -> dict[str, str]:
    return {k: v for k, v in request.params if k in names}


def _method_not_allowed(method: str) -> errors.DataverseError:
    return errors.DataverseError(
        405, errors.URL_NOT_PARSED, f"The requested resource does not support http method '{method}'."
    )


def _require(state: DataverseState, request: DvRequest, table: Table, privilege: str) -> None:
    """Privileges revoked through the control API by verb or by name (`prvWriteAccount`) are enforced."""
    denied = privilege in state.denied.get(table.entity_set, set())
    if denied or privilege_name(privilege, table) in state.denied_privileges:
        raise errors.privilege_denied(
            user_id=request.user_id,
            business_unit_id=state.business_unit_id,
            privilege=privilege,
            entity=table.schema_name,
            logical_name=table.logical_name,
            otc=table.otc,
        )


def _autonumber(state: DataverseState, table: Table, values: Row) -> None:
    suffix = uuid.uuid4().hex[:6].upper()
    fill_autonumber(table, values, 1000 + len(state.row_map(table.entity_set)), suffix)


def _require_binds(state: DataverseState, request: DvRequest, table: Table, values: Row) -> None:
    """Setting a lookup needs Append on this table and AppendTo on the target's (Learn: "Security roles and
    privileges", Append / Append To)."""
    for key, value in values.items():
        column = table.column(key)
        if column is None or column.kind is not Kind.LOOKUP or value is None or column.read_only:
            continue
        _require(state, request, table, "Append")
        target = state.lookup_target(column, value)
        if target is not None:
            _require(state, request, state.tables[target[1]], "AppendTo")


def _applied(prefer_parts: list[str]) -> dict[str, str]:
    return {"Preference-Applied": ",".join(prefer_parts)} if prefer_parts else {}


def _read_body(table: Table, request: DvRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.DataverseError(
            400,
            errors.PAYLOAD,
            f"Error identified in Payload provided by the user for Entity :'{table.entity_set}', For more information "
            "on this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ----> "
            f"InnerException : Microsoft.OData.ODataException: Invalid JSON. {exc}",
        ) from exc
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.", errors.PAYLOAD)
    return body


# ----- reads -----


def _get_collection(
    state: DataverseState, table: Table, request: DvRequest, scope: Callable[[Row], bool] | None = None
) -> DvResponse:
    """A page of an entity set, or (`scope`) of a filtered collection such as `accounts(<id>)/Account_Tasks`, which
    pages the same way (Learn "Join tables": "You can apply paging to that request")."""
    _require(state, request, table, "Read")
    params = request.query()
    prefer = request.prefer
    if scope is None and (prefer.track_changes or "$deltatoken" in params):
        return handle_tracking(state, table, request)
    if "$apply" in params:  # aggregation (aggregate.py)
        annotations = Annotations(prefer.include_annotations)
        rows = apply_query(state, table, params, annotations)
        context = f"{state.org_url}/api/data/v9.2/$metadata#{table.entity_set}"
        extra = [f'odata.include-annotations="{prefer.include_annotations}"'] if prefer.include_annotations else []
        return DvResponse.json(200, {"@odata.context": context, "value": rows}, _applied(extra))
    options = parse_options(state, table, params)
    annotations = Annotations(prefer.include_annotations)
    rows = select_rows(state, table, options)
    if scope is not None:
        rows = [r for r in rows if scope(r)]
    total = len(rows)
    page_number = 1
    if "$skiptoken" in params:
        page_number, resume = decode_token(params["$skiptoken"])
        last = resume.get("last")
        if not isinstance(last, list):
            raise errors.bad_request("The $skiptoken is not valid.", errors.URL_NOT_PARSED)
        directions = [d for _, d in options.orderby]
        rows = [
            r for r in rows if compare_keys(sort_key_values(state, table, r, options.orderby), last, directions) > 0
        ]
    applied: list[str] = []
    if prefer.max_page_size is not None:
        size = page_size(prefer.max_page_size)
        applied.append(f"odata.maxpagesize={size}")
    elif options.top is not None:
        size = min(options.top, page_size(None))
        rows = rows[:size]
    else:
        size = page_size(None)
    page = rows[:size]
    body: dict[str, Any] = {"@odata.context": context_url(state, table, options)}
    body.update(count_annotations(total, options.count, annotations))
    if annotations.wants(GLOBAL_METADATA_VERSION):  # Learn "Compose HTTP requests", Request annotations
        body[f"@{GLOBAL_METADATA_VERSION}"] = str(1000 + len(state.customizations.journal))
    paging = size if prefer.max_page_size is not None else None
    body["value"] = [project(state, table, r, options, annotations, page=paging) for r in page]
    if len(rows) > size:
        token = encode_token(page_number + 1, {"last": sort_key_values(state, table, page[-1], options.orderby)})
        body["@odata.nextLink"] = link(state.org_url, request.path, request.params, [("$skiptoken", token)])
    if prefer.include_annotations:
        applied.append(f'odata.include-annotations="{prefer.include_annotations}"')
    return DvResponse.json(200, body, _applied(applied))


def _locate(state: DataverseState, table: Table, key: str | dict[str, Any]) -> Row | None:
    if isinstance(key, str):
        return state.row_map(table.entity_set).get(key)
    return state.find_by_key(table, key)


def _missing(table: Table, key: str | dict[str, Any]) -> errors.DataverseError:
    if isinstance(key, str):
        return errors.not_found(table.logical_name, key)
    return errors.alt_key_not_found(table.logical_name, format_key(key))


def _get_row(state: DataverseState, table: Table, key: str | dict[str, Any], request: DvRequest) -> DvResponse:
    _require(state, request, table, "Read")
    row = _locate(state, table, key)
    if row is None:
        raise _missing(table, key)
    params = request.query()
    if "$filter" in params or "$orderby" in params or "$top" in params:
        raise errors.bad_request("Query options $filter, $orderby and $top are not allowed on a single record.")
    options = parse_options(state, table, params)
    prefer = request.prefer
    tag = etag(row)
    none_match = request.header("if-none-match")
    conditional = none_match and none_match != "null" and not options.expand and not prefer.include_annotations
    if conditional and none_match and tag in [t.strip() for t in none_match.split(",")]:
        # Learn "Perform conditional operations", Conditional retrievals: `304 Not Modified`, `Content-Type:
        # application/json; odata.metadata=minimal`, `OData-Version: 4.0`, no body
        return DvResponse(304, {"ETag": tag, "Content-Type": JSON_TYPE})
    applied = [f'odata.include-annotations="{prefer.include_annotations}"'] if prefer.include_annotations else []
    return _entity_response(state, table, row, options, Annotations(prefer.include_annotations), 200, applied)


def _entity_response(
    state: DataverseState,
    table: Table,
    row: Row,
    options: QueryOptions,
    annotations: Annotations,
    status: int,
    applied: list[str],
) -> DvResponse:
    body = {"@odata.context": context_url(state, table, options, "/$entity")}
    body.update(project(state, table, row, options, annotations))
    return DvResponse.json(status, body, {"ETag": etag(row), **_applied(applied)})


def _column_operation(
    state: DataverseState,
    table: Table,
    key: str | dict[str, Any],
    name: str,
    request: DvRequest,
    *,
    raw: bool = False,
    count: bool = False,
) -> DvResponse:
    row = _locate(state, table, key)
    collection = table.collections.get(name)
    single = table.navigation(name)
    if request.method == "GET" and not raw and (collection is not None or (single is not None and not count)):
        _require(state, request, table, "Read")
        if row is None:
            raise _missing(table, key)
        if single is not None:
            return related_row(state, row, single, request)
        assert collection is not None
        if count:
            return related_count(state, row[table.primary_key], collection)
        row_id = row[table.primary_key]
        return _get_collection(
            state, state.table(collection.entity_set), request, lambda r: r.get(collection.lookup) == row_id
        )
    column = table.column(name)
    if column is None:
        raise errors.segment_not_found(name)
    if row is None:
        raise _missing(table, key)
    if request.method == "GET":
        _require(state, request, table, "Read")
        value = row.get(column.key)
        if value is None:  # OData 4.0 Protocol 11.2.4 and 11.2.4.1: a null property (or its $value) is 204
            return DvResponse(204)
        if raw:  # Learn "Retrieve a table row": append /$value for the raw value, `Content-Type: text/plain`
            text = str(value).lower() if isinstance(value, bool) else str(value)
            return DvResponse(200, {"Content-Type": "text/plain"}, text.encode())
        row_id = row[table.primary_key]
        context = f"{state.org_url}/api/data/v9.2/$metadata#{table.entity_set}({row_id})/{column.key}"
        return DvResponse.json(200, {"@odata.context": context, "value": value})
    if request.method in ("PUT", "DELETE"):
        _require(state, request, table, "Write")
        if request.method == "PUT":
            body = _read_body(table, request)
            if "value" not in body:
                raise errors.bad_request('The request body of a property PUT must be {"value": ...}.')
            values = state.resolve_body(table, {name: body["value"]})
        else:
            values = {column.key: None}
        check_required(table, values, update=True)
        state.update(table, row, values, user_id=request.user_id)
        return DvResponse(204)
    raise _method_not_allowed(request.method)


# ----- writes -----


def _check_duplicates(state: DataverseState, table: Table, request: DvRequest, values: Row, own_id: str | None) -> None:
    """Duplicate detection runs only when the client turns it on (`MSCRM.SuppressDuplicateDetection: false`)."""
    if (request.header("mscrm.suppressduplicatedetection") or "").lower() != "false":
        return
    column = _DUPLICATE_RULES.get(table.entity_set)
    value = values.get(column) if column else None
    if column is None or not isinstance(value, str):
        return
    for row in state.row_map(table.entity_set).values():
        other = row.get(column)
        if isinstance(other, str) and other.casefold() == value.casefold() and row[table.primary_key] != own_id:
            raise errors.duplicate_detected()


def _create(state: DataverseState, table: Table, request: DvRequest) -> DvResponse:
    """POST: one row, or a row with related rows nested in it (deep insert, deep_insert.py), all or nothing."""
    _require(state, request, table, "Create")
    body = _read_body(table, request)
    with state.transaction():
        row = create_deep(state, table, body, lambda t, values: _insert_checked(state, t, values, request))
        options = parse_options(state, table, _only(request, "$select", "$expand"))
    return _write_response(state, table, row, options, request, created=True, entity_id=None)


def _insert_checked(state: DataverseState, table: Table, values: Row, request: DvRequest) -> Row:
    _require(state, request, table, "Create")
    if request.on_behalf_of:  # impersonation.py: the real caller
        values = {**values, "_createdonbehalfby_value": request.on_behalf_of}
        values["_modifiedonbehalfby_value"] = request.on_behalf_of
    _require_binds(state, request, table, values)
    _check_duplicates(state, table, request, values, None)
    _autonumber(state, table, values)
    check_required(table, values)
    check_product_number(table, values, state.row_map(table.entity_set))
    return state.insert(table, values, user_id=request.user_id)


def _write_response(
    state: DataverseState,
    table: Table,
    row: Row,
    options: QueryOptions,
    request: DvRequest,
    *,
    created: bool,
    entity_id: str | None,
) -> DvResponse:
    prefer = request.prefer
    if prefer.return_representation:
        return _entity_response(
            state,
            table,
            row,
            options,
            Annotations(prefer.include_annotations),
            201 if created else 200,
            ["return=representation"],
        )
    url = entity_id or state.entity_url(table, row[table.primary_key])
    return DvResponse(204, {"OData-EntityId": url})


def _patch(
    state: DataverseState, table: Table, key: str | dict[str, Any], key_text: str, request: DvRequest
) -> DvResponse:
    row = _locate(state, table, key)
    if_match = request.header("if-match")
    if_none_match = request.header("if-none-match")
    if if_match is not None:
        if row is None:
            raise _missing(table, key)
        if if_match.strip() != "*" and etag(row) not in [t.strip() for t in if_match.split(",")]:
            raise errors.version_mismatch()
    if if_none_match is not None and if_none_match.strip() == "*" and row is not None:
        raise errors.duplicate_record()
    values = state.resolve_body(table, _read_body(table, request))
    _require_binds(state, request, table, values)
    options = parse_options(state, table, _only(request, "$select"))
    entity_id = None if isinstance(key, str) else f"{state.org_url}/api/data/v9.2/{table.entity_set}({key_text})"
    if row is not None:
        _require(state, request, table, "Write")
        if not isinstance(key, str):  # key values in the body are ignored when the row exists
            values = {k: v for k, v in values.items() if k not in key}
        _check_duplicates(state, table, request, values, row[table.primary_key])
        check_required(table, values, update=True)
        values["_modifiedonbehalfby_value"] = request.on_behalf_of or None  # impersonation.py
        check_product_number(
            table, {**values, table.primary_key: row[table.primary_key]}, state.row_map(table.entity_set)
        )
        updated = state.update(table, row, values, user_id=request.user_id)
        return _write_response(state, table, updated, options, request, created=False, entity_id=entity_id)
    _require(state, request, table, "Create")
    if isinstance(key, str):
        values[table.primary_key] = key
    else:
        values = {**key, **values}  # body values win over URL key values
    _check_duplicates(state, table, request, values, None)
    _autonumber(state, table, values)
    check_required(table, values)
    check_product_number(table, values, state.row_map(table.entity_set))
    created = state.insert(table, values, user_id=request.user_id)
    return _write_response(state, table, created, options, request, created=True, entity_id=entity_id)


def _delete(state: DataverseState, table: Table, key: str | dict[str, Any], request: DvRequest) -> DvResponse:
    _require(state, request, table, "Delete")
    row = _locate(state, table, key)
    if row is None:
        raise _missing(table, key)
    if_match = request.header("if-match")
    if if_match is not None and if_match.strip() != "*" and etag(row) not in [t.strip() for t in if_match.split(",")]:
        raise errors.version_mismatch()
    state.delete(table, row)
    return DvResponse(204)
