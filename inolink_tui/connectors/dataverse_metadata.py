"""The Dataverse Web API's table definitions (metadata): read what an org has, create what it lacks.

Written from Microsoft's documentation:

- reading: `EntityDefinitions(LogicalName='x')` with `$expand=Attributes,Keys`, a choice's options through
  the `Microsoft.Dynamics.CRM.PicklistAttributeMetadata` cast with `$expand=OptionSet`
  (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query-metadata-web-api);
- tables: POST `EntityDefinitions` with the primary name attribute, `HasNotes` and `HasActivities`
  (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/create-update-entity-definitions-using-web-api);
  change tracking is switched on by PUT of the definition read back, with `MSCRM.MergeLabels: true`
  (the same page: metadata updates replace the whole definition, PATCH is not supported);
- columns: POST `EntityDefinitions(LogicalName='x')/Attributes` with a typed `@odata.type`
  (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/create-update-column-definitions-using-web-api),
  options added with the `InsertOptionValue` action;
- lookups: POST `RelationshipDefinitions` with a `OneToManyRelationshipMetadata` and its `Lookup`
  (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/create-update-entity-relationships-using-web-api);
  a lookup to several tables with the `CreatePolymorphicLookupAttribute` action
  (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/multitable-lookup);
- alternate keys: POST `EntityDefinitions(LogicalName='x')/Keys`
  (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/define-alternate-keys-entity);
- `PublishXml` (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/publishxml);
- privileges: `systemusers(id)/Microsoft.Dynamics.CRM.RetrieveUserPrivileges` (the privileges a user holds
  through its roles and teams, by `PrivilegeName`, e.g. prvReadAccount:
  https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/retrieveuserprivileges).

Every request is counted (`requests`), so `crm setup` can say how many it made.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.domain.crm_requirements import ColumnSpec, KeySpec, Kind, TableSpec
from inolink_tui.domain.crm_setup_plan import AttributeState, TableState

log = logging.getLogger(__name__)

LANGUAGE = 1033
SOLUTION_HEADER = "MSCRM.SolutionUniqueName"
SOLUTION_AWARE = (
    "EntityDefinitions",
    "RelationshipDefinitions",
    "CreatePolymorphicLookupAttribute",
    "InsertOptionValue",
)
"""Requests that create solution components: they carry the solution's unique name."""
_TYPES = {
    Kind.STRING: ("Microsoft.Dynamics.CRM.StringAttributeMetadata", "StringType"),
    Kind.MEMO: ("Microsoft.Dynamics.CRM.MemoAttributeMetadata", "MemoType"),
    Kind.MONEY: ("Microsoft.Dynamics.CRM.MoneyAttributeMetadata", "MoneyType"),
    Kind.DATETIME: ("Microsoft.Dynamics.CRM.DateTimeAttributeMetadata", "DateTimeType"),
    Kind.INTEGER: ("Microsoft.Dynamics.CRM.IntegerAttributeMetadata", "IntegerType"),
    Kind.PICKLIST: ("Microsoft.Dynamics.CRM.PicklistAttributeMetadata", "PicklistType"),
    Kind.LOOKUP: ("Microsoft.Dynamics.CRM.LookupAttributeMetadata", "LookupType"),
}


def label(text: str) -> dict[str, Any]:
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.Label",
        "LocalizedLabels": [
            {"@odata.type": "Microsoft.Dynamics.CRM.LocalizedLabel", "Label": text, "LanguageCode": LANGUAGE}
        ],
    }


