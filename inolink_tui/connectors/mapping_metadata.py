"""Reading what custom mappings are checked against: the org's columns and QuickBooks' custom field definitions.

Dataverse (https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query-metadata-web-api):
`EntityDefinitions(LogicalName='t')/Attributes?$select=LogicalName,AttributeType` lists every column with its type;
a type's own properties are read through a cast of the collection, `Attributes/Microsoft.Dynamics.CRM.
StringAttributeMetadata?$select=LogicalName,MaxLength` (and Memo), and a choice's options with
`.../PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet($select=Options)` ("Retrieving attributes"
and "Retrieve option values" on that page). Four requests per table; a 404 on the first means the table is absent.

QuickBooks: the sales-form custom fields from `Preferences.SalesFormsPrefs.CustomField` ("Manage custom fields",
developer.intuit.com/app/developer/qbo/docs/workflows/create-custom-fields) and the Custom Fields API's
definitions from the GraphQL query `appFoundationsCustomFieldDefinitions` ("Develop using the Custom Fields API",
.../create-custom-fields/develop-custom-fields; `legacyIDV2` is the REST DefinitionId, the associations name the
entities). The endpoint is https://qb.api.intuit.com/graphql and needs the `app-foundations.custom-field-definitions
.read` scope ("Get started", .../create-custom-fields/get-started, which also says the API is not available for
sandbox companies); when the query cannot be made or is refused, only the sales-form fields are known (and said so).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from inolink_tui.connectors.dataverse_metadata import DataverseMetadata, _label_text
from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.domain.mapping.check import CrmColumn, CrmTables, QboCustomField

log = logging.getLogger(__name__)

SALES_FORMS = ("Invoice", "Estimate")
"""The sales forms the engine writes that carry the sales-form custom fields."""
GRAPHQL_QUERY = (
    "query { appFoundationsCustomFieldDefinitions { edges { node { id legacyIDV2 label active dataType "
    "associations { associatedEntity active subAssociations { associatedEntity active } } } } } }"
)
SUB_ASSOCIATIONS = {"CUSTOMER": "Customer", "VENDOR": "Vendor"}


async def crm_columns(md: DataverseMetadata, tables: Sequence[str]) -> CrmTables:
    """Each table's columns (type, MaxLength, a choice's options); None for a table the org lacks."""
    out: dict[str, dict[str, CrmColumn] | None] = {}
    for table in tables:
        base = f"EntityDefinitions(LogicalName='{table}')/Attributes"
        try:
            listed = await md._get(base, {"$select": "LogicalName,AttributeType"})
        except ConnectorError as exc:
            if exc.status == 404:
                out[table] = None
                continue
            raise
        lengths: dict[str, int] = {}
        for cast in ("StringAttributeMetadata", "MemoAttributeMetadata"):
            body = await md._get(f"{base}/Microsoft.Dynamics.CRM.{cast}", {"$select": "LogicalName,MaxLength"})
            for attribute in body.get("value") or []:
                if isinstance(attribute.get("MaxLength"), int):
                    lengths[str(attribute["LogicalName"])] = int(attribute["MaxLength"])
        options: dict[str, dict[int, str]] = {}
        body = await md._get(
            f"{base}/Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
            {"$select": "LogicalName", "$expand": "OptionSet($select=Options)"},
        )
        for attribute in body.get("value") or []:
            choices = ((attribute.get("OptionSet") or {}).get("Options")) or []
            options[str(attribute["LogicalName"])] = {
                int(o["Value"]): _label_text(o.get("Label")) for o in choices if o.get("Value") is not None
            }
        out[table] = {
            str(a["LogicalName"]): CrmColumn(
                str(a["LogicalName"]),
                str(a.get("AttributeType") or ""),
                lengths.get(str(a["LogicalName"])),
                options.get(str(a["LogicalName"])),
            )
            for a in listed.get("value") or []
        }
    return out


def sales_form_fields(preferences: dict[str, Any]) -> list[QboCustomField]:
    """The sales-form custom fields switched on: `SalesFormsPrefs.UseSalesCustomN` true with a `SalesCustomNameN`."""
    flat: dict[str, Any] = {}
    for group in ((preferences.get("SalesFormsPrefs") or {}).get("CustomField")) or []:
        for entry in (group.get("CustomField") if isinstance(group, dict) else None) or []:
            if isinstance(entry, dict) and isinstance(entry.get("Name"), str):
                flat[entry["Name"]] = entry.get("BooleanValue", entry.get("StringValue"))
    out = []
    for slot in (1, 2, 3):
        name = flat.get(f"SalesFormsPrefs.SalesCustomName{slot}")
        if flat.get(f"SalesFormsPrefs.UseSalesCustom{slot}") is True and isinstance(name, str) and name:
            out.append(QboCustomField(str(slot), name, "STRING", SALES_FORMS))
    return out


def api_fields(data: dict[str, Any]) -> list[QboCustomField]:
    """Definitions from the GraphQL answer's `data`."""
    edges = ((data.get("appFoundationsCustomFieldDefinitions") or {}).get("edges")) or []
    out = []
    for edge in edges:
        node = edge.get("node") if isinstance(edge, dict) else None
        if not isinstance(node, dict) or node.get("legacyIDV2") is None:
            continue
        entities = [
            SUB_ASSOCIATIONS[str(sub.get("associatedEntity"))]
            for association in node.get("associations") or []
            for sub in association.get("subAssociations") or []
            if str(sub.get("associatedEntity")) in SUB_ASSOCIATIONS and sub.get("active", True)
        ]
        out.append(
            QboCustomField(
                str(node["legacyIDV2"]),
                str(node.get("label") or ""),
                str(node.get("dataType") or ""),
                tuple(dict.fromkeys(entities)),
                bool(node.get("active", True)),
            )
        )
    return out


async def quickbooks_custom_fields(client: QuickBooksClient) -> tuple[list[QboCustomField], str | None]:
    """Every custom field definition, and why the Custom Fields API's could not be read (None when they were)."""
    body = await client._call("GET", "preferences")
    fields = sales_form_fields(body.get("Preferences") or {})
    url = client.settings.graphql_url
    if url is None:
        return fields, "the Custom Fields API is not available for Intuit's sandbox companies"
    try:
        response = await client.transport.send(
            "POST",
            url,
            json={"query": GRAPHQL_QUERY},
            headers={"Accept": "application/json", "Content-Type": "application/json"},
        )
        answer = response.json()
    except (ConnectorError, ValueError) as exc:
        reason = exc.hint if isinstance(exc, ConnectorError) else f"not JSON: {exc}"
        log.info("custom field definitions not readable: %s", reason)
        return fields, reason
    if not isinstance(answer, dict) or answer.get("errors") or not isinstance(answer.get("data"), dict):
        errors = answer.get("errors") if isinstance(answer, dict) else None
        return fields, f"the Custom Fields API answered {errors!r}"
    return fields + api_fields(answer["data"]), None
