"""The store's contract. Callers depend on this, never on SQLite, so a PostgreSQL backend can follow.

Semantics every backend must keep:
- enqueue de-duplicates: at most one open (Queued) job per record key and Source;
- claim is atomic and leases a job to one worker; an expired lease makes the job claimable again;
- every mutation bumps the change feed (a monotonic sequence another process can follow);
- operator actions (requeue, mark-error, inactive, requests) write an audit row naming the actor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from inolink_tui.domain.enums import EntityType, Source
from inolink_tui.domain.filters import JobCounts, JobFilter, JobSort
from inolink_tui.domain.jobs import Attempt, JobFailure, JobSuccess, LinkJob, NewJob

if TYPE_CHECKING:  # annotations only: reading jobs (`jobs list`) need not load the record links' module
    from inolink_tui.domain.links import RecordLink


class StoreError(Exception):
    """A store problem worth one clear line to the user (locked, read-only, corrupt, full)."""


class ReadOnlyError(StoreError):
    """A mutation was attempted on a store opened read-only (`--read-only`)."""


class LeaseLostError(StoreError):
    """The worker no longer holds the job's lease (it expired and another worker took it)."""


class JobNotFoundError(StoreError, KeyError):
    """No job with that id."""


@dataclass(frozen=True, slots=True)
class EnqueueResult:
    created: tuple[int, ...] = ()
    """Ids of new jobs, in input order of the NewJobs that were created."""
    existing: tuple[int, ...] = ()
    """Ids of already open jobs that absorbed a duplicate request (one per skipped NewJob)."""


@dataclass(frozen=True, slots=True)
class BulkResult:
    """Outcome of an operator action over many jobs."""

    changed: tuple[int, ...] = ()
    skipped: dict[int, str] = field(default_factory=dict)
    """Job id -> why it was left alone (e.g. "job 7 is Success; only Error jobs can be requeued")."""
    audit_id: int | None = None