def _label_text(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    user = value.get("UserLocalizedLabel")
    if isinstance(user, dict) and user.get("Label"):
        return str(user["Label"])
    for item in value.get("LocalizedLabels") or []:
        if isinstance(item, dict) and item.get("Label"):
            return str(item["Label"])
    return ""


def attribute_body(column: ColumnSpec) -> dict[str, Any]:
    """The JSON definition of a new column (lookups go through relationships, see `lookup_body`)."""
    odata_type, type_name = _TYPES[column.kind]
    body: dict[str, Any] = {
        "@odata.type": odata_type,
        "AttributeTypeName": {"Value": type_name},
        "SchemaName": column.schema_name,
        "DisplayName": label(column.display),
        "Description": label(f"InoLink: {column.display}"),
        "RequiredLevel": {
            "Value": "None",
            "CanBeChanged": True,
            "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
        },
    }
    if column.kind in (Kind.STRING, Kind.MEMO):
        body["MaxLength"] = column.max_length
        body["FormatName"] = {"Value": "Text"} if column.kind is Kind.STRING else None
        body["IsPrimaryName"] = column.primary_name
        if column.kind is Kind.MEMO:
            body.pop("FormatName")
    elif column.kind is Kind.MONEY:
        body.update({"PrecisionSource": 2, "ImeMode": "Disabled"})
    elif column.kind is Kind.DATETIME:
        body.update({"Format": "DateAndTime", "DateTimeBehavior": {"Value": "UserLocal"}})
    elif column.kind is Kind.INTEGER:
        body.update({"Format": "None", "MinValue": 0, "MaxValue": 2147483647})
    elif column.kind is Kind.PICKLIST:
        body["OptionSet"] = {
            "@odata.type": "Microsoft.Dynamics.CRM.OptionSetMetadata",
            "IsGlobal": False,
            "OptionSetType": "Picklist",
            "Options": [{"Value": value, "Label": label(text)} for value, text in column.options],
        }
    return body


def lookup_body(column: ColumnSpec) -> dict[str, Any]:
    odata_type, type_name = _TYPES[Kind.LOOKUP]
    return {
        "@odata.type": odata_type,
        "AttributeType": "Lookup",
        "AttributeTypeName": {"Value": type_name},
        "SchemaName": column.schema_name,
        "DisplayName": label(column.display),
        "Description": label(f"InoLink: {column.display}"),
        "RequiredLevel": {
            "Value": "None",
            "CanBeChanged": True,
            "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
        },
    }


def relationship_body(column: ColumnSpec, target: str, *, with_lookup: bool) -> dict[str, Any]:
    """A one-to-many relationship from `target` to the column's table. Its navigation property is
    `<lookup>_<target>` when the lookup has several targets (as multi-table lookups name them), else
    the lookup's own name."""
    several = len(column.targets) > 1
    body: dict[str, Any] = {
        "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        # Relationship schema names carry the publisher prefix too, so the lookup's own name leads.
        "SchemaName": f"{column.logical_name}_{target}" if several else f"{column.logical_name}_{column.table}",
        "ReferencedEntity": target,
        "ReferencingEntity": column.table,
        "ReferencingEntityNavigationPropertyName": f"{column.logical_name}_{target}"
        if several
        else column.logical_name,
        "CascadeConfiguration": {
            "Assign": "NoCascade",
            "Delete": "RemoveLink",
            "Merge": "NoCascade",
            "Reparent": "NoCascade",
            "Share": "NoCascade",
            "Unshare": "NoCascade",
        },
    }
    if with_lookup:
        body["Lookup"] = lookup_body(column)
    return body


def table_body(table: TableSpec) -> dict[str, Any]:
    primary = attribute_body(table.primary_name)
    primary["IsPrimaryName"] = True
    primary["RequiredLevel"] = {
        "Value": "ApplicationRequired",
        "CanBeChanged": True,
        "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
    }
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.EntityMetadata",
        "SchemaName": table.schema_name,
        "DisplayName": label(table.display),
        "DisplayCollectionName": label(table.display_plural),
        "Description": label(f"InoLink: {table.display_plural}"),
        "OwnershipType": "UserOwned",
        "IsActivity": False,
        "HasActivities": False,
        "HasNotes": False,
        "Attributes": [primary],
    }


def publish_xml(tables: tuple[str, ...]) -> str:
    entities = "".join(f"<entity>{t}</entity>" for t in tables)
    return f"<importexportxml><entities>{entities}</entities></importexportxml>"


