"""Creating and changing definitions: tables, columns, alternate keys, relationships, global choices, publish.

Each operation follows its Microsoft Learn page (paths relative to
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/):

- `POST EntityDefinitions` (create-update-entity-definitions-using-web-api): the body must carry the
  primary name attribute (a StringAttributeMetadata with IsPrimaryName true); 204 with
  `OData-EntityId: .../EntityDefinitions(<MetadataId>)`.
- `PUT EntityDefinitions(<id>)` (same page, "Update table definitions"): replaces the definition; PATCH
  is refused. Labels follow `MSCRM.MergeLabels` (absent means false: labels not sent are dropped).
- `POST EntityDefinitions(..)/Attributes` (create-update-column-definitions-using-web-api): 204 with
  `OData-EntityId: .../EntityDefinitions(..)/Attributes(<MetadataId>)`. Lookups are not created here but
  through relationships.
- `POST EntityDefinitions(..)/Keys` (define-alternate-keys-entity, "Web API"): the index is built later,
  see `customize.py` for `EntityKeyIndexStatus`.
- `POST RelationshipDefinitions` with a `Lookup` (create-update-entity-relationships-using-web-api), and
  `POST CreatePolymorphicLookupAttribute` (multitable-lookup): a multi-table lookup's navigation property
  for each target is `<Lookup SchemaName>_<referenced table>`; a single-table lookup's is the Lookup's
  SchemaName unless `ReferencingEntityNavigationPropertyName` says otherwise.
- `POST GlobalOptionSetDefinitions` (create-update-optionsets).
- `POST PublishXml` / `POST PublishAllXml`: 204. Definitions are live through the Web API as soon as they
  are created; publishing matters to apps, which the sandbox does not have.

Errors (codes and texts from Learn, "Web service error codes"): a duplicate column is `0x80047013`
DuplicateAttributeSchemaName, a duplicate table `0x80047010` DuplicateName (whether the service uses that
generic code for tables is not documented), a duplicate key name `0x80060893` EntityKeyNameExists (the same
columns: `0x80060894`), a duplicate entity set name `0x8006089B` InvalidEntitySetName, a duplicate relationship
`0x8004432B` EntityRelationshipSchemaNameNotUnique, a duplicate global choice `0x80044345`
InvalidOptionSetSchemaName, a duplicate option value `0x80044310` PicklistValueNotUnique. A schema name without
a publisher's customization prefix is refused with the message clients quote ("... must start with a valid
customization prefix"); its error code is not documented, so the sandbox uses `0x80040203` InvalidArgument.
A caller missing a customization privilege gets 403 `0x80040220` naming it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.customize import column_to_json, metadata_id, table_to_json
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.metadata import find_table, parse_named_key
from inolink_tui.sandbox.dataverse.metadata_json import entity_json, label_text
from inolink_tui.sandbox.dataverse.schema import DEFAULT_RANGES, Column, Kind, Table, system_columns

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState

API = "/api/data/v9.2/"
DUPLICATE_ATTRIBUTE = "0x80047013"
DUPLICATE_NAME = "0x80047010"
DUPLICATE_ENTITY_SET = "0x8006089B"
DUPLICATE_RELATIONSHIP = "0x8004432B"
DUPLICATE_OPTION_SET = "0x80044345"
PICKLIST_NOT_UNIQUE = "0x80044310"
KEY_NAME_EXISTS = "0x80060893"
KEY_ATTRIBUTES_EXIST = "0x80060894"
NOT_CUSTOMIZABLE = "0x80047008"
_PREFIXED = re.compile(r"^([A-Za-z][A-Za-z0-9]{1,7})_[A-Za-z0-9_]+$")
_TYPES = {
    "StringAttributeMetadata": Kind.STRING,
    "MemoAttributeMetadata": Kind.STRING,
    "IntegerAttributeMetadata": Kind.INT,
    "BigIntAttributeMetadata": Kind.BIGINT,
    "DecimalAttributeMetadata": Kind.DECIMAL,
    "MoneyAttributeMetadata": Kind.MONEY,
    "BooleanAttributeMetadata": Kind.BOOL,
    "DateTimeAttributeMetadata": Kind.DATETIME,
    "PicklistAttributeMetadata": Kind.CHOICE,
}
_ATTRIBUTE_TYPES = {
    "String": "StringAttributeMetadata",
    "Memo": "MemoAttributeMetadata",
    "Integer": "IntegerAttributeMetadata",
    "BigInt": "BigIntAttributeMetadata",
    "Decimal": "DecimalAttributeMetadata",
    "Money": "MoneyAttributeMetadata",
    "Boolean": "BooleanAttributeMetadata",
    "DateTime": "DateTimeAttributeMetadata",
    "Picklist": "PicklistAttributeMetadata",
}
CUSTOMIZATION_PRIVILEGES = (
    "prvCreateEntity",
    "prvDeleteEntity",
    "prvDeleteEntityKey",
    "prvDeleteRelationship",
    "prvWriteEntity",
    "prvCreateAttribute",
    "prvWriteAttribute",
    "prvDeleteAttribute",
    "prvCreateEntityKey",
    "prvCreateRelationship",
    "prvCreateOptionSet",
    "prvPublishCustomization",
)
"""What the System Customizer role grants for these operations (names as Dataverse's privilege list has them;
which privilege each Web API operation checks is not documented, so one per operation is assumed)."""


def body_of(request: DvRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.bad_request(f"Invalid JSON in the request body: {exc}", errors.PAYLOAD) from exc
    if not isinstance(body, dict):
        raise errors.bad_request("The request body must be a JSON object.", errors.PAYLOAD)
    return body


def require(state: DataverseState, request: DvRequest, privilege: str) -> None:
    if privilege in state.denied_privileges:
        raise errors.DataverseError(
            403,
            errors.PRIVILEGE_DENIED,
            f"Principal user (Id={request.user_id}, type=8, roleCount=1, privilegeCount=0, accessMode=4, "
            f"MetadataCachePrivilegesCount=0, BusinessUnitId={state.business_unit_id}), is missing {privilege} "
            f"privilege (Id={metadata_id('privilege', privilege)}). Context: PrivilegeName={privilege}",
        )


def prefixes(state: DataverseState, request: DvRequest) -> set[str]:
    """Customization prefixes allowed: the named solution's publisher's, or any publisher's without one."""
    publishers = state.row_map("publishers")
    solution = request.header("mscrm.solutionuniquename")
    if solution:
        found = next((s for s in state.row_map("solutions").values() if s.get("uniquename") == solution), None)
        if found is None:
            raise errors.DataverseError(404, errors.NOT_FOUND, f"solution With Name = {solution} Does Not Exist")
        publisher = publishers.get(str(found.get("_publisherid_value")))
        return {str(publisher["customizationprefix"]).lower()} if publisher else set()
    return {str(p["customizationprefix"]).lower() for p in publishers.values() if p.get("customizationprefix")}


