"""The JSON Dataverse answers for table, column, key, option set and relationship definitions.

Built from `schema.py` (and what the metadata API added since) on every request, so the definitions are
the one source of truth: the write path validates values against the same `Column` objects these
describe (`values.coerce`). Shapes follow the metadata EntityType reference on Microsoft Learn
(EntityMetadata, AttributeMetadata and its derived types, EntityKeyMetadata, OptionSetMetadata,
OneToManyRelationshipMetadata); the sandbox serves the properties clients read, not every property the
service has (see `PROPERTIES` below for the list, anything else in `$select` is an error as in Dataverse).

Deliberate simplifications, said here because the docs do not pin them down for an emulator:
- SchemaName of a stock column is its logical name with each `_`-separated part capitalised
  (`address1_line1` -> `Address1_Line1`); Dataverse has hand-made casings (`EMailAddress1`).
- Stock relationships are named `<referenced>_<referencing>_<lookup>`; real orgs use historic names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.dataverse.customize import OptionSet, metadata_id
from inolink_tui.sandbox.dataverse.schema import AlternateKey, Column, Kind, Table, value_range

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState

LANGUAGE = 1033
PRIVILEGE_TYPES = ("Create", "Read", "Write", "Delete", "Assign", "Share", "Append", "AppendTo")


def label(text: str, *parts: str) -> dict[str, Any]:
    """A Label ComplexType with one 1033 label (LocalizedLabels and UserLocalizedLabel)."""
    if not text:
        return {"LocalizedLabels": [], "UserLocalizedLabel": None}
    localized = {
        "Label": text,
        "LanguageCode": LANGUAGE,
        "IsManaged": False,
        "MetadataId": metadata_id("label", *parts, text),
        "HasChanged": None,
    }
    return {"LocalizedLabels": [localized], "UserLocalizedLabel": dict(localized)}


def label_text(value: Any) -> str:
    """The 1033 (or first) text of a Label sent by a client; '' when there is none."""
    if not isinstance(value, dict):
        return ""
    labels = value.get("LocalizedLabels") or []
    chosen = next((x for x in labels if isinstance(x, dict) and x.get("LanguageCode") == LANGUAGE), None)
    chosen = chosen or next((x for x in labels if isinstance(x, dict)), None)
    return str(chosen.get("Label", "")) if chosen else ""


def schema_name(column: Column) -> str:
    if column.schema_name:
        return column.schema_name
    if column.name.startswith("ino_"):
        return "ino_" + "".join(p.title() for p in column.name[4:].split("_"))
    return "_".join(p[:1].upper() + p[1:] for p in column.name.split("_"))


def _managed(value: Any, name: str, can_change: bool = True) -> dict[str, Any]:
    return {"Value": value, "CanBeChanged": can_change, "ManagedPropertyLogicalName": name}


def privilege_name(verb: str, table: Table) -> str:
    """`prv<Verb><SchemaName>`, the name Dataverse gives a table's privileges (e.g. prvReadAccount)."""
    return f"prv{verb}{table.schema_name}"


def privilege_id(verb: str, table: Table) -> str:
    return metadata_id("privilege", verb, table.logical_name)


def entity_json(state: DataverseState, table: Table) -> dict[str, Any]:
    """EntityMetadata of one table (without Attributes / Keys, which are navigation properties)."""
    return {
        "MetadataId": metadata_id(table.logical_name),
        "LogicalName": table.logical_name,
        "SchemaName": table.schema_name,
        "EntitySetName": table.entity_set,
        "LogicalCollectionName": table.entity_set,
        "CollectionSchemaName": table.schema_name + "s",
        "PrimaryIdAttribute": table.primary_key,
        "PrimaryNameAttribute": table.primary_name,
        "ObjectTypeCode": table.otc,
        "OwnershipType": table.ownership,
        "ChangeTrackingEnabled": table.change_tracking,
        "IsOptimisticConcurrencyEnabled": True,
        "IsCustomEntity": table.custom,
        "IsManaged": False,
        "IsActivity": False,
        "IsIntersect": False,
        "IsPrivate": False,
        "IsValidForAdvancedFind": True,
        "HasActivities": False,
        "HasNotes": False,
        "DisplayName": label(table.display, table.logical_name, "display"),
        "DisplayCollectionName": label(table.collection_display, table.logical_name, "collection"),
        "Description": label("", table.logical_name),
        "IsCustomizable": _managed(True, "iscustomizable"),
        "IsRenameable": _managed(True, "isrenameable"),
        "IsMappable": _managed(True, "ismappable", False),
        "IsAuditEnabled": _managed(False, "canmodifyauditsettings"),
        "IsDuplicateDetectionEnabled": _managed(False, "canmodifyduplicatedetectionsettings"),
        "CanCreateAttributes": _managed(True, "cancreateattributes", False),
        "CanCreateForms": _managed(True, "cancreateforms"),
        "CanCreateViews": _managed(True, "cancreateviews"),
        "IsKnowledgeManagementEnabled": False,
        "IsDocumentManagementEnabled": False,
        "IsBusinessProcessEnabled": False,
        "IsQuickCreateEnabled": False,
        "IsAvailableOffline": False,
        "IsReadingPaneEnabled": True,
        "IsImportable": True,
        "IsChildEntity": False,
        "IsActivityParty": False,
        "AutoRouteToOwnerQueue": False,
        "EntityColor": None,
        "IconSmallName": None,
        "PrimaryImageAttribute": None,
        "ActivityTypeMask": 0,
        "DaysSinceRecordLastModified": 0,
        "Privileges": [
            {
                "CanBeBasic": True,
                "CanBeDeep": True,
                "CanBeGlobal": True,
                "CanBeLocal": True,
                "CanBeEntityReference": False,
                "CanBeParentEntityReference": False,
                "Name": privilege_name(verb, table),
                "PrivilegeId": privilege_id(verb, table),
                "PrivilegeType": verb,
            }
            for verb in PRIVILEGE_TYPES
        ],
    }