@dataclass(frozen=True, slots=True)
class JobPage:
    """One window of a job listing."""

    jobs: tuple[LinkJob, ...]
    offset: int
    """Row index of the first job within the whole filtered, sorted listing."""
    total: int | None = None
    """Filtered count when it was asked for."""


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the change feed."""

    seq: int
    job_id: int
    kind: str
    """"created", "changed", "claimed", "released", "requeued", ..."""
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    detail: str
    job_count: int


@dataclass(frozen=True, slots=True)
class ControlRequest:
    """A request from a console to whichever process runs the scheduler (attach mode)."""

    id: int
    at: datetime
    actor: str
    kind: str
    """"sync-now", "pause", "resume"."""
    args: dict[str, Any]
    taken_by: str | None = None


@dataclass(frozen=True, slots=True)
class SchedulerLease:
    holder: str
    """"<hostname>:<pid>" of the process running the scheduler."""
    pid: int
    until: datetime


@runtime_checkable
class JobStore(Protocol):
    """Everything the engine, console, CLI and daemon need from persistence."""

    read_only: bool

    async def close(self) -> None: ...

    # --- jobs: lifecycle -------------------------------------------------------------------
    async def enqueue(self, jobs: Sequence[NewJob], *, now: datetime | None = None) -> EnqueueResult: ...

    async def claim(
        self,
        worker: str,
        *,
        limit: int = 1,
        lease_seconds: float = 60.0,
        sources: Sequence[Source] = (),
        entity_types: Sequence[EntityType] = (),
        now: datetime | None = None,
    ) -> list[LinkJob]:
        """Lease up to `limit` due Queued jobs (next attempt time passed, no live lease, dependency ended).

        Oldest first; never two jobs of the same record key at once.
        """
        ...

    async def heartbeat(
        self, job_id: int, worker: str, *, lease_seconds: float, now: datetime | None = None
    ) -> None: ...

    async def complete(
        self, job_id: int, worker: str, success: JobSuccess, *, duration_ms: int = 0, now: datetime | None = None
    ) -> LinkJob:
        """Queued -> Success, Processed At = now, Processed Count + 1, attempt row; lease released."""
        ...

    async def fail(
        self,
        job_id: int,
        worker: str,
        failure: JobFailure,
        *,
        max_attempts: int,
        duration_ms: int = 0,
        now: datetime | None = None,
    ) -> LinkJob:
        """Record a failed attempt: Processed Count + 1; a retryable failure with attempts left stays
        Queued until `failure.retry_at`; otherwise -> Error with the classified description."""
        ...

    async def release(self, job_id: int, worker: str, *, reason: str = "", now: datetime | None = None) -> None:
        """Give a job back without counting an attempt (shutdown, waiting on a dependency)."""
        ...

    async def defer(
        self, job_id: int, worker: str, *, until: datetime, reason: str, now: datetime | None = None
    ) -> None:
        """Keep a job Queued, not counted as an attempt, until `until` (dependency or paused API)."""
        ...

    async def requeue(
        self, actor: str, *, ids: Sequence[int] = (), filter: JobFilter | None = None, now: datetime | None = None
    ) -> BulkResult:
        """Operator action: Error -> Queued for the ids, or every Error job matching the filter."""
        ...

    async def mark_error(
        self,
        actor: str,
        ids: Sequence[int],
        *,
        reason: str = "Marked as Error by operator",
        now: datetime | None = None,
    ) -> BulkResult:
        """Operator action: a stuck Queued job -> Error (InoLink's documented fix for stuck jobs)."""
        ...

    async def set_inactive(
        self, actor: str, ids: Sequence[int], inactive: bool, *, now: datetime | None = None
    ) -> BulkResult: ...

    # --- jobs: reading ---------------------------------------------------------------------
    async def get(self, job_id: int) -> LinkJob:
        """The job with its attempts; JobNotFoundError if absent."""
        ...

    async def get_many(self, ids: Sequence[int]) -> list[LinkJob]: ...

    async def attempts(self, job_id: int) -> list[Attempt]: ...

    async def count(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> int: ...

    async def counts(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> JobCounts: ...

    async def page(
        self,
        filter: JobFilter | None = None,
        sort: JobSort | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        with_total: bool = False,
        now: datetime | None = None,
    ) -> JobPage:
        """A window of the filtered, sorted listing starting at row `offset` (the console's viewport)."""
        ...

    async def page_after(
        self,
        filter: JobFilter | None,
        sort: JobSort | None,
        after: LinkJob | None,
        *,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[LinkJob]:
        """Keyset pagination: the `limit` jobs that follow `after` in the sort order (None = from the start)."""
        ...

    async def open_job_for(self, entity_type: EntityType, crm_record_id: str, source: Source) -> LinkJob | None: ...

    async def jobs_for_record(
        self, entity_type: EntityType, crm_record_id: str, *, limit: int = 50
    ) -> list[LinkJob]: ...

    # --- change feed and audit -------------------------------------------------------------
    async def latest_seq(self) -> int: ...

    async def changes_since(self, seq: int, *, limit: int = 1000) -> list[Change]: ...

    async def audit_log(self, *, limit: int = 100) -> list[AuditEntry]: ...

    async def record_audit(
        self, actor: str, action: str, detail: str, job_count: int, *, now: datetime | None = None
    ) -> int: ...

    # --- record links, cursors -------------------------------------------------------------
    async def get_link(self, entity_type: EntityType, crm_id: str) -> RecordLink | None: ...

    async def find_link_by_qbo(self, qbo_entity: str, qbo_id: str, company: str) -> RecordLink | None: ...

    async def upsert_link(self, link: RecordLink) -> None: ...

    async def links(self, entity_type: EntityType, company: str) -> list[RecordLink]:
        """Every record link of one entity type and company (reconcile compares them with both systems)."""
        ...

    async def get_cursor(self, name: str) -> str | None: ...

    async def set_cursor(self, name: str, value: str) -> None: ...

    # --- scheduler lease and control requests (attach mode, daemon) ------------------------
    async def acquire_scheduler_lease(
        self, holder: str, pid: int, *, ttl_seconds: float, now: datetime | None = None
    ) -> SchedulerLease | None:
        """Take or renew the lease; return the *current holder's* lease if another process holds it
        (compare `holder`), or the new lease if we got it."""
        ...

    async def release_scheduler_lease(self, holder: str) -> None: ...

    async def scheduler_lease(self, *, now: datetime | None = None) -> SchedulerLease | None: ...

    async def post_request(
        self, actor: str, kind: str, args: dict[str, Any], *, now: datetime | None = None
    ) -> int: ...

    async def take_requests(self, taker: str, *, now: datetime | None = None) -> list[ControlRequest]: ...
