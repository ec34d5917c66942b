"""The engine's ports over the real connectors (DataverseClient, QuickBooksClient).

Bulk where the APIs allow it: rows by id are read with one `$filter` per chunk, balances and the
Link Job mirror are written with Dataverse `$batch`, QuickBooks names are looked up with `IN (...)`
and listed page by page. Row versions come from the ETag Dataverse returns on every write, which is
what echo suppression compares.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from inolink_tui.connectors.dataverse import DataverseClient, part_error
from inolink_tui.connectors.dataverse_batch import BatchOperation
from inolink_tui.connectors.dataverse_tracking import track_changes_batch
from inolink_tui.connectors.errors import ConnectorError, DataverseError
from inolink_tui.connectors.odata import Filter, any_of, eq, ne
from inolink_tui.connectors.qbo_query import QboQuery
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA, CrmSchema
from inolink_tui.domain.enums import (
    CRM_ENTITY_SET_FOR,
    EntityType,
    LinkStatus,
    RecordLinkStatus,
)
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.mapping.records import (
    CUSTOMER_LOOKUP,
    CUSTOMER_LOOKUP_TYPE,
    DETAIL_SET,
    NAME_COLUMN,
    PRIMARY_KEY,
)
from inolink_tui.domain.vocabulary import ConnectionState, RequestTallies, System
from inolink_tui.engine.live_probe import ProbeRead
from inolink_tui.engine.ports import CdcResult, CrmChanges, Written

log = logging.getLogger(__name__)

ID_CHUNK = 50
"""Ids per `$filter` (an `or` chain); keeps URLs well under the 32 KB limit."""
BATCH_CHUNK = 100
_ETAG_VERSION = re.compile(r'"(\d+)"')


def version_from_etag(etag: str | None) -> str | None:
    """W/"12345" -> "12345": Dataverse's ETag is the row's versionnumber."""
    if not etag:
        return None
    found = _ETAG_VERSION.search(etag)
    return found.group(1) if found else None


def _guid(value: str) -> uuid.UUID:
    return uuid.UUID(str(value))


def _not_found(exc: ConnectorError) -> bool:
    return exc.status == 404


class DataverseCrm:
    """CrmPort over the Dataverse Web API."""

    def __init__(self, client: DataverseClient, schema: CrmSchema = DEFAULT_SCHEMA) -> None:
        self.client = client
        self.schema = schema
        self._me: str | None = None

    async def engine_user(self) -> str:
        """The application user the engine writes as (its edits are never a CRM user's requeue)."""
        if self._me is None:
            self._me = str((await self.client.who_am_i())["UserId"])
        return self._me

    def connection_state(self) -> ConnectionState:
        provider: Any = self.client.token_provider
        status = provider.status()
        return ConnectionState(
            System.CRM,
            connected=status.problem is None,
            problem=status.problem,
            access_expires=status.access_expires_at,
        )

    def request_tallies(self) -> RequestTallies:
        transport = self.client.transport
        return RequestTallies(transport.requests_sent, transport.throttled, transport.retries)

    @staticmethod
    def _set(entity_type: EntityType) -> str:
        return CRM_ENTITY_SET_FOR[entity_type]

    async def promoted(self, entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async for row in self.client.iter_rows(
            self._set(entity_type),
            filter=eq(self.schema.link_status, self.schema.option(RecordLinkStatus.TO_BE_LINKED)),
        ):
            rows.append(row)
            if len(rows) >= limit:
                break
        return rows

    async def _customer_types(self, rows: list[dict[str, Any]]) -> None:
        """Fill the customer lookup's target type when the server did not annotate it."""
        unknown = [str(r[CUSTOMER_LOOKUP]) for r in rows if r.get(CUSTOMER_LOOKUP) and not r.get(CUSTOMER_LOOKUP_TYPE)]
        if not unknown:
            return
        accounts = {str(r["accountid"]).lower() for r in await self._by_ids("accounts", "accountid", unknown)}
        for row in rows:
            if row.get(CUSTOMER_LOOKUP) and not row.get(CUSTOMER_LOOKUP_TYPE):
                found = str(row[CUSTOMER_LOOKUP]).lower() in accounts
                row[CUSTOMER_LOOKUP_TYPE] = "account" if found else "contact"

    async def _by_ids(
        self, entity_set: str, key: str, ids: Sequence[str], select: list[str] | None = None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        unique = list(dict.fromkeys(i.lower() for i in ids))
        for start in range(0, len(unique), ID_CHUNK):
            chunk = [_guid(i) for i in unique[start : start + ID_CHUNK]]
            out += await self.client.list_rows(entity_set, filter=any_of(key, chunk), select=select)
        return out

    async def get(self, entity_type: EntityType, record_id: str) -> dict[str, Any] | None:
        try:
            row = await self.client.get(self._set(entity_type), record_id)
        except ConnectorError as exc:
            if _not_found(exc):
                return None
            raise
        if entity_type.is_transaction:
            await self._customer_types([row])
        return row

    async def get_many(self, entity_type: EntityType, ids: Sequence[str]) -> list[dict[str, Any]]:
        rows = await self._by_ids(self._set(entity_type), PRIMARY_KEY[entity_type], ids)
        if entity_type.is_transaction:
            await self._customer_types(rows)
        return rows

    async def lines(self, entity_type: EntityType, record_id: str) -> list[dict[str, Any]]:
        lookup = f"_{PRIMARY_KEY[entity_type]}_value"
        return await self.client.list_rows(DETAIL_SET[entity_type], filter=eq(lookup, _guid(record_id)))

    async def find_by_name(self, entity_type: EntityType, name: str) -> list[dict[str, Any]]:
        return await self.client.list_rows(self._set(entity_type), filter=eq(NAME_COLUMN[entity_type], name))

    async def _version_after(self, entity_type: EntityType, record_id: str, etag: str | None) -> str | None:
        version = version_from_etag(etag)
        if version is None:
            row = await self.client.get(self._set(entity_type), record_id, select=["versionnumber"])
            value = row.get("versionnumber")
            version = str(value) if value is not None else None
        return version

    async def update(self, entity_type: EntityType, record_id: str, columns: Mapping[str, Any]) -> Written:
        # return=representation: the new versionnumber comes back with the write, no second read.
        result = await self.client.update(self._set(entity_type), record_id, dict(columns), return_representation=True)
        if result.row and result.row.get("versionnumber") is not None:
            return Written(record_id, str(result.row["versionnumber"]))
        return Written(record_id, await self._version_after(entity_type, record_id, result.etag))

    async def update_many(
        self, entity_type: EntityType, changes: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[Written]:
        """Non-atomic $batch: one bad row must not stop the other accounts' balances."""
        written: list[Written] = []
        entity_set = self._set(entity_type)
        key = PRIMARY_KEY[entity_type]
        for start in range(0, len(changes), BATCH_CHUNK):
            chunk = changes[start : start + BATCH_CHUNK]
            headers = {"If-Match": "*", "Prefer": "return=representation"}
            ops = [BatchOperation("PATCH", f"{entity_set}({rid})", dict(cols), headers) for rid, cols in chunk]
            parts = await self.client.batch(ops, atomic=False, continue_on_error=True)
            done: list[Written] = []
            for (rid, _), part in zip(chunk, parts, strict=False):
                error = part_error(part)
                if error is not None:
                    log.warning("%s(%s) not updated: %s", entity_set, rid, error)
                    continue
                body = part.body if isinstance(part.body, dict) else {}
                version = body.get("versionnumber")
                etag = part.headers.get("etag") or part.headers.get("ETag") or body.get("@odata.etag")
                done.append(Written(rid, str(version) if version is not None else version_from_etag(etag)))
            unknown = [w.id for w in done if w.version is None]
            if unknown:
                # Batch answers without ETags: read the new versions back in one query, since echo
                # detection needs the version each of our writes produced.
                rows = await self._by_ids(entity_set, key, unknown, select=[key, "versionnumber"])
                versions = {str(r[key]).lower(): str(r["versionnumber"]) for r in rows if r.get("versionnumber")}
                done = [w if w.version else Written(w.id, versions.get(w.id.lower())) for w in done]
            written += done
        return written

    async def create(self, entity_type: EntityType, columns: Mapping[str, Any]) -> Written:
        result = await self.client.create(self._set(entity_type), dict(columns), return_representation=True)
        if result.id is None:
            raise ValueError(f"Dataverse created a {entity_type.value} without telling its id")
        version = None
        if result.row and result.row.get("versionnumber") is not None:
            version = str(result.row["versionnumber"])
        return Written(result.id, version or await self._version_after(entity_type, result.id, result.etag))

    def _tracked_columns(self, entity_type: EntityType) -> list[str]:
        columns = [PRIMARY_KEY[entity_type], NAME_COLUMN[entity_type], self.schema.link_status, "versionnumber"]
        columns += ["modifiedon", "_modifiedby_value"]
        if entity_type is EntityType.CONTACT:
            columns += ["firstname", "lastname"]
        return columns

    async def changes(self, entity_type: EntityType, cursor: str | None) -> CrmChanges:
        entity_set = self._set(entity_type)
        if cursor is not None:
            try:
                found = await self.client.track_changes(entity_set, delta_link=cursor)
                return CrmChanges(found.upserted, found.delta_link, found.deleted)
            except (ConnectorError, ValueError) as exc:
                # An expired or foreign delta link: start again. Edits made in the gap are picked up
                # as soon as the record changes again; the log says so.
                log.warning(
                    "change tracking of %s restarted (%s); edits since the last cycle may be missed", entity_set, exc
                )
        started = await self.client.track_changes(entity_set, select=self._tracked_columns(entity_type))
        return CrmChanges([], started.delta_link)

    async def probe_changes(self, cursors: Mapping[EntityType, str]) -> dict[EntityType, ProbeRead]:
        """Live mode's probe (engine/live_probe.py): every table's delta link followed in one `$batch` request."""
        types = list(cursors)
        answers = await track_changes_batch(self.client, [cursors[et] for et in types])
        return {
            et: ProbeRead(False, failed=a) if isinstance(a, DataverseError) else ProbeRead(a.changed, a.delta_link)
            for et, a in zip(types, answers, strict=True)
        }

    async def linked(self, entity_type: EntityType) -> list[dict[str, Any]]:
        s = self.schema
        select = [PRIMARY_KEY[entity_type], NAME_COLUMN[entity_type], s.accounting_id, "versionnumber"]
        if entity_type is EntityType.ACCOUNT:
            select += [*s.balance_columns, s.balance_updated_on]
        linked = eq(s.link_status, s.option(RecordLinkStatus.LINKED))
        return await self.client.list_rows(self._set(entity_type), filter=linked, select=select)

    async def linked_rows(self, entity_type: EntityType) -> list[dict[str, Any]]:
        """Every column of the Linked rows (for reconcile): one paged listing, not a read per record."""
        s = self.schema
        linked = eq(s.link_status, s.option(RecordLinkStatus.LINKED))
        return await self.client.list_rows(self._set(entity_type), filter=linked)

    async def linked_with(self, entity_type: EntityType, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Linked rows of a table with the given columns (plus key, Accounting ID and version)."""
        s = self.schema
        select = list(dict.fromkeys([PRIMARY_KEY[entity_type], s.accounting_id, "versionnumber", *columns]))
        linked = eq(s.link_status, s.option(RecordLinkStatus.LINKED))
        return await self.client.list_rows(self._set(entity_type), filter=linked, select=select)

    async def column_values(self, entity_set: str, column: str) -> set[str]:
        """Every non-empty value of one column of a table (e.g. the Accounting IDs of recorded payments)."""
        rows = await self.client.list_rows(entity_set, select=[column])
        return {str(r[column]) for r in rows if r.get(column)}

    async def table_rows(self, entity_set: str, columns: Sequence[str]) -> list[dict[str, Any]]:
        """Every row of a table with these columns (reconcile's payment and application amounts): one listing."""
        return await self.client.list_rows(entity_set, select=list(columns))

    async def upsert_row(self, entity_set: str, record_id: str, columns: Mapping[str, Any]) -> bool:
        """Create or update the row with this id (PATCH without If-Match: a replay updates); True if created."""
        result = await self.client.upsert(entity_set, record_id, dict(columns))
        return bool(result.created)

    async def rows_where(
        self, entity_set: str, column: str, value: str, select: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """Rows of a table whose column (a lookup's `_x_value` takes a GUID) equals `value`."""
        wanted: uuid.UUID | str = _guid(value) if column.startswith("_") and column.endswith("_value") else value
        return await self.client.list_rows(entity_set, filter=eq(column, wanted), select=list(select or []) or None)

    async def delete_row(self, entity_set: str, record_id: str) -> bool:
        """Delete one row; False when it was already gone (a rerun after a crash deletes nothing twice)."""
        try:
            await self.client.delete(entity_set, record_id)
        except ConnectorError as exc:
            if _not_found(exc):
                return False
            raise
        return True

    async def user_names(self, user_ids: Sequence[str]) -> dict[str, str]:
        rows = await self._by_ids("systemusers", "systemuserid", user_ids, select=["systemuserid", "fullname"])
        return {str(r["systemuserid"]).lower(): str(r.get("fullname") or "") for r in rows} | {
            str(r["systemuserid"]): str(r.get("fullname") or "") for r in rows
        }

    async def upsert_link_jobs(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Upsert by the job number alternate key, in non-atomic batches."""
        jobs, number = self.schema.link_jobs, self.schema.job("jobnumber")
        for start in range(0, len(rows), BATCH_CHUNK):
            chunk = rows[start : start + BATCH_CHUNK]
            ops = [BatchOperation("PATCH", f"{jobs}({number}='{int(row[number])}')", dict(row)) for row in chunk]
            parts = await self.client.batch(ops, atomic=False, continue_on_error=True)
            failures = [str(err) for part in parts if (err := part_error(part)) is not None]
            if failures:
                raise RuntimeError(f"{len(failures)} Link Job row(s) not mirrored to CRM: {failures[0]}")

    async def requeued_link_jobs(self) -> list[tuple[int, str]]:
        me = await self.engine_user()
        s = self.schema
        number = s.job("jobnumber")
        wanted: Filter = eq(s.job("linkstatus"), s.job_status_options[LinkStatus.QUEUED]) & ne(
            "_modifiedby_value", _guid(me)
        )
        rows = await self.client.list_rows(s.link_jobs, filter=wanted, select=[number, "_modifiedby_value"])
        users = await self.user_names([str(r["_modifiedby_value"]) for r in rows if r.get("_modifiedby_value")])
        out: list[tuple[int, str]] = []
        for row in rows:
            value = str(row.get(number) or "")
            if value.isdigit():
                out.append((int(value), users.get(str(row.get("_modifiedby_value")), "CRM user")))
        return out


class QuickBooksAccounting:
    """AccountingPort over the QuickBooks Online v3 API."""

    def __init__(self, client: QuickBooksClient) -> None:
        self.client = client

    def connection_state(self) -> ConnectionState:
        provider: Any = self.client.token_provider
        status = provider.status()
        return ConnectionState(
            System.QUICKBOOKS,
            connected=not status.needs_reauthorization and status.problem is None,
            problem=status.problem,
            access_expires=status.access_expires_at,
            refresh_expires=status.refresh_expires_at,
        )

    def request_tallies(self) -> RequestTallies:
        transport = self.client.transport
        return RequestTallies(transport.requests_sent, transport.throttled, transport.retries)

    @staticmethod
    def _name_field(entity: str) -> str:
        return "DisplayName" if entity in ("Customer", "Vendor", "Employee") else "Name"

    async def find_by_names(self, entity: str, names: Sequence[str]) -> list[dict[str, Any]]:
        found = await self.client.find_by_values(entity, self._name_field(entity), [n for n in names if n])
        unique: dict[str, dict[str, Any]] = {}
        for rows in found.values():
            for row in rows:
                unique[str(row["Id"])] = row
        return list(unique.values())

    async def all_names(self, entity: str) -> list[tuple[str, str]]:
        field = self._name_field(entity)
        return [(str(r["Id"]), str(r.get(field) or "")) for r in await self.client.query_all(QboQuery(entity))]

    async def read(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        if not entity_id.isdigit():
            return None
        try:
            return await self.client.read(entity, entity_id)
        except ConnectorError as exc:
            if exc.code == "610" or exc.status == 404:
                return None
            raise

    async def exchange_rate(self, source_currency: str, as_of: str | None = None) -> dict[str, Any] | None:
        """QuickBooks' ExchangeRate record for a currency on a date, None when QuickBooks knows no rate (610)."""
        try:
            return await self.client.exchange_rate(source_currency, as_of)
        except ConnectorError as exc:
            if exc.code == "610" or exc.status == 404:
                return None
            raise

    async def create(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        return await self.client.create(entity, body, request_id=request_id)

    async def update(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        changes = {k: v for k, v in body.items() if k not in ("Id", "SyncToken", "sparse")}
        return await self.client.sparse_update(
            entity, str(body["Id"]), str(body["SyncToken"]), changes, request_id=request_id
        )

    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]:
        query = QboQuery(entity)
        for field, op, value in where:
            query = query.where(field, op, value)
        return await self.client.query_all(query)

    async def report(self, name: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return await self.client.report(name, params)

    async def cdc(self, entities: Sequence[str], changed_since: datetime) -> CdcResult:
        result = await self.client.cdc(entities, changed_since)
        when: datetime | None = None
        if result.time:
            try:
                when = datetime.fromisoformat(result.time.replace("Z", "+00:00"))
            except ValueError:
                when = None
        # Deleted transactions come back in their groups as CDC returns them (`status` "Deleted", the Id only),
        # after the changed ones: the engine removes what CRM holds of them (engine/qbo_transactions.py).
        objects = {name: list(rows) for name, rows in result.changed.items()}
        for name, ids in result.deleted.items():
            objects.setdefault(name, []).extend({"Id": i, "status": "Deleted", "domain": "QBO"} for i in ids)
        return CdcResult(objects, when if when and when.tzinfo else utcnow())
