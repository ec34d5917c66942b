"""Conversions between Python values and the columns of the jobs database.

Times are stored as integer microseconds since the Unix epoch (UTC): they sort and index as plain
integers, compare exactly in SQL, and cannot carry a naive or local time by mistake.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import AttemptOutcome, EntityType, ErrorClass, LinkStatus, Operation, Source
from inolink_tui.domain.jobs import Attempt, Lease, LinkJob, require_aware

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_US = timedelta(microseconds=1)


def to_us(value: datetime) -> int:
    """Aware datetime -> epoch microseconds (naive datetimes are refused, not guessed)."""
    if value.tzinfo is not UTC:  # the common case skips the checks; anything else is checked
        value = require_aware(value, "time")
    return (value - EPOCH) // ONE_US


def to_us_opt(value: datetime | None) -> int | None:
    return None if value is None else to_us(value)


def from_us(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def from_us_opt(value: int | None) -> datetime | None:
    return None if value is None else EPOCH + timedelta(microseconds=value)


def fold(text: str | None) -> str:
    """The form free-text search compares: Unicode case folding, so "ÄRGER" finds "ärger"."""
    return text.casefold() if text else ""


def dumps(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


# Dict lookups: calling an Enum by value costs several microseconds per column on a large page.
_ENTITY = {e.value: e for e in EntityType}
_STATUS = {s.value: s for s in LinkStatus}
_SOURCE = {s.value: s for s in Source}
_OPERATION = {o.value: o for o in Operation}
_ERROR_CLASS = {c.value: c for c in ErrorClass}

JOB_COLUMNS = (
    "id, entity_type, link_status, source, submitted_by, submitted_at, processed_at, accounting_id, "
    "processed_count, error_description, company, crm_record_id, record_name, qbo_entity, operation, "
    "error_code, error_class, request_id, next_attempt_at, lease_worker, lease_until, inactive, payload, "
    "depends_on, updated_at"
)
"""Column list of every job SELECT, in the order `job_from_row` reads them."""


def job_from_row(row: sqlite3.Row | tuple[Any, ...], attempts: tuple[Attempt, ...] = ()) -> LinkJob:
    (
        job_id,
        entity_type,
        link_status,
        source,
        submitted_by,
        submitted_at,
        processed_at,
        accounting_id,
        processed_count,
        error_description,
        company,
        crm_record_id,
        record_name,
        qbo_entity,
        operation,
        error_code,
        error_class,
        request_id,
        next_attempt_at,
        lease_worker,
        lease_until,
        inactive,
        payload,
        depends_on,
        updated_at,
    ) = row
    return LinkJob(
        id=job_id,
        entity_type=_ENTITY[entity_type],
        link_status=_STATUS[link_status],
        source=_SOURCE[source],
        submitted_by=submitted_by,
        submitted_at=from_us(submitted_at),
        processed_at=from_us_opt(processed_at),
        accounting_id=accounting_id,
        processed_count=processed_count,
        error_description=error_description,
        company=company,
        crm_record_id=crm_record_id,
        record_name=record_name,
        qbo_entity=qbo_entity,
        operation=_OPERATION[operation],
        error_code=error_code,
        error_class=_ERROR_CLASS[error_class] if error_class else None,
        request_id=request_id,
        next_attempt_at=from_us_opt(next_attempt_at),
        lease=Lease(lease_worker, from_us(lease_until)) if lease_worker and lease_until is not None else None,
        inactive=bool(inactive),
        payload=loads(payload),
        depends_on=depends_on,
        updated_at=from_us_opt(updated_at),
        attempts=attempts,
    )


ATTEMPT_COLUMNS = "job_id, number, started_at, duration_ms, outcome, http_status, error_code, message, worker"


def attempt_from_row(row: sqlite3.Row | tuple[Any, ...]) -> Attempt:
    job_id, number, started_at, duration_ms, outcome, http_status, error_code, message, worker = row
    return Attempt(
        job_id=job_id,
        number=number,
        started_at=from_us(started_at),
        duration_ms=duration_ms,
        outcome=AttemptOutcome(outcome),
        http_status=http_status,
        error_code=error_code,
        message=message,
        worker=worker,
    )