class DataverseMetadata:
    """Table definitions of one org, through an existing DataverseClient (same token, limits, retries)."""

    def __init__(self, client: DataverseClient, *, solution: str | None = None) -> None:
        self.client = client
        self.solution_name = solution
        self.requests = 0

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        self.requests += 1
        headers = dict(kwargs.pop("headers", None) or {})
        if method != "GET":
            headers.setdefault("Content-Type", "application/json")
            if self.solution_name and path.startswith(SOLUTION_AWARE):
                headers[SOLUTION_HEADER] = self.solution_name
        return await self.client._send(method, path, headers=headers, **kwargs)

    async def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        return (await self._call("GET", path, params=params)).json()

    # --- reading ------------------------------------------------------------------------------
    async def table(self, logical_name: str) -> TableState | None:
        """The table's change tracking, columns (type) and alternate keys; None when it does not exist."""
        params = {
            "$select": "LogicalName,EntitySetName,ChangeTrackingEnabled",
            "$expand": "Attributes($select=LogicalName,AttributeType),Keys($select=LogicalName,KeyAttributes)",
        }
        try:
            body = await self._get(f"EntityDefinitions(LogicalName='{logical_name}')", params)
        except ConnectorError as exc:
            if exc.status == 404:
                return None
            raise
        attributes = {
            str(a["LogicalName"]): AttributeState(str(a["LogicalName"]), str(a.get("AttributeType") or ""))
            for a in body.get("Attributes") or []
        }
        keys = {
            str(k["LogicalName"]): tuple(str(c) for c in k.get("KeyAttributes") or []) for k in body.get("Keys") or []
        }
        return TableState(
            logical_name=str(body.get("LogicalName") or logical_name),
            entity_set=str(body.get("EntitySetName") or ""),
            change_tracking=bool(body.get("ChangeTrackingEnabled")),
            attributes=attributes,
            keys=keys,
        )

    async def options(self, table: str, attribute: str) -> dict[int, str]:
        """A choice column's options, value -> label."""
        path = (
            f"EntityDefinitions(LogicalName='{table}')/Attributes(LogicalName='{attribute}')"
            "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
        )
        body = await self._get(path, {"$select": "LogicalName", "$expand": "OptionSet($select=Options)"})
        options = ((body.get("OptionSet") or {}).get("Options")) or []
        return {int(o["Value"]): _label_text(o.get("Label")) for o in options if o.get("Value") is not None}

    async def user_privileges(self, user_id: str) -> set[str]:
        """Names of the privileges the user holds (through roles and teams), lower-cased."""
        body = await self._get(f"systemusers({user_id})/Microsoft.Dynamics.CRM.RetrieveUserPrivileges()")
        return {
            str(p.get("PrivilegeName") or "").lower()
            for p in body.get("RolePrivileges") or []
            if p.get("PrivilegeName")
        }

    async def publisher(self, prefix: str) -> tuple[str, str, int] | None:
        """(id, unique name, option value prefix) of the publisher with this customization prefix."""
        body = await self._get(
            "publishers",
            {
                "$select": "publisherid,uniquename,customizationoptionvalueprefix",
                "$filter": f"customizationprefix eq '{prefix}'",
            },
        )
        rows = body.get("value") or []
        if not rows:
            return None
        row = rows[0]
        return (
            str(row["publisherid"]),
            str(row.get("uniquename") or ""),
            int(row.get("customizationoptionvalueprefix") or 0),
        )

    async def solution_owner(self, unique_name: str) -> str | None:
        """The publisher id of the solution with this unique name, or None when there is none."""
        body = await self._get(
            "solutions", {"$select": "solutionid,_publisherid_value", "$filter": f"uniquename eq '{unique_name}'"}
        )
        rows = body.get("value") or []
        return str(rows[0].get("_publisherid_value") or "") if rows else None

    # --- creating ---------------------------------------------------------------------------
    async def create_publisher(self, unique_name: str, prefix: str, option_value_prefix: int) -> None:
        body = {
            "uniquename": unique_name,
            "friendlyname": "InoLink",
            "description": "Publisher of the tables and columns inolink-tui syncs through",
            "customizationprefix": prefix,
            "customizationoptionvalueprefix": option_value_prefix,
        }
        await self._call("POST", "publishers", json_body=body)

    async def create_solution(self, unique_name: str, publisher: str) -> None:
        found = await self.publisher_by_name(publisher)
        if found is None:
            raise ValueError(f"no publisher {publisher!r} to own the solution {unique_name!r}")
        body = {
            "uniquename": unique_name,
            "friendlyname": "InoLink",
            "version": "1.0.0.0",
            "publisherid@odata.bind": f"/publishers({found})",
        }
        await self._call("POST", "solutions", json_body=body)

    async def publisher_by_name(self, unique_name: str) -> str | None:
        body = await self._get("publishers", {"$select": "publisherid", "$filter": f"uniquename eq '{unique_name}'"})
        rows = body.get("value") or []
        return str(rows[0]["publisherid"]) if rows else None

    async def create_table(self, table: TableSpec) -> None:
        await self._call("POST", "EntityDefinitions", json_body=table_body(table))

    async def create_column(self, column: ColumnSpec) -> None:
        await self._call(
            "POST", f"EntityDefinitions(LogicalName='{column.table}')/Attributes", json_body=attribute_body(column)
        )

    async def create_lookup(self, column: ColumnSpec) -> None:
        if len(column.targets) == 1:
            body = relationship_body(column, column.targets[0], with_lookup=True)
            await self._call("POST", "RelationshipDefinitions", json_body=body)
            return
        body = {
            "OneToManyRelationships": [relationship_body(column, t, with_lookup=False) for t in column.targets],
            "Lookup": lookup_body(column),
        }
        await self._call("POST", "CreatePolymorphicLookupAttribute", json_body=body)

    async def insert_option(self, column: ColumnSpec, value: int, text: str) -> None:
        body = {
            "EntityLogicalName": column.table,
            "AttributeLogicalName": column.logical_name,
            "Value": value,
            "Label": label(text),
        }
        await self._call("POST", "InsertOptionValue", json_body=body)

    async def create_key(self, key: KeySpec) -> None:
        body = {"SchemaName": key.schema_name, "DisplayName": label(key.display), "KeyAttributes": list(key.columns)}
        await self._call("POST", f"EntityDefinitions(LogicalName='{key.table}')/Keys", json_body=body)

    async def enable_change_tracking(self, table: str) -> None:
        path = f"EntityDefinitions(LogicalName='{table}')"
        definition = await self._get(path)
        definition = {k: v for k, v in definition.items() if not k.startswith("@odata.context")}
        definition["ChangeTrackingEnabled"] = True
        await self._call("PUT", path, json_body=definition, headers={"MSCRM.MergeLabels": "true"})

    async def publish(self, tables: tuple[str, ...]) -> None:
        await self._call("POST", "PublishXml", json_body={"ParameterXml": publish_xml(tables)})
