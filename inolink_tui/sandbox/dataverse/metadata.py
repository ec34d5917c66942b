"""`EntityDefinitions`: the slice of table metadata clients read at run time (reference §3, §7, §11).

Clients look up a table's entity set name and primary key with
`EntityDefinitions(LogicalName='account')?$select=EntitySetName,PrimaryIdAttribute`, and find the
tables with change tracking through `EntityDefinitions?$filter=ChangeTrackingEnabled eq true`. The
answer is built from `schema.py` on each request, so flipping a table's change tracking shows here.
"""

from __future__ import annotations

import uuid
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.keys import parse_key
from inolink_tui.sandbox.dataverse.messages import DvRequest, DvResponse
from inolink_tui.sandbox.dataverse.query import Annotations, ordered, parse_options, project
from inolink_tui.sandbox.dataverse.schema import AlternateKey, Column, Kind, Table
from inolink_tui.sandbox.dataverse.state import DataverseState, Row

_NAMESPACE = uuid.UUID("8e1f0c7a-2b3d-4e5f-8a9b-0c1d2e3f4a5b")
DEFINITION = Table(
    logical_name="entitymetadata",
    entity_set="EntityDefinitions",
    primary_key="MetadataId",
    primary_name="LogicalName",
    columns={
        c.key: c
        for c in (
            Column("MetadataId", Kind.GUID),
            Column("LogicalName", Kind.STRING),
            Column("SchemaName", Kind.STRING),
            Column("EntitySetName", Kind.STRING),
            Column("PrimaryIdAttribute", Kind.STRING),
            Column("PrimaryNameAttribute", Kind.STRING),
            Column("ObjectTypeCode", Kind.INT),
            Column("ChangeTrackingEnabled", Kind.BOOL),
            Column("IsOptimisticConcurrencyEnabled", Kind.BOOL),
            Column("IsCustomEntity", Kind.BOOL),
            Column("versionnumber", Kind.BIGINT),
        )
    },
    otc=0,
    display="Entity",
    alternate_keys=(AlternateKey("logicalname", ("LogicalName",), "Logical Name"),),
)


def _definitions(state: DataverseState) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for table in state.tables.values():
        metadata_id = str(uuid.uuid5(_NAMESPACE, table.logical_name))
        rows[metadata_id] = {
            "MetadataId": metadata_id,
            "LogicalName": table.logical_name,
            "SchemaName": "".join(part.title() for part in table.logical_name.split("_")),
            "EntitySetName": table.entity_set,
            "PrimaryIdAttribute": table.primary_key,
            "PrimaryNameAttribute": table.primary_name,
            "ObjectTypeCode": table.otc,
            "ChangeTrackingEnabled": table.change_tracking,
            "IsOptimisticConcurrencyEnabled": True,
            "IsCustomEntity": table.logical_name.startswith("ino_"),
            "versionnumber": 1,
        }
    return rows


PICKLIST_SEGMENTS = ["Attributes", "Microsoft.Dynamics.CRM.PicklistAttributeMetadata"]


def _picklists(state: DataverseState, row: Row) -> DvResponse:
    """Every choice column of a table with its options, as `PicklistAttributeMetadata` with `OptionSet` expanded.

    Microsoft's Python SDK reads this before a write that carries strings, to turn choice labels into values.
    """
    table = state.tables[row["EntitySetName"]]
    value = []
    for column in table.columns.values():
        if column.kind is not Kind.CHOICE:
            continue
        options = [
            {
                "Value": number,
                "Label": {
                    "LocalizedLabels": [{"Label": label, "LanguageCode": 1033}],
                    "UserLocalizedLabel": {"Label": label, "LanguageCode": 1033},
                },
            }
            for number, label in column.options.items()
        ]
        value.append(
            {
                "LogicalName": column.name,
                "MetadataId": str(uuid.uuid5(_NAMESPACE, f"{table.logical_name}.{column.name}")),
                "OptionSet": {"Options": options},
            }
        )
    context = (
        f"{state.org_url}/api/data/v9.2/$metadata#EntityDefinitions('{row['MetadataId']}')/Attributes/"
        "Microsoft.Dynamics.CRM.PicklistAttributeMetadata(LogicalName,OptionSet(Options))"
    )
    return DvResponse.json(200, {"@odata.context": context, "value": value})


def entity_definitions(
    state: DataverseState, key_text: str | None, request: DvRequest, rest: list[str] | None = None
) -> DvResponse:
    """`EntityDefinitions`, `EntityDefinitions(<id or LogicalName='..'>)` and its picklist attributes."""
    if request.method != "GET":
        raise errors.DataverseError(
            405, errors.URL_NOT_PARSED, f"The requested resource does not support http method '{request.method}'."
        )
    rows = _definitions(state)
    params = request.query()
    if key_text is None and rest:
        raise errors.segment_not_found("/".join(rest))
    if key_text is None:
        options = parse_options(state, DEFINITION, params)
        chosen = [r for r in rows.values() if options.where is None or options.where(r)]
        body: dict[str, Any] = {
            "@odata.context": f"{state.org_url}/api/data/v9.2/$metadata#EntityDefinitions",
            "value": [
                _strip(project(state, DEFINITION, r, options, Annotations(None), with_etag=False))
                for r in ordered(DEFINITION, chosen, options.orderby)
            ],
        }
        return DvResponse.json(200, body)
    key = parse_key(DEFINITION, key_text)
    if isinstance(key, str):
        row = rows.get(key)
    else:
        wanted = str(key["LogicalName"]).casefold()
        row = next((r for r in rows.values() if r["LogicalName"] == wanted), None)
    if row is None:
        raise errors.DataverseError(404, errors.NOT_FOUND, f"Could not find entity with key '{key_text}'.")
    if rest:
        if rest != PICKLIST_SEGMENTS:
            raise errors.segment_not_found("/".join(rest))
        return _picklists(state, row)
    options = parse_options(state, DEFINITION, {k: v for k, v in params.items() if k == "$select"})
    body = {"@odata.context": f"{state.org_url}/api/data/v9.2/$metadata#EntityDefinitions/$entity"}
    body.update(_strip(project(state, DEFINITION, row, options, Annotations(None), with_etag=False)))
    return DvResponse.json(200, body)


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("versionnumber", None)
    return row