def check_prefix(state: DataverseState, request: DvRequest, schema: Any, what: str) -> str:
    if not isinstance(schema, str) or not schema:
        raise errors.bad_request(f"{what} SchemaName is required.")
    match = _PREFIXED.match(schema)
    allowed = prefixes(state, request)
    if match is None or match.group(1).lower() not in allowed:
        raise errors.bad_request(
            f"The schema name {schema} for type {what} is invalid or missing and must start with a valid "
            f"customization prefix ({', '.join(sorted(p + '_' for p in allowed))})."
        )
    return schema


def option_value_prefix(state: DataverseState, schema: str) -> int:
    prefix = schema.split("_", 1)[0].lower()
    for publisher in state.row_map("publishers").values():
        if str(publisher.get("customizationprefix", "")).lower() == prefix:
            return int(publisher.get("customizationoptionvalueprefix") or 10000)
    return 10000


def options_from(state: DataverseState, schema: str, option_set: Any) -> dict[int, str]:
    """Options of an OptionSetMetadata body; options sent without a Value are numbered from the prefix."""
    if not isinstance(option_set, dict) or not isinstance(option_set.get("Options"), list):
        raise errors.bad_request("A choice needs OptionSet.Options.")
    base = option_value_prefix(state, schema) * 10000
    options: dict[int, str] = {}
    for item in option_set["Options"]:
        value = item.get("Value") if isinstance(item, dict) else None
        if value is None:
            value = base + len(options)
        if not isinstance(value, int) or isinstance(value, bool):
            raise errors.bad_request(f"The option value {value} is not a whole number.")
        if value in options:
            raise errors.bad_request(
                "The picklist value already exists.  Picklist values must be unique.", PICKLIST_NOT_UNIQUE
            )
        options[value] = label_text(item.get("Label")) or str(value)
    return options


def _created(state: DataverseState, path: str) -> DvResponse:
    return DvResponse(204, {"OData-EntityId": f"{state.org_url}{API}{path}"})


# ----- columns -----


