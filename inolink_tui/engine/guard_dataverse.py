"""The guard's conditional row operations over the Dataverse Web API (engine/guard.py's `SharedRows`).

`If-None-Match: *` on an upsert by id creates only (412 when the row exists); `If-Match: <ETag>` updates only
the version read (412 when it changed, 404 when it is gone). Microsoft Learn, "Perform conditional operations
using the Web API": https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
and "Use Upsert to Create or Update a record":
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/update-delete-entities-using-web-api#prevent-create-in-upsert

For the tables it is told to (`keep_versions`: the sync lease's), it remembers the ETag each of its own writes
returned (`Prefer: return=representation` on the PATCH, "Update with data returned" on the update page above: 200
with the row, whose `@odata.etag` is the new version), so `update_unchanged` can write again with `If-Match` on
that version alone: one request, which succeeds only if nobody wrote the row since (engine/pair_guard.py).
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
        self._kept: set[str] = set()
        self._versions: dict[tuple[str, str], str] = {}
        """(entity set, row id) -> the ETag our last write there returned, for the entity sets in `_kept`."""

    def keep_versions(self, entity_set: str) -> None:
        """Remember the version of each of our writes to `entity_set` (a handful of rows: the pair's lease)."""
        self._kept.add(entity_set)

    def _remember(self, entity_set: str, row_id: str, row: dict[str, Any] | None, etag: str | None) -> None:
        if entity_set not in self._kept:
            return
        version = str(row.get("@odata.etag") or "") if row else ""
        version = version or etag or ""
        if version:
            self._versions[(entity_set, row_id)] = version
        else:
            self._versions.pop((entity_set, row_id), None)

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
            result = await self.client.upsert(entity_set, row_id, values, create_only=True)
        except ConnectorError as exc:
            if exc.status == _PRECONDITION_FAILED:
                return False
            raise
        self._remember(entity_set, row_id, result.row, result.etag)
        return True

    async def update_if(self, entity_set: str, row_id: str, values: dict[str, Any], etag: str) -> bool:
        if etag == "*":
            raise ValueError("a conditional update needs the row's ETag, not *")
        kept = entity_set in self._kept
        try:
            result = await self.client.update(entity_set, row_id, values, etag=etag, return_representation=kept)
        except ConnectorError as exc:
            if exc.status in (_PRECONDITION_FAILED, _NOT_FOUND):
                self._versions.pop((entity_set, row_id), None)
                return False
            raise
        self._remember(entity_set, row_id, result.row, result.etag)
        return True

    async def update_unchanged(self, entity_set: str, row_id: str, values: dict[str, Any]) -> bool:
        """Write `values` if the row is still at the version our last write left it; False otherwise (unknown
        version, written since, or gone): the caller then reads the row and decides, as before."""
        etag = self._versions.get((entity_set, row_id))
        if etag is None:
            return False
        return await self.update_if(entity_set, row_id, values, etag)
