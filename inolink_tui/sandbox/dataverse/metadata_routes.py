"""Which metadata operation a URL names: the service document, `$metadata`, definitions, publish, privileges.

Called by `operations.dispatch` before it treats the first segment as an entity set; returns None for
ordinary data URLs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.csdl import metadata_document, service_document
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.metadata import read_definitions, read_global_option_sets, read_relationships
from inolink_tui.sandbox.dataverse.metadata_write import (
    create_attribute,
    create_key,
    create_table,
    delete_attribute,
    delete_key,
    delete_table,
    update_table,
)
from inolink_tui.sandbox.dataverse.privileges import bound_function, is_function
from inolink_tui.sandbox.dataverse.relationships_write import (
    create_option_set,
    create_polymorphic_lookup,
    create_relationship,
    delete_relationship,
    insert_option_value,
    publish,
)

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState


def _not_allowed(method: str) -> errors.DataverseError:
    return errors.DataverseError(
        405, errors.URL_NOT_PARSED, f"The requested resource does not support http method '{method}'."
    )


def route(
    state: DataverseState, name: str, key_text: str | None, rest: list[str], request: DvRequest
) -> DvResponse | None:
    method = request.method
    if name == "" and key_text is None and not rest:
        if method != "GET":
            raise _not_allowed(method)
        return service_document(state)
    if name == "$metadata":
        if method != "GET":
            raise _not_allowed(method)
        return metadata_document(state, annotations=request.query().get("annotations", "").lower() == "true")
    if name == "EntityDefinitions":
        return _entity_definitions(state, key_text, rest, request)
    if name in ("RelationshipDefinitions", "GlobalOptionSetDefinitions") and not rest:
        if method == "GET":
            reader = read_relationships if name == "RelationshipDefinitions" else read_global_option_sets
            return reader(state, key_text, request)
        if method == "POST" and key_text is None:
            if name == "RelationshipDefinitions":
                return create_relationship(state, request)
            return create_option_set(state, request)
        if method == "DELETE" and key_text is not None and name == "RelationshipDefinitions":
            return delete_relationship(state, key_text, request)
        raise _not_allowed(method)
    if name in ("PublishXml", "PublishAllXml", "CreatePolymorphicLookupAttribute", "InsertOptionValue") and not rest:
        if method != "POST":
            raise _not_allowed(method)
        if name == "CreatePolymorphicLookupAttribute":
            return create_polymorphic_lookup(state, request)
        if name == "InsertOptionValue":
            return insert_option_value(state, request)
        return publish(state, request, everything=name == "PublishAllXml")
    if name == "systemusers" and key_text is not None and len(rest) == 1 and is_function(rest[0]):
        return bound_function(state, key_text, rest[0], request)
    return None


def _entity_definitions(state: DataverseState, key_text: str | None, rest: list[str], request: DvRequest) -> DvResponse:
    method = request.method
    if method == "GET":
        return read_definitions(state, key_text, rest, request)
    if key_text is None and not rest:
        if method == "POST":
            return create_table(state, request)
        raise _not_allowed(method)
    if key_text is not None and not rest:
        if method == "PUT":
            return update_table(state, key_text, request)
        if method == "DELETE":
            return delete_table(state, key_text, request)
        if method == "PATCH":
            raise errors.DataverseError(
                405,
                errors.URL_NOT_PARSED,
                "Table definitions cannot be updated with PATCH: PUT the whole definition.",
            )
        raise _not_allowed(method)
    if key_text is not None and len(rest) == 1:
        head, _, item = rest[0].partition("(")
        item = item[:-1] if item.endswith(")") else item
        if head == "Attributes" and not item and method == "POST":
            return create_attribute(state, key_text, request)
        if head == "Attributes" and item and method == "DELETE":
            return delete_attribute(state, key_text, item, request)
        if head == "Keys" and not item and method == "POST":
            return create_key(state, key_text, request)
        if head == "Keys" and item and method == "DELETE":
            return delete_key(state, key_text, item, request)
        raise _not_allowed(method)
    raise errors.segment_not_found("/".join(rest))