def column_from_body(state: DataverseState, request: DvRequest, table: Table, body: dict[str, Any]) -> Column:
    """A Column from an AttributeMetadata body, checked as the service checks it."""
    schema = check_prefix(state, request, body.get("SchemaName"), "Attribute")
    raw_type = str(body.get("@odata.type", "")).lstrip("#").removeprefix("Microsoft.Dynamics.CRM.")
    derived = raw_type or _ATTRIBUTE_TYPES.get(str(body.get("AttributeType", "")), "")
    lookup_types = ("LookupAttributeMetadata", "ComplexLookupAttributeMetadata")
    if derived in lookup_types or body.get("AttributeType") == "Lookup":
        raise errors.bad_request(
            "Lookup attributes are created with their relationship: POST RelationshipDefinitions with a Lookup."
        )
    kind = _TYPES.get(derived)
    if kind is None:
        shown = derived or body.get("AttributeType")
        raise errors.bad_request(f"The sandbox does not model attributes of type '{shown}'.")
    name = schema.lower()
    if table.columns.get(name) or table.columns.get(f"_{name}_value"):
        raise errors.bad_request(
            f"An attribute with the specified name {schema} already exists on entity {table.logical_name}.",
            DUPLICATE_ATTRIBUTE,
        )
    required = "None"
    if isinstance(body.get("RequiredLevel"), dict):
        required = str(body["RequiredLevel"].get("Value") or "None")
    if required not in ("None", "Recommended", "ApplicationRequired", "SystemRequired"):
        raise errors.bad_request(f"'{required}' is not a valid AttributeRequiredLevel.")
    common: dict[str, Any] = {
        "display": label_text(body.get("DisplayName")) or schema,
        "required": required,
        "schema_name": schema,
        "custom": True,
    }
    if kind is Kind.STRING:
        memo = derived == "MemoAttributeMetadata"
        length = body.get("MaxLength", 2000 if memo else 100)
        limit = 1_048_576 if memo else 4000
        if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= limit:
            raise errors.bad_request(f"MaxLength must be between 1 and {limit}.")
        fmt = body.get("FormatName", {}).get("Value") if isinstance(body.get("FormatName"), dict) else None
        fmt = "TextArea" if memo else str(fmt or body.get("Format") or "Text")
        return Column(name, kind, max_length=length, memo=memo, format=fmt, **common)
    if kind is Kind.CHOICE:
        bind = body.get("GlobalOptionSet@odata.bind")
        if bind is not None:
            global_set = _bound_option_set(state, str(bind))
            return Column(name, kind, options=dict(global_set.options), option_set=global_set.name, **common)
        return Column(name, kind, options=options_from(state, schema, body.get("OptionSet")), **common)
    if kind in (Kind.INT, Kind.DECIMAL, Kind.MONEY):
        low, high = body.get("MinValue"), body.get("MaxValue")
        for bound in (low, high):
            if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int | float)):
                raise errors.bad_request("MinValue and MaxValue must be numbers.")
        default = DEFAULT_RANGES[kind]
        if low is not None and high is not None and low > high:
            raise errors.bad_request("MinValue must not be greater than MaxValue.")
        if (low is not None and low < default[0]) or (high is not None and high > default[1]):
            raise errors.bad_request(f"MinValue and MaxValue must lie within {default[0]:g} to {default[1]:g}.")
        return Column(name, kind, min_value=low, max_value=high, **common)
    return Column(name, kind, **common)


def _bound_option_set(state: DataverseState, bind: str) -> Any:
    text = bind.split("GlobalOptionSetDefinitions(", 1)[-1].rstrip(")")
    kind, value = parse_named_key(text, "Name")
    for option_set in state.customizations.option_sets.values():
        if (kind == "id" and option_set.metadata_id == value) or (kind != "id" and option_set.name == value):
            return option_set
    raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find optionset with key '{text}'.")


def create_attribute(state: DataverseState, key_text: str, request: DvRequest) -> DvResponse:
    require(state, request, "prvCreateAttribute")
    table = find_table(state, key_text)
    column = column_from_body(state, request, table, body_of(request))
    state.customizations.apply(
        state, {"op": "put_column", "entity_set": table.entity_set, "column": column_to_json(column)}
    )
    return _created(state, f"EntityDefinitions({key_text})/Attributes({metadata_id(table.logical_name, column.name)})")