def _type_of(table: Table, column: Column) -> tuple[str, str]:
    """(@odata.type suffix, AttributeType) of a column."""
    kind = column.kind
    if column.name == table.primary_key or kind is Kind.GUID:
        return "UniqueIdentifierAttributeMetadata", "Uniqueidentifier"
    if kind is Kind.STRING:
        return ("MemoAttributeMetadata", "Memo") if column.memo else ("StringAttributeMetadata", "String")
    if kind is Kind.CHOICE:
        if column.name == "statecode":
            return "StateAttributeMetadata", "State"
        if column.name == "statuscode":
            return "StatusAttributeMetadata", "Status"
        return "PicklistAttributeMetadata", "Picklist"
    if kind is Kind.LOOKUP:
        if column.name == "ownerid":
            return "LookupAttributeMetadata", "Owner"
        targets = set(column.targets.values())
        if targets == {"accounts", "contacts"} and not column.custom:
            return "LookupAttributeMetadata", "Customer"
        return "LookupAttributeMetadata", "Lookup"
    return {
        Kind.INT: ("IntegerAttributeMetadata", "Integer"),
        Kind.BIGINT: ("BigIntAttributeMetadata", "BigInt"),
        Kind.DECIMAL: ("DecimalAttributeMetadata", "Decimal"),
        Kind.MONEY: ("MoneyAttributeMetadata", "Money"),
        Kind.BOOL: ("BooleanAttributeMetadata", "Boolean"),
        Kind.DATETIME: ("DateTimeAttributeMetadata", "DateTime"),
    }[kind]


def odata_type(table: Table, column: Column) -> str:
    return _type_of(table, column)[0]


def required_level(table: Table, column: Column) -> str:
    return "SystemRequired" if column.name == table.primary_key else column.required


def attribute_json(state: DataverseState, table: Table, column: Column) -> dict[str, Any]:
    """AttributeMetadata (as its derived type) of one column; OptionSet is left to `$expand`."""
    derived, attribute_type = _type_of(table, column)
    system = column.read_only or column.name == table.primary_key
    body: dict[str, Any] = {
        "@odata.type": f"#Microsoft.Dynamics.CRM.{derived}",
        "MetadataId": metadata_id(table.logical_name, column.name),
        "LogicalName": column.name,
        "SchemaName": schema_name(column),
        "EntityLogicalName": table.logical_name,
        "AttributeType": attribute_type,
        "AttributeTypeName": {"Value": f"{attribute_type}Type"},
        "AttributeOf": None,
        "IsCustomAttribute": column.custom or column.name.startswith("ino_"),
        "IsManaged": False,
        "IsPrimaryId": column.name == table.primary_key,
        "IsPrimaryName": column.name == table.primary_name,
        "IsValidForCreate": not column.read_only,
        "IsValidForUpdate": not system,
        "IsValidForRead": True,
        "IsLogical": False,
        "RequiredLevel": _managed(required_level(table, column), "canmodifyrequirementlevelsettings"),
        "DisplayName": label(column.label, table.logical_name, column.name),
        "Description": label("", table.logical_name, column.name),
    }
    kind = column.kind
    if kind is Kind.STRING:
        body["MaxLength"] = column.max_length
        body["DatabaseLength"] = column.max_length * 2
        if column.memo:
            body["Format"] = "TextArea"
        else:
            body["FormatName"] = {"Value": column.format or "Text"}
            body["Format"] = column.format or "Text"
    elif kind in (Kind.INT, Kind.DECIMAL, Kind.MONEY):
        low, high = value_range(column) or (0.0, 0.0)
        if kind is Kind.INT:
            body.update({"MinValue": int(low), "MaxValue": int(high), "Format": "None"})
        else:
            body.update({"MinValue": low, "MaxValue": high, "Precision": column.precision})
        if kind is Kind.MONEY:
            body["PrecisionSource"] = 2
    elif kind is Kind.DATETIME:
        body.update({"Format": "DateAndTime", "DateTimeBehavior": {"Value": "UserLocal"}})
    elif kind is Kind.LOOKUP:
        body["Targets"] = sorted({state.tables[s].logical_name for s in column.targets.values() if s in state.tables})
    elif kind is Kind.CHOICE:
        body["DefaultFormValue"] = -1
    return body


