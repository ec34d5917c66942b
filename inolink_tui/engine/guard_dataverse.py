"""The guard's conditional row operations over the Dataverse Web API (engine/guard.py's `SharedRows`).

`If-None-Match: *` on an upsert by id creates only (412 when the row exists); `If-Match: <ETag>` updates only
the version read (412 when it changed, 404 when it is gone). Microsoft Learn, "Perform conditional operations
using the Web API": https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
and "Use Upsert to Create or Update a record":
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api#prevent-create-in-upsert
"""

from __future__ import annotations

from typing import Any

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.engine.guard import SharedRow

_PRECONDITION_FAILED = 412
_NOT_FOUND = 404
_ROW_DOES_NOT_EXIST = "0x80040217"
"""404 for a missing row; a missing table (entity set) is another error, which must not read as "no lease yet"."""


class DataverseRows:
    """`SharedRows` over a `DataverseClient`."""

    def __init__(self, client: DataverseClient) -> None:
        self.client = client

    async def read(self, entity_set: str, row_id: str, columns: list[str]) -> SharedRow | None:
        try:
            row = await self.client.get(entity_set, row_id, select=columns)
        except ConnectorError as exc:
            if exc.status == _NOT_FOUND and exc.code in (None, _ROW_DOES_NOT_EXIST):
                return None
            raise
        return SharedRow(values=dict(row), etag=str(row.get("@odata.etag") or "*"))

    async def create_only(self, entity_set: str, row_id: str, values: dict[str, Any]) -> bool:
        try:
            await self.client.upsert(entity_set, row_id, values, create_only=True)
        except ConnectorError as exc:
            if exc.status == _PRECONDITION_FAILED:
                return False
            raise
        return True

    async def update_if(self, entity_set: str, row_id: str, values: dict[str, Any], etag: str) -> bool:
        if etag == "*":
            raise ValueError("a conditional update needs the row's ETag, not *")
        try:
            await self.client.update(entity_set, row_id, values, etag=etag)
        except ConnectorError as exc:
            if exc.status in (_PRECONDITION_FAILED, _NOT_FOUND):
                return False
            raise
        return True