def delete_attribute(state: DataverseState, key_text: str, item_key: str, request: DvRequest) -> DvResponse:
    from inolink_tui.sandbox.dataverse.metadata import find_column

    require(state, request, "prvDeleteAttribute")
    table = find_table(state, key_text)
    column = find_column(state, table, item_key)
    if not (column.custom or column.name.startswith("ino_")):
        raise errors.bad_request(f"The attribute {column.name} is not a custom attribute and cannot be deleted.")
    state.customizations.apply(state, {"op": "drop_column", "entity_set": table.entity_set, "key": column.key})
    return DvResponse(204)


# ----- tables -----


def _plural(logical: str) -> str:
    """English plural as Dataverse forms LogicalCollectionName (approximation: -s, -es, -y -> -ies)."""
    if logical.endswith(("s", "x", "z", "ch", "sh")):
        return logical + "es"
    if logical.endswith("y") and logical[-2:-1] not in "aeiou":
        return logical[:-1] + "ies"
    return logical + "s"


def create_table(state: DataverseState, request: DvRequest) -> DvResponse:
    require(state, request, "prvCreateEntity")
    body = body_of(request)
    schema = check_prefix(state, request, body.get("SchemaName"), "Entity")
    logical = schema.lower()
    if any(t.logical_name == logical for t in state.tables.values()):
        raise errors.bad_request("An object with the specified name already exists", DUPLICATE_NAME)
    entity_set = str(body.get("EntitySetName") or _plural(logical))
    if entity_set in state.tables:
        raise errors.bad_request(
            f"An entity with the specified entity set name {entity_set} already exists. Specify a unique name.",
            DUPLICATE_ENTITY_SET,
        )
    ownership = str(body.get("OwnershipType") or "UserOwned")
    if ownership not in ("UserOwned", "OrganizationOwned"):
        raise errors.bad_request(f"The sandbox does not model OwnershipType {ownership}.")
    if body.get("IsActivity"):
        raise errors.bad_request("The sandbox does not model activity tables.")
    attributes = body.get("Attributes") or []
    primary = [a for a in attributes if isinstance(a, dict) and a.get("IsPrimaryName")]
    if len(primary) != 1:
        raise errors.bad_request("The table definition must include exactly one attribute with IsPrimaryName true.")
    display = label_text(body.get("DisplayName"))
    pk = f"{logical}id"
    table = Table(
        logical_name=logical,
        entity_set=entity_set,
        primary_key=pk,
        primary_name="",
        columns={},
        otc=state.customizations.next_otc,
        display=display or schema,
        change_tracking=bool(body.get("ChangeTrackingEnabled", False)),
        schema_name=schema,
        ownership=ownership,
        custom=True,
        collection_display=label_text(body.get("DisplayCollectionName")) or display or schema,
    )
    base = [c for c in system_columns(pk) if ownership == "UserOwned" or c.name != "ownerid"]
    base += [
        Column("statecode", Kind.CHOICE, options={0: "Active", 1: "Inactive"}, display="Status"),
        Column("statuscode", Kind.CHOICE, options={1: "Active", 2: "Inactive"}, display="Status Reason"),
    ]
    table.columns = {c.key: c for c in base}
    for attribute in attributes:
        if not isinstance(attribute, dict):
            raise errors.bad_request("Attributes must be AttributeMetadata objects.")
        column = column_from_body(state, request, table, attribute)
        if attribute.get("IsPrimaryName"):
            if column.kind is not Kind.STRING or column.memo:
                raise errors.bad_request("Primary UI Attribute has to be of type String", "0x8004700e")
            table.primary_name = column.name
        table.columns[column.key] = column
    state.customizations.apply(state, {"op": "add_table", "table": table_to_json(table)})
    return _created(state, f"EntityDefinitions({metadata_id(logical)})")


def update_table(state: DataverseState, key_text: str, request: DvRequest) -> DvResponse:
    """PUT: the body replaces the definition; the sandbox applies the properties it models."""
    require(state, request, "prvWriteEntity")
    table = find_table(state, key_text)
    body = body_of(request)
    for name in ("LogicalName", "SchemaName", "EntitySetName"):
        if name in body and body[name] != entity_json(state, table)[name]:
            raise errors.bad_request(f"{name} of an existing table cannot be changed.")
    merge = (request.header("mscrm.mergelabels") or "false").strip().lower() == "true"
    display, collection = table.display, table.collection_display
    if "DisplayName" in body or not merge:
        display = label_text(body.get("DisplayName")) or (display if merge else "")
    if "DisplayCollectionName" in body or not merge:
        collection = label_text(body.get("DisplayCollectionName")) or (collection if merge else "")
    if (display, collection) != (table.display, table.collection_display):
        state.customizations.apply(
            state,
            {
                "op": "table_labels",
                "entity_set": table.entity_set,
                "display": display,
                "collection_display": collection,
            },
        )
    if "ChangeTrackingEnabled" in body:
        if not isinstance(body["ChangeTrackingEnabled"], bool):
            raise errors.bad_request("ChangeTrackingEnabled must be true or false.", errors.PAYLOAD)
        table.change_tracking = body["ChangeTrackingEnabled"]
    return DvResponse(204)


