"""Associating and disassociating rows through navigation-property `$ref` URLs.

Source: Microsoft Learn, "Associate and disassociate table rows using the Web API"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/associate-disassociate-entities-using-web-api):
- collection-valued: `POST <set>(<id>)/<collection nav>/$ref` with `{"@odata.id": "<url of the related row>"}`
  adds the row; `DELETE <set>(<id>)/<collection nav>(<related id>)/$ref` (or `.../<collection nav>/$ref?$id=<url>`)
  removes it;
- single-valued: `PUT <set>(<id>)/<nav>/$ref` with `{"@odata.id": "<url>"}` sets the lookup, `DELETE
  <set>(<id>)/<nav>/$ref` clears it;
each answers `204 No Content`. The related row's URL may be absolute or relative to the service root.

Reading through navigation properties, Learn "Retrieve a table row using the Web API"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/retrieve-entity-using-web-api), "Retrieve
navigation property values":
- `GET accounts(<id>)/primarycontactid?$select=fullname` answers the contact, context `#contacts(fullname)/$entity`,
  with its `@odata.etag` (a lookup that is empty answers 204, OData 4.0 Protocol 11.2.6);
- `GET accounts(<id>)/Account_Tasks/$ref` answers `{"@odata.context": "...$metadata#Collection($ref)", "value":
  [{"@odata.id": "<url>"}, ...]}`;
- `GET accounts(<id>)/Account_Tasks/$count` answers the bare number, and "the value returned includes the UTF-8
  byte order mark (BOM) characters", which the sandbox keeps (that page's sample; the `/$count` of an entity set is
  shown without one on the "Count rows" page, and the sandbox follows each page).
"""

from __future__ import annotations

import json
import re
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.keys import parse_key
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.query import Annotations, context_url, etag, parse_options, project
from inolink_tui.sandbox.dataverse.schema_types import CollectionNav, Column, Table
from inolink_tui.sandbox.dataverse.state import API_PATH, DataverseState, Row

_NAV = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\((.+)\))?$")


def _row(state: DataverseState, table: Table, key_text: str) -> Row:
    key = parse_key(table, key_text)
    row = state.find_by_key(table, key) if isinstance(key, dict) else state.row_map(table.entity_set).get(key)
    if row is None:
        if isinstance(key, dict):
            raise errors.alt_key_not_found(table.logical_name, key_text)
        raise errors.not_found(table.logical_name, key)
    return row


def _target(state: DataverseState, url: Any, allowed: set[str]) -> tuple[Table, Row]:
    """The row an `@odata.id` URL names; it must belong to one of the `allowed` entity sets."""
    text = url.removeprefix(state.org_url).removeprefix(API_PATH).lstrip("/") if isinstance(url, str) else ""
    match = _NAV.match(text)
    if match is None or match.group(2) is None:
        raise errors.bad_request(f"The value '{url}' of '@odata.id' is not a valid entity URL.", errors.URL_NOT_PARSED)
    if match.group(1) not in state.tables:
        raise errors.segment_not_found(match.group(1))
    if match.group(1) not in allowed:
        raise errors.bad_request(
            f"The entity set '{match.group(1)}' is not a valid target of this navigation property.",
            errors.URL_NOT_PARSED,
        )
    table = state.tables[match.group(1)]
    return table, _row(state, table, match.group(2))


def _odata_id(request: DvRequest) -> Any:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise errors.bad_request("The request body is not valid JSON.", errors.PAYLOAD) from exc
    if not isinstance(body, dict) or "@odata.id" not in body:
        raise errors.bad_request('The request body must be {"@odata.id": "<url of the related row>"}.')
    return body["@odata.id"]


def reference(state: DataverseState, table: Table, row: Row, nav_segment: str, request: DvRequest) -> DvResponse:
    """`<set>(<id>)/<nav>[(<related id>)]/$ref` with POST, PUT or DELETE."""
    match = _NAV.match(nav_segment)
    if match is None:
        raise errors.segment_not_found(nav_segment)
    nav, related_key = match.group(1), match.group(2)
    row_id = row[table.primary_key]
    collection = table.collections.get(nav)
    if collection is not None:
        child_table = state.tables[collection.entity_set]
        if request.method == "GET" and related_key is None:
            children = [r for r in state.row_map(child_table.entity_set).values() if r.get(collection.lookup) == row_id]
            value = [{"@odata.id": state.entity_url(child_table, r[child_table.primary_key])} for r in children]
            context = f"{state.org_url}{API_PATH}$metadata#Collection($ref)"
            return DvResponse.json(200, {"@odata.context": context, "value": value})
        if request.method == "POST" and related_key is None:
            _table, child = _target(state, _odata_id(request), {collection.entity_set})
            state.update(child_table, child, {collection.lookup: row_id}, user_id=request.user_id)
            return DvResponse(204)
        if request.method == "DELETE":
            if related_key is not None:
                child = _row(state, child_table, related_key)
            else:
                _table, child = _target(state, request.query().get("$id"), {collection.entity_set})
            if child.get(collection.lookup) == row_id:
                state.update(child_table, child, {collection.lookup: None}, user_id=request.user_id)
            return DvResponse(204)
        raise _not_allowed(request.method)
    found = table.navigation(nav)
    if found is None or related_key is not None:
        raise errors.segment_not_found(nav_segment)
    column, target_set = found
    if request.method == "GET":
        target = state.tables[target_set]
        related = state.row_map(target_set).get(row.get(column.key) or "")
        if related is None:
            return DvResponse(204)
        context = f"{state.org_url}{API_PATH}$metadata#$ref"
        return DvResponse.json(
            200, {"@odata.context": context, "@odata.id": state.entity_url(target, related[target.primary_key])}
        )
    if request.method == "PUT":
        _table, related = _target(state, _odata_id(request), {target_set})
        state.update(table, row, {column.key: related[state.tables[target_set].primary_key]}, user_id=request.user_id)
        return DvResponse(204)
    if request.method == "DELETE":
        state.update(table, row, {column.key: None}, user_id=request.user_id)
        return DvResponse(204)
    raise _not_allowed(request.method)


def _not_allowed(method: str) -> errors.DataverseError:
    return errors.DataverseError(
        405, errors.URL_NOT_PARSED, f"The requested resource does not support http method '{method}'."
    )


def related_row(state: DataverseState, row: Row, found: tuple[Column, str], request: DvRequest) -> DvResponse:
    """`GET <set>(<id>)/<single-valued nav>`: the related row as a single entity (204 when the lookup is empty)."""
    column, target_set = found
    target = state.tables[target_set]
    related = state.row_map(target_set).get(row.get(column.key) or "")
    if related is None:
        return DvResponse(204)
    options = parse_options(state, target, request.query())
    annotations = Annotations(request.prefer.include_annotations)
    body = {"@odata.context": context_url(state, target, options, "/$entity")}
    body.update(project(state, target, related, options, annotations))
    return DvResponse.json(200, body, {"ETag": etag(related)})


def related_count(state: DataverseState, row_id: str, collection: CollectionNav) -> DvResponse:
    """`GET <set>(<id>)/<collection nav>/$count`: the number, after a UTF-8 byte order mark (see above)."""
    number = sum(1 for r in state.row_map(collection.entity_set).values() if r.get(collection.lookup) == row_id)
    return DvResponse(200, {"Content-Type": "text/plain"}, "\ufeff".encode() + str(number).encode())
