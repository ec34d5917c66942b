"""Create-time relationships: deep insert of related rows and collection-valued `@odata.bind`.

Source: Microsoft Learn, "Create a table row using the Web API"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api):
- "Create related table rows in one operation": a create body may nest a related row under a single-valued
  navigation property (`"primarycontactid": {"firstname": ..., "lastname": ...}`) and a list of related rows under a
  collection-valued one (`"opportunity_customer_accounts": [{...}]`), nested to any depth; the answer is the usual
  204 with the parent's `OData-EntityId` ("the response ... names only the parent" in the reference notes).
- "Associate table rows on create": `"<single-valued nav>@odata.bind": "/contacts(<id>)"` and, for a
  collection-valued navigation property, a list of URLs (`"Account_Tasks@odata.bind": ["/tasks(<id>)", ...]`).
The whole create is one operation, so a failing nested row leaves nothing behind (the caller runs it inside
`DataverseState.transaction`). The Web API documents deep insert for POST only; updates keep refusing nested rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.keys import parse_key
from inolink_tui.sandbox.dataverse.schema_types import Table
from inolink_tui.sandbox.dataverse.state import API_PATH, DataverseState, Row

Insert = Callable[[Table, dict[str, Any]], Row]
"""Checks and inserts one row from resolved column values (the dispatcher's create path)."""


def create_deep(
    state: DataverseState, table: Table, body: dict[str, Any], insert: Insert, parent: tuple[str, str] | None = None
) -> Row:
    """Create `body` in `table` with its nested rows and collection binds; `parent` is (lookup key, parent id)."""
    plain: dict[str, Any] = {}
    children: list[tuple[str, list[Any]]] = []
    collection_binds: list[tuple[str, Any]] = []
    for name, value in body.items():
        nav = name.removesuffix("@odata.bind")
        if name.endswith("@odata.bind") and nav in table.collections:
            collection_binds.append((nav, value))
        elif name in table.collections and isinstance(value, list):
            children.append((name, value))
        elif isinstance(value, dict) and table.navigation(name) is not None:
            _column, target_set = table.navigation(name) or (None, "")
            related = create_deep(state, state.tables[target_set], value, insert)
            plain[f"{name}@odata.bind"] = f"/{target_set}({related[state.tables[target_set].primary_key]})"
        else:
            plain[name] = value
    values = state.resolve_body(table, plain)
    if parent is not None:
        values[parent[0]] = parent[1]
    row = insert(table, values)
    row_id = row[table.primary_key]
    for nav, items in children:
        collection = table.collections[nav]
        target = state.tables[collection.entity_set]
        for item in items:
            if not isinstance(item, dict):
                raise errors.bad_request(f"Each item of the collection-valued property '{nav}' must be an object.")
            create_deep(state, target, item, insert, (collection.lookup, row_id))
    for nav, refs in collection_binds:
        _bind_collection(state, table, nav, refs, row_id)
    return state.row_map(table.entity_set)[row_id]


def _bind_collection(state: DataverseState, table: Table, nav: str, refs: Any, row_id: str) -> None:
    """Point each listed row's lookup at the new row (a collection-valued `@odata.bind` is a list of URLs)."""
    if not isinstance(refs, list):
        raise errors.bad_request(
            f"The value of the collection-valued navigation property '{nav}@odata.bind' must be an array of URLs.",
            errors.URL_NOT_PARSED,
        )
    collection = table.collections[nav]
    target = state.tables[collection.entity_set]
    for ref in refs:
        text = ref.removeprefix(state.org_url).removeprefix(API_PATH).lstrip("/") if isinstance(ref, str) else ""
        entity_set, _, key_text = text.partition("(")
        if entity_set != target.entity_set or not key_text.endswith(")"):
            raise errors.segment_not_found(text or str(ref))
        key = parse_key(target, key_text[:-1])
        child = state.find(target, key) if isinstance(key, str) else state.find_by_key(target, key)
        if child is None:
            raise errors.alt_key_not_found(target.logical_name, key_text[:-1])
        state.update(target, child, {collection.lookup: row_id})