def option_set_json(table: Table, column: Column, global_set: OptionSet | None = None) -> dict[str, Any]:
    """OptionSetMetadata of a choice column (its global option set when it uses one)."""
    attribute_type = _type_of(table, column)[1]
    kind = {"State": "State", "Status": "Status"}.get(attribute_type, "Picklist")
    name = global_set.name if global_set else f"{table.logical_name}_{column.name}"
    options = global_set.options if global_set else column.options
    return {
        "MetadataId": global_set.metadata_id if global_set else metadata_id("optionset", name),
        "Name": name,
        "IsGlobal": global_set is not None,
        "IsCustomOptionSet": bool(global_set.custom if global_set else column.custom),
        "IsManaged": False,
        "OptionSetType": kind,
        "DisplayName": label(global_set.display if global_set else column.label, "optionset", name),
        "Description": label("", "optionset", name),
        "Options": [option_json(value, text, name) for value, text in options.items()],
    }


def global_option_set_json(option_set: OptionSet) -> dict[str, Any]:
    return {
        "@odata.type": "#Microsoft.Dynamics.CRM.OptionSetMetadata",
        "MetadataId": option_set.metadata_id,
        "Name": option_set.name,
        "IsGlobal": True,
        "IsCustomOptionSet": option_set.custom,
        "IsManaged": False,
        "OptionSetType": "Picklist",
        "DisplayName": label(option_set.display, "optionset", option_set.name),
        "Description": label("", "optionset", option_set.name),
        "Options": [option_json(v, t, option_set.name) for v, t in option_set.options.items()],
    }


def option_json(value: int, text: str, owner: str) -> dict[str, Any]:
    return {
        "Value": value,
        "Color": None,
        "IsManaged": False,
        "ExternalValue": None,
        "MetadataId": None,
        "HasChanged": None,
        "Label": label(text, "option", owner, str(value)),
        "Description": label("", "option", owner, str(value)),
    }


def key_json(state: DataverseState, table: Table, key: AlternateKey) -> dict[str, Any]:
    return {
        "MetadataId": metadata_id(table.logical_name, "key", key.name),
        "LogicalName": key.name,
        "SchemaName": key.name,
        "EntityLogicalName": table.logical_name,
        "KeyAttributes": list(key.columns),
        "EntityKeyIndexStatus": state.customizations.key_index_status(table.entity_set, key.name),
        "DisplayName": label(key.display, table.logical_name, "key", key.name),
        "IsManaged": False,
        "IsCustomizable": _managed(True, "iscustomizable"),
        "AsyncJob": None,
    }


def all_keys(state: DataverseState, table: Table) -> list[AlternateKey]:
    """Active keys and those whose index is still being built (or failed)."""
    return [*table.alternate_keys, *state.customizations.pending_keys(table.entity_set)]


def relationships(state: DataverseState) -> list[dict[str, Any]]:
    """Every one-to-many relationship: one per lookup column and target table."""
    out: list[dict[str, Any]] = []
    for referencing in state.tables.values():
        for column in referencing.columns.values():
            if column.kind is not Kind.LOOKUP:
                continue
            for nav, target_set in column.targets.items():
                referenced = state.tables.get(target_set)
                if referenced is not None:
                    out.append(_relationship(state, referencing, column, nav, referenced))
    return out


def relationship_key(referencing: Table, column: Column, referenced: Table) -> str:
    return f"{referencing.logical_name}.{column.name}.{referenced.logical_name}"


def _relationship(
    state: DataverseState, referencing: Table, column: Column, nav: str, referenced: Table
) -> dict[str, Any]:
    key = relationship_key(referencing, column, referenced)
    name = state.customizations.relationship_names.get(key) or (
        f"{referenced.logical_name}_{referencing.logical_name}_{column.name}"
    )
    collection = next(
        (
            c.name
            for c in referenced.collections.values()
            if c.entity_set == referencing.entity_set and c.lookup == column.key
        ),
        name,
    )
    cascade = "Cascade" if column.cascade_delete else "RemoveLink"
    return {
        "@odata.type": "#Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        "MetadataId": metadata_id("relationship", name),
        "SchemaName": name,
        "RelationshipType": "OneToManyRelationship",
        "IsCustomRelationship": column.custom or column.name.startswith("ino_"),
        "IsManaged": False,
        "IsHierarchical": False,
        "ReferencedEntity": referenced.logical_name,
        "ReferencedAttribute": referenced.primary_key,
        "ReferencingEntity": referencing.logical_name,
        "ReferencingAttribute": column.name,
        "ReferencedEntityNavigationPropertyName": collection,
        "ReferencingEntityNavigationPropertyName": nav,
        "CascadeConfiguration": {
            "Assign": "NoCascade",
            "Delete": cascade,
            "Merge": "NoCascade",
            "Reparent": "NoCascade",
            "Share": "NoCascade",
            "Unshare": "NoCascade",
            "RollupView": "NoCascade",
        },
    }
