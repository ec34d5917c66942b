"""The Link Job: one sync request for one record, with its attempts and lease."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from inolink_tui.domain.enums import (
    AttemptOutcome,
    EntityType,
    ErrorClass,
    LinkStatus,
    Operation,
    Source,
)


def utcnow() -> datetime:
    """The one clock of the package: timezone-aware UTC, never naive."""
    return datetime.now(UTC)


def require_aware(value: datetime, name: str) -> datetime:
    """Reject naive datetimes early: a naive time in a sync log is a bug waiting for a DST change."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Lease:
    """A worker's claim on a job while it processes it; shown as "processing" in the console."""

    worker: str
    until: datetime

    def expired(self, now: datetime) -> bool:
        return now >= self.until


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at processing a job, kept so the inspector can explain a failure."""

    job_id: int
    number: int
    started_at: datetime
    duration_ms: int
    outcome: AttemptOutcome
    http_status: int | None = None
    error_code: str | None = None
    message: str | None = None
    worker: str | None = None


@dataclass(frozen=True, slots=True)
class NewJob:
    """What a caller hands the store to enqueue; the store assigns id and Submitted At defaults."""

    entity_type: EntityType
    source: Source
    crm_record_id: str
    record_name: str
    company: str
    operation: Operation = Operation.CREATE
    submitted_by: str = ""
    submitted_at: datetime | None = None
    qbo_entity: str | None = None
    qbo_id: str | None = None
    payload: dict[str, Any] | None = None
    depends_on: int | None = None
    next_attempt_at: datetime | None = None

    @property
    def record_key(self) -> str:
        """The de-duplication key: one open job per record and direction."""
        return record_key(self.entity_type, self.crm_record_id, self.qbo_id)


def record_key(entity_type: EntityType, crm_record_id: str, qbo_id: str | None = None) -> str:
    """Identify a record independently of which side created the job.

    QuickBooks -> CRM jobs for a record not yet in CRM have no CRM id; they are keyed by the
    QuickBooks id instead so two changes to the same new customer still collapse into one job.
    """
    if crm_record_id:
        return f"{entity_type.value}:crm:{crm_record_id.lower()}"
    return f"{entity_type.value}:qbo:{qbo_id or ''}"


@dataclass(frozen=True, slots=True)
class LinkJob:
    """A Link Job as stored. Field names are the snake_case forms of InoLink's labels."""

    id: int
    entity_type: EntityType
    link_status: LinkStatus
    source: Source
    submitted_by: str
    submitted_at: datetime
    processed_at: datetime | None
    accounting_id: str | None
    processed_count: int
    error_description: str | None
    company: str
    crm_record_id: str
    record_name: str
    qbo_entity: str | None
    operation: Operation
    error_code: str | None = None
    error_class: ErrorClass | None = None
    request_id: str | None = None
    next_attempt_at: datetime | None = None
    lease: Lease | None = None
    inactive: bool = False
    payload: dict[str, Any] | None = None
    depends_on: int | None = None
    updated_at: datetime | None = None
    attempts: tuple[Attempt, ...] = field(default=())

    @property
    def qbo_id(self) -> str | None:
        """The QuickBooks id is the Accounting ID of the seed's vocabulary."""
        return self.accounting_id

    def in_flight(self, now: datetime | None = None) -> bool:
        """True while a worker holds an unexpired lease: the console shows "processing"."""
        return self.lease is not None and not self.lease.expired(now or utcnow())

    @property
    def error_first_line(self) -> str:
        return (self.error_description or "").strip().splitlines()[0] if self.error_description else ""

    def as_export(self) -> dict[str, Any]:
        """The JSON/CSV shape: snake_case seed names plus id, record_name and error_class."""
        return {
            "id": self.id,
            "entity_type": self.entity_type.value,
            "record_name": self.record_name,
            "link_status": self.link_status.value,
            "source": self.source.value,
            "submitted_by": self.submitted_by,
            "submitted_at": _iso(self.submitted_at),
            "processed_at": _iso(self.processed_at),
            "accounting_id": self.accounting_id,
            "processed_count": self.processed_count,
            "error_description": self.error_description,
            "error_class": self.error_class.value if self.error_class else None,
            "error_code": self.error_code,
            "operation": self.operation.value,
            "company": self.company,
            "crm_record_id": self.crm_record_id,
            "qbo_entity": self.qbo_entity,
            "inactive": self.inactive,
            "processing": self.in_flight(),
            "next_attempt_at": _iso(self.next_attempt_at),
        }


EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "entity_type",
    "record_name",
    "link_status",
    "source",
    "submitted_by",
    "submitted_at",
    "processed_at",
    "accounting_id",
    "processed_count",
    "error_description",
    "error_class",
    "error_code",
    "operation",
    "company",
    "crm_record_id",
    "qbo_entity",
    "inactive",
    "processing",
    "next_attempt_at",
)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


@dataclass(frozen=True, slots=True)
class JobFailure:
    """A classified failure a worker reports for a job it holds."""

    error_class: ErrorClass
    description: str
    error_code: str | None = None
    http_status: int | None = None
    retry_at: datetime | None = None
    """When set (and the class is retryable and attempts remain) the job stays Queued until then."""


@dataclass(frozen=True, slots=True)
class JobSuccess:
    """What a worker reports when a job succeeded."""

    accounting_id: str | None = None
    qbo_entity: str | None = None
    crm_record_id: str | None = None
    record_name: str | None = None
    message: str | None = None
    payload: dict[str, Any] | None = None
    operation: Operation | None = None
    """What the job turned out to do, when that differs from what it was queued for: a create that found the
    record already there is a link, and a QuickBooks create whose record was linked meanwhile is an update."""


JOB_TRANSITIONS: dict[LinkStatus, frozenset[LinkStatus]] = {
    LinkStatus.QUEUED: frozenset({LinkStatus.SUCCESS, LinkStatus.ERROR, LinkStatus.QUEUED}),
    LinkStatus.ERROR: frozenset({LinkStatus.QUEUED}),
    LinkStatus.SUCCESS: frozenset(),
}
"""InoLink's lifecycle: Queued -> Success | Error; an operator sets Error back to Queued.

Queued -> Queued is an automatic retry (Processed Count + 1, a later next attempt time).
A Success job is final: a new change to the record makes a new job.
"""


class TransitionError(ValueError):
    """A status change the Link Job lifecycle does not allow, with the reason in words."""


def check_transition(job_id: int, current: LinkStatus, wanted: LinkStatus) -> None:
    if wanted not in JOB_TRANSITIONS[current]:
        if wanted is LinkStatus.QUEUED and current is LinkStatus.SUCCESS:
            raise TransitionError(f"job {job_id} succeeded; only Error jobs can be requeued")
        raise TransitionError(f"job {job_id} is {current.value}; it cannot become {wanted.value}")