# ----- keys -----


def create_key(state: DataverseState, key_text: str, request: DvRequest) -> DvResponse:
    require(state, request, "prvCreateEntityKey")
    table = find_table(state, key_text)
    body = body_of(request)
    schema = check_prefix(state, request, body.get("SchemaName"), "EntityKey")
    columns = body.get("KeyAttributes")
    if not isinstance(columns, list) or not columns or not all(isinstance(c, str) for c in columns):
        raise errors.bad_request("KeyAttributes must list the logical names of the key's columns.")
    for name in columns:
        column = table.columns.get(name) or table.columns.get(f"_{name}_value")
        if column is None:
            raise errors.bad_request(f"Attribute {name} does not exist on entity {table.logical_name}.")
        if column.read_only:  # EntityKeyAttributeNotValidForCreateAndUpdate (Learn, "Web service error codes")
            raise errors.bad_request(
                f"Attribute of an entity key must be valid for create and update. Atribute Name = '{name}' "
                f"Id = '{metadata_id(table.logical_name, column.name)}'",
                "0x80090112",
            )
        if column.memo or column.kind in (Kind.MONEY, Kind.BOOL, Kind.BIGINT):
            raise errors.bad_request(f"Attribute {name} of this type cannot be part of an alternate key.")
    name = schema.lower()
    existing = [*table.alternate_keys, *state.customizations.pending_keys(table.entity_set)]
    if any(k.name == name for k in existing):  # EntityKeyNameExists
        raise errors.bad_request(
            f"An entity key with the name {schema} already exists on entity {table.logical_name}.", KEY_NAME_EXISTS
        )
    if any(set(k.columns) == set(columns) for k in existing):  # EntityKeyWithSelectedAttributesExists
        raise errors.bad_request(
            "An entity key with the selected attributes already exists on entity.", KEY_ATTRIBUTES_EXIST
        )
    state.customizations.apply(
        state,
        {
            "op": "add_key",
            "entity_set": table.entity_set,
            "name": name,
            "columns": [c for c in columns],
            "display": label_text(body.get("DisplayName")) or schema,
            "ready_at": state.clock.monotonic() + state.customizations.key_index_seconds,
            "status": "Pending",
        },
    )
    return _created(state, f"EntityDefinitions({key_text})/Keys({metadata_id(table.logical_name, 'key', name)})")


# ----- deletes (custom components only) -----


def delete_table(state: DataverseState, key_text: str, request: DvRequest) -> DvResponse:
    """DELETE EntityDefinitions(<id>): a custom table that no other table's lookup points at.

    Learn lists the delete without its refusal for dependencies; the sandbox refuses (as the service does for
    a component others depend on) with 0x80040203 and names the lookups to delete first.
    """
    require(state, request, "prvDeleteEntity")
    table = find_table(state, key_text)
    if not table.custom:
        raise errors.bad_request(
            f"The entity {table.logical_name} is not a custom entity and cannot be deleted.", NOT_CUSTOMIZABLE
        )
    users = [
        f"{other.logical_name}.{c.name}"
        for other in state.tables.values()
        if other is not table
        for c in other.columns.values()
        if table.entity_set in c.targets.values()
    ]
    if users:
        raise errors.bad_request(
            f"The entity {table.logical_name} cannot be deleted: lookups {', '.join(users)} use it."
        )
    state.customizations.apply(state, {"op": "drop_table", "entity_set": table.entity_set})
    return DvResponse(204)


def delete_key(state: DataverseState, key_text: str, item_key: str, request: DvRequest) -> DvResponse:
    require(state, request, "prvDeleteEntityKey")
    table = find_table(state, key_text)
    kind, value = parse_named_key(item_key, "LogicalName")
    keys = [*table.alternate_keys, *state.customizations.pending_keys(table.entity_set)]
    found = next(
        (k for k in keys if (metadata_id(table.logical_name, "key", k.name) if kind == "id" else k.name) == value),
        None,
    )
    if found is None:
        raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find key with key '{item_key}'.")
    state.customizations.apply(state, {"op": "drop_key", "entity_set": table.entity_set, "name": found.name})
    return DvResponse(204)
