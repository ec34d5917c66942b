"""The service document (`GET /api/data/v9.2/`) and `$metadata` (CSDL XML) for what the sandbox serves.

Microsoft Learn, "Web API service documents"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/web-api-service-documents): the
service document lists the entity sets (`{"name", "kind": "EntitySet", "url"}`); `$metadata` is the CSDL
with one EntityType per table in namespace `Microsoft.Dynamics.CRM` (alias `mscrm`), lookups as
`_<name>_value` Edm.Guid properties plus single-valued navigation properties, and one-to-many collection
navigation properties. With `?annotations=true` each change-tracked entity set carries the
`Org.OData.Capabilities.V1.ChangeTracking` annotation ("Use change tracking to synchronize data with
external systems"). Built from the live schema, so new tables and columns appear at once.
Functions, actions, complex and enum types of the real document are not listed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from inolink_tui.sandbox.dataverse.messages import DvResponse
from inolink_tui.sandbox.dataverse.schema import Kind, Table

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
METADATA_SETS = ("EntityDefinitions", "RelationshipDefinitions", "GlobalOptionSetDefinitions")


def service_document(state: DataverseState) -> DvResponse:
    sets = [*sorted(state.tables), *METADATA_SETS]
    return DvResponse.json(
        200,
        {
            "@odata.context": f"{state.org_url}/api/data/v9.2/$metadata",
            "value": [{"name": name, "kind": "EntitySet", "url": name} for name in sets],
        },
    )


def _edm(kind: Kind) -> str:
    return kind.edm


def _entity_type(schema: ET.Element, state: DataverseState, table: Table) -> None:
    entity = ET.SubElement(schema, "EntityType", Name=table.logical_name, BaseType="mscrm.crmbaseentity")
    key = ET.SubElement(entity, "Key")
    ET.SubElement(key, "PropertyRef", Name=table.primary_key)
    for column in table.columns.values():
        attrs = {"Name": column.key, "Type": _edm(column.kind)}
        if column.kind is Kind.STRING:
            attrs["Unicode"] = "false"
        ET.SubElement(entity, "Property", attrs)
    for column in table.columns.values():
        if column.kind is not Kind.LOOKUP:
            continue
        for nav, target_set in column.targets.items():
            target = state.tables.get(target_set)
            if target is None:
                continue
            element = ET.SubElement(entity, "NavigationProperty", Name=nav, Type=f"mscrm.{target.logical_name}")
            ET.SubElement(element, "ReferentialConstraint", Property=column.key, ReferencedProperty=target.primary_key)
    for collection in table.collections.values():
        target = state.tables.get(collection.entity_set)
        if target is not None:
            ET.SubElement(
                entity, "NavigationProperty", Name=collection.name, Type=f"Collection(mscrm.{target.logical_name})"
            )


def metadata_document(state: DataverseState, *, annotations: bool) -> DvResponse:
    ET.register_namespace("edmx", EDMX)
    root = ET.Element(f"{{{EDMX}}}Edmx", Version="4.0")
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    schema = ET.SubElement(services, "Schema", Namespace="Microsoft.Dynamics.CRM", Alias="mscrm", xmlns=EDM)
    ET.SubElement(schema, "EntityType", Name="crmbaseentity", Abstract="true")
    for table in state.tables.values():
        _entity_type(schema, state, table)
    container = ET.SubElement(schema, "EntityContainer", Name="System")
    for table in state.tables.values():
        entity_set = ET.SubElement(
            container, "EntitySet", Name=table.entity_set, EntityType=f"Microsoft.Dynamics.CRM.{table.logical_name}"
        )
        for column in table.columns.values():
            for nav, target_set in column.targets.items():
                ET.SubElement(entity_set, "NavigationPropertyBinding", Path=nav, Target=target_set)
        for collection in table.collections.values():
            ET.SubElement(entity_set, "NavigationPropertyBinding", Path=collection.name, Target=collection.entity_set)
        if annotations and table.change_tracking:
            note = ET.SubElement(entity_set, "Annotation", Term="Org.OData.Capabilities.V1.ChangeTracking")
            record = ET.SubElement(note, "Record")
            ET.SubElement(record, "PropertyValue", Property="Supported", Bool="true")
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return DvResponse(200, {"Content-Type": "application/xml"}, body)
