"""Creating lookups (one-to-many relationships, multi-table lookups) and global choices.

Sources (Microsoft Learn, power-apps/developer/data-platform/webapi/...):
- create-update-entity-relationships-using-web-api: `POST RelationshipDefinitions` with
  `@odata.type: Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata` and the `Lookup` to create; 204 with
  `OData-EntityId: .../RelationshipDefinitions(<id>)`. Many-to-many relationships are not modelled.
- multitable-lookup: `POST CreatePolymorphicLookupAttribute` answers 200 with `RelationshipIds` and
  `AttributeId`; posting a relationship whose Lookup SchemaName names an existing lookup adds a target.
  The navigation property of each target is `<Lookup SchemaName>_<referenced logical name>`.
- create-update-optionsets: `POST GlobalOptionSetDefinitions`.
The referenced side's collection navigation property defaults to the relationship's SchemaName.
Cascade: `Delete: Cascade` deletes the referencing rows with the referenced one; anything else behaves as
RemoveLink (Restrict is not modelled).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.customize import column_to_json, metadata_id
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.metadata import parse_named_key
from inolink_tui.sandbox.dataverse.metadata_json import label_text, relationship_key, relationships
from inolink_tui.sandbox.dataverse.metadata_write import (
    API,
    DUPLICATE_ATTRIBUTE,
    DUPLICATE_OPTION_SET,
    DUPLICATE_RELATIONSHIP,
    PICKLIST_NOT_UNIQUE,
    body_of,
    check_prefix,
    option_value_prefix,
    options_from,
    require,
)
from inolink_tui.sandbox.dataverse.schema import Column, Kind, Table

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState


def _table_by_logical(state: DataverseState, logical: Any, what: str) -> Table:
    for table in state.tables.values():
        if isinstance(logical, str) and table.logical_name == logical.lower():
            return table
    raise errors.bad_request(f"{what} '{logical}' does not exist.", "0x8004F899")


def _one_relationship(
    state: DataverseState,
    request: DvRequest,
    spec: dict[str, Any],
    lookup: dict[str, Any],
    *,
    polymorphic: bool,
) -> str:
    """Create one relationship (and its lookup, or a new target on it); return the relationship id."""
    schema = check_prefix(state, request, spec.get("SchemaName"), "EntityRelationship")
    if any(r["SchemaName"].lower() == schema.lower() for r in relationships(state)):
        raise errors.bad_request(
            "A relationship with the specified name already exists. Please specify a unique name.",
            DUPLICATE_RELATIONSHIP,
        )
    referenced = _table_by_logical(state, spec.get("ReferencedEntity"), "ReferencedEntity")
    referencing = _table_by_logical(state, spec.get("ReferencingEntity"), "ReferencingEntity")
    if spec.get("ReferencedAttribute") not in (None, referenced.primary_key):
        raise errors.bad_request("ReferencedAttribute must be the primary key of the referenced table.")
    lookup_schema = check_prefix(state, request, lookup.get("SchemaName"), "Attribute")
    name = lookup_schema.lower()
    existing = referencing.columns.get(f"_{name}_value")
    if referencing.columns.get(name) is not None:
        raise errors.bad_request(
            f"An attribute with the specified name {lookup_schema} already exists on entity "
            f"{referencing.logical_name}.",
            DUPLICATE_ATTRIBUTE,
        )
    adding_target = existing is not None and existing.kind is Kind.LOOKUP
    nav = spec.get("ReferencingEntityNavigationPropertyName") or (
        f"{lookup_schema}_{referenced.logical_name}" if polymorphic or adding_target else lookup_schema
    )
    if referencing.navigation(str(nav)) is not None:
        raise errors.bad_request(f"NavigationPropertyName {nav} is not unique within an entity", "0x80072551")
    cascade = (spec.get("CascadeConfiguration") or {}).get("Delete") == "Cascade"
    if adding_target:
        assert existing is not None
        column = replace(existing, targets={**existing.targets, str(nav): referenced.entity_set})
    else:
        level = lookup.get("RequiredLevel")
        required = level.get("Value", "None") if isinstance(level, dict) else "None"
        column = Column(
            name,
            Kind.LOOKUP,
            targets={str(nav): referenced.entity_set},
            display=label_text(lookup.get("DisplayName")) or lookup_schema,
            schema_name=lookup_schema,
            custom=True,
            required=str(required),
            cascade_delete=cascade,
        )
    custom = state.customizations
    custom.apply(state, {"op": "put_column", "entity_set": referencing.entity_set, "column": column_to_json(column)})
    custom.apply(
        state,
        {"op": "relationship_name", "id": relationship_key(referencing, column, referenced), "schema_name": schema},
    )
    custom.apply(
        state,
        {
            "op": "add_collection",
            "entity_set": referenced.entity_set,
            "name": str(spec.get("ReferencedEntityNavigationPropertyName") or schema),
            "target_set": referencing.entity_set,
            "lookup": column.key,
        },
    )
    return metadata_id("relationship", schema)


def create_relationship(state: DataverseState, request: DvRequest) -> DvResponse:
    require(state, request, "prvCreateRelationship")
    body = body_of(request)
    kind = str(body.get("@odata.type", "")).lstrip("#")
    if kind != "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata":
        raise errors.bad_request(
            "The sandbox models one-to-many relationships only: set @odata.type to "
            "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata."
        )
    lookup = body.get("Lookup")
    if not isinstance(lookup, dict):
        raise errors.bad_request("A one-to-many relationship needs its Lookup attribute definition.")
    relationship_id = _one_relationship(state, request, body, lookup, polymorphic=False)
    return DvResponse(204, {"OData-EntityId": f"{state.org_url}{API}RelationshipDefinitions({relationship_id})"})


def delete_relationship(state: DataverseState, key_text: str, request: DvRequest) -> DvResponse:
    """DELETE RelationshipDefinitions(<id>) (create-update-entity-relationships-using-web-api, "Delete
    relationships"): a custom relationship; its lookup goes with it, or loses that target if it has others."""
    require(state, request, "prvDeleteRelationship")
    kind, value = parse_named_key(key_text, "SchemaName")
    found = next((r for r in relationships(state) if r["MetadataId" if kind == "id" else "SchemaName"] == value), None)
    if found is None:
        raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find relationship with key '{key_text}'.")
    if not found["IsCustomRelationship"]:
        raise errors.bad_request("The specified relationship is not a custom relationship", "0x8004700a")
    referencing = _table_by_logical(state, found["ReferencingEntity"], "ReferencingEntity")
    referenced = _table_by_logical(state, found["ReferencedEntity"], "ReferencedEntity")
    column = referencing.columns[f"_{found['ReferencingAttribute']}_value"]
    custom = state.customizations
    targets = {n: s for n, s in column.targets.items() if n != found["ReferencingEntityNavigationPropertyName"]}
    if targets:
        updated = column_to_json(replace(column, targets=targets))
        custom.apply(state, {"op": "put_column", "entity_set": referencing.entity_set, "column": updated})
    else:
        custom.apply(state, {"op": "drop_column", "entity_set": referencing.entity_set, "key": column.key})
    nav = found["ReferencedEntityNavigationPropertyName"]
    custom.apply(state, {"op": "drop_collection", "entity_set": referenced.entity_set, "name": nav})
    return DvResponse(204)


def create_polymorphic_lookup(state: DataverseState, request: DvRequest) -> DvResponse:
    require(state, request, "prvCreateRelationship")
    body = body_of(request)
    specs = body.get("OneToManyRelationships")
    lookup = body.get("Lookup")
    if not isinstance(specs, list) or len(specs) < 2 or not isinstance(lookup, dict):
        raise errors.bad_request(
            "CreatePolymorphicLookupAttribute needs a Lookup and two or more OneToManyRelationships."
        )
    referencing = {str(s.get("ReferencingEntity", "")).lower() for s in specs if isinstance(s, dict)}
    if len(referencing) != 1:
        raise errors.bad_request("Every relationship of a multi-table lookup must have the same ReferencingEntity.")
    ids = [_one_relationship(state, request, s, lookup, polymorphic=True) for s in specs]
    table = _table_by_logical(state, referencing.pop(), "ReferencingEntity")
    name = str(lookup.get("SchemaName")).lower()
    response_type = "Microsoft.Dynamics.CRM.CreatePolymorphicLookupAttributeResponse"
    return DvResponse.json(
        200,
        {
            "@odata.context": f"{state.org_url}{API}$metadata#{response_type}",
            "RelationshipIds": ids,
            "AttributeId": metadata_id(table.logical_name, name),
        },
    )


def create_option_set(state: DataverseState, request: DvRequest) -> DvResponse:
    require(state, request, "prvCreateOptionSet")
    body = body_of(request)
    name = check_prefix(state, request, body.get("Name"), "OptionSet").lower()
    if name in state.customizations.option_sets:
        raise errors.bad_request(
            "An OptionSet with the specified name already exists. Please specify a unique name.", DUPLICATE_OPTION_SET
        )
    options = options_from(state, name, body)
    state.customizations.apply(
        state,
        {
            "op": "option_set",
            "name": name,
            "options": {str(k): v for k, v in options.items()},
            "display": label_text(body.get("DisplayName")) or name,
        },
    )
    option_set = state.customizations.option_sets[name]
    return DvResponse(
        204, {"OData-EntityId": f"{state.org_url}{API}GlobalOptionSetDefinitions({option_set.metadata_id})"}
    )


def insert_option_value(state: DataverseState, request: DvRequest) -> DvResponse:
    """InsertOptionValue action (Learn: "InsertOptionValue Action"): one more option on a local choice
    (EntityLogicalName + AttributeLogicalName) or a global one (OptionSetName); answers NewOptionValue."""
    require(state, request, "prvWriteAttribute")
    body = body_of(request)
    text = label_text(body.get("Label"))
    if not text:
        raise errors.bad_request("InsertOptionValue needs a Label.")
    custom = state.customizations
    if body.get("OptionSetName"):
        option_set = custom.option_sets.get(str(body["OptionSetName"]).lower())
        if option_set is None:
            raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find optionset {body['OptionSetName']}.")
        value = _new_value(state, body.get("Value"), option_set.options, option_set.name)
        merged = {**option_set.options, value: text}
        custom.apply(
            state,
            {
                "op": "option_set",
                "name": option_set.name,
                "options": {str(k): v for k, v in merged.items()},
                "display": option_set.display,
            },
        )
        for table in state.tables.values():  # choice columns bound to the global set follow it
            for bound in [c for c in table.columns.values() if c.option_set == option_set.name]:
                updated = replace(bound, options=dict(merged))
                custom.apply(
                    state, {"op": "put_column", "entity_set": table.entity_set, "column": column_to_json(updated)}
                )
    else:
        table = _table_by_logical(state, body.get("EntityLogicalName"), "EntityLogicalName")
        column = table.columns.get(str(body.get("AttributeLogicalName", "")).lower())
        if column is None or column.kind is not Kind.CHOICE:
            name = body.get("AttributeLogicalName")
            raise errors.bad_request(f"{name} is not a choice column of {table.logical_name}.")
        value = _new_value(state, body.get("Value"), column.options, column.name)
        updated = replace(column, options={**column.options, value: text})
        custom.apply(state, {"op": "put_column", "entity_set": table.entity_set, "column": column_to_json(updated)})
    context = f"{state.org_url}{API}$metadata#Microsoft.Dynamics.CRM.InsertOptionValueResponse"
    return DvResponse.json(200, {"@odata.context": context, "NewOptionValue": value})


def _new_value(state: DataverseState, value: Any, options: dict[int, str], owner: str) -> int:
    """The given value, or the next one from the publisher's option value prefix (10000 -> 100000000, ...)."""
    if value is None:
        base = option_value_prefix(state, owner) * 10000
        value = max([base - 1, *[v for v in options if v >= base]]) + 1
    if not isinstance(value, int) or isinstance(value, bool):
        raise errors.bad_request(f"The option value {value} is not a whole number.")
    if value in options:  # PicklistValueNotUnique (Learn, "Web service error codes")
        raise errors.bad_request(
            "The picklist value already exists.  Picklist values must be unique.", PICKLIST_NOT_UNIQUE
        )
    return value


def publish(state: DataverseState, request: DvRequest, *, everything: bool) -> DvResponse:
    """PublishXml needs `ParameterXml`; both answer 204 (definitions are already live in the Web API)."""
    require(state, request, "prvPublishCustomization")
    if not everything:
        body = body_of(request)
        if not isinstance(body.get("ParameterXml"), str) or "<importexportxml" not in body["ParameterXml"]:
            raise errors.bad_request("PublishXml needs ParameterXml: <importexportxml>...</importexportxml>.")
    return DvResponse(204)
