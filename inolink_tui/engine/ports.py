"""The narrow views of Dynamics 365 and QuickBooks Online the engine works through.

The engine never sees HTTP: it talks to these Protocols. `engine/adapters.py` implements them over the
real connectors; tests implement them in memory. Row dicts use real Dataverse column names (lookups
as `_x_value`, bindings as `x@odata.bind`); QuickBooks dicts are v3 JSON entities.

Errors: implementations raise exceptions carrying `error_class` (an ErrorClass), and optionally
`status`, `code`, `hint` and `retry_after` (seconds). The connectors' ConnectorError has exactly these;
`PortError` is the engine's own for adapters and fakes. `failure_from` turns any of them into a
JobFailure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from inolink_tui.domain.enums import EntityType, ErrorClass
from inolink_tui.domain.errors import ClassifiedError
from inolink_tui.domain.vocabulary import ConnectionState, RequestTallies


class PortError(ClassifiedError):
    """A classified failure from one of the systems, raised by the engine's own port code."""

    def __init__(
        self,
        error_class: ErrorClass,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, error_class=error_class, status=status, code=code, retry_after=retry_after)
        self.hint = message


@dataclass(frozen=True, slots=True)
class CrmChanges:
    """Rows changed since a cursor, and the cursor to ask with next time."""

    rows: list[dict[str, Any]]
    cursor: str
    removed: list[str] = field(default_factory=list)
    """Ids of deleted rows (change tracking reports them; a modifiedon scan cannot)."""


@dataclass(frozen=True, slots=True)
class Written:
    """The id and new row version after a CRM write (the version is what echo detection compares)."""

    id: str
    version: str | None


@runtime_checkable
class CrmPort(Protocol):
    """What the engine needs from Dynamics 365."""

    async def promoted(self, entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]:
        """Rows whose ino_linkstatus is 'To be Linked', with _ino_promotedby_value and ino_promotedon."""
        ...

    async def get(self, entity_type: EntityType, record_id: str) -> dict[str, Any] | None:
        """One row with all columns (including versionnumber and modifiedon), or None if deleted."""
        ...

    async def get_many(self, entity_type: EntityType, ids: Sequence[str]) -> list[dict[str, Any]]:
        """Bulk read by id (one request per chunk, not one per record)."""
        ...

    async def lines(self, entity_type: EntityType, record_id: str) -> list[dict[str, Any]]:
        """Detail lines of a quote, order or invoice."""
        ...

    async def find_by_name(self, entity_type: EntityType, name: str) -> list[dict[str, Any]]:
        """Rows whose primary name equals `name` (case-insensitively)."""
        ...

    async def update(self, entity_type: EntityType, record_id: str, columns: Mapping[str, Any]) -> Written: ...

    async def update_many(
        self, entity_type: EntityType, changes: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[Written]:
        """Many updates in one $batch (used by the balances service)."""
        ...

    async def create(self, entity_type: EntityType, columns: Mapping[str, Any]) -> Written: ...

    async def changes(self, entity_type: EntityType, cursor: str | None) -> CrmChanges:
        """Rows changed since `cursor` (None: none, just a starting cursor)."""
        ...

    async def linked(self, entity_type: EntityType) -> list[dict[str, Any]]:
        """Rows whose ino_linkstatus is Linked (id, name, ino_accountingid and balance columns)."""
        ...

    async def user_names(self, user_ids: Sequence[str]) -> dict[str, str]:
        """systemuserid -> full name, for Submitted By."""
        ...

    async def upsert_link_jobs(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Create or update ino_linkjobs rows keyed by ino_jobnumber (one $batch per chunk)."""
        ...

    async def requeued_link_jobs(self) -> list[tuple[int, str]]:
        """(job number, CRM user name) of mirrored jobs a CRM user set back to Queued."""
        ...


@runtime_checkable
class RowReads(Protocol):
    """A CRM port that lists any table's rows with chosen columns (DataverseCrm.table_rows): reconcile's payment
    amounts, the currencies' ISO codes. Optional: a port without it gets the reduced behaviour its caller says."""

    async def table_rows(self, entity_set: str, columns: Sequence[str]) -> list[dict[str, Any]]: ...


@dataclass(frozen=True, slots=True)
class CdcResult:
    """Changed QuickBooks entities by entity name, and the server time to use as the next cursor."""

    entities: dict[str, list[dict[str, Any]]]
    time: datetime


@runtime_checkable
class AccountingPort(Protocol):
    """What the engine needs from QuickBooks Online."""

    async def find_by_names(self, entity: str, names: Sequence[str]) -> list[dict[str, Any]]:
        """Active entities whose name (DisplayName for Customer, Name for Item) is IN `names`, chunked."""
        ...

    async def all_names(self, entity: str) -> list[tuple[str, str]]:
        """(Id, name) of every active Customer / Item, paged: the candidates of Pattern matching."""
        ...

    async def read(self, entity: str, entity_id: str) -> dict[str, Any] | None: ...

    async def create(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        """Create with a requestid: a retry with the same id returns the first answer, never a duplicate."""
        ...

    async def update(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        """Sparse update (body carries Id, SyncToken, sparse=true)."""
        ...

    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]:
        """Every active row matching all (field, operator, value) conditions, following pages."""
        ...

    async def cdc(self, entities: Sequence[str], changed_since: datetime) -> CdcResult: ...


class MappingMetadata(Protocol):
    """What custom field mappings need to know of the two systems' definitions (read once per cycle)."""

    async def custom_fields(self, entity: str) -> dict[str, str]:
        """The QuickBooks custom fields `entity` records carry: definition name -> DefinitionId."""
        ...

    async def choice_options(self, entity_type: EntityType, column: str) -> dict[int, str]:
        """A CRM choice column's options: value -> label."""
        ...

    async def product_units(self, unit_group: str, unit: str) -> tuple[str, str] | None:
        """(uomscheduleid, uomid) of the CRM Unit Group named `unit_group` and its unit named `unit`, or None."""
        ...


class ConnectionMonitor(Protocol):
    """A connection the engine reports on (the real ports; the factory hands them to the Engine)."""

    def connection_state(self) -> ConnectionState: ...

    def request_tallies(self) -> RequestTallies: ...
