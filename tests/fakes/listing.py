"""How the in-memory store filters and sorts a job listing: the JobFilter / JobSort rules of store/base.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from inolink_tui.domain.conflicts import conflict_of
from inolink_tui.domain.enums import ErrorClass, JobView, LinkStatus
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob


def matches(job: LinkJob, f: JobFilter, now: datetime) -> bool:
    if f.statuses and job.link_status not in f.statuses:
        return False
    if f.entity_types and job.entity_type not in f.entity_types:
        return False
    if f.sources and job.source not in f.sources:
        return False
    settled = conflict_of(job.payload) is not None  # Deadlock Win discarded a change (the Conflicts view)
    class_ok = job.error_class in f.error_classes or (ErrorClass.CONFLICT in f.error_classes and settled)
    if f.error_classes and not class_ok:
        return False
    if f.submitted_by and job.submitted_by.casefold() not in {b.casefold() for b in f.submitted_by}:
        return False
    if f.companies and job.company not in f.companies:
        return False
    if f.ids and job.id not in f.ids:
        return False
    if f.submitted_since and job.submitted_at < f.submitted_since:
        return False
    if f.submitted_until and job.submitted_at > f.submitted_until:
        return False
    if f.processing is not None and job.in_flight(now) != f.processing:
        return False
    view_ok = {
        JobView.ALL: True,
        JobView.ACTIVE: not job.inactive and job.link_status in (LinkStatus.QUEUED, LinkStatus.ERROR),
        JobView.FAILED: not job.inactive and job.link_status is LinkStatus.ERROR,
        JobView.INACTIVE: job.inactive,
        JobView.CONFLICTS: settled,
    }[f.view]
    if not view_ok:
        return False
    if f.text:
        needle = f.text.casefold()
        if needle.isdigit() and int(needle) == job.id:
            return True
        hay = (job.record_name, job.error_description or "", job.accounting_id or "")
        return any(needle in h.casefold() for h in hay)
    return True


def sort_key(sort: JobSort) -> Any:
    def key(job: LinkJob) -> tuple[Any, ...]:
        value = getattr(job, sort.column)
        if hasattr(value, "value"):
            value = value.value
        return (value is None, value if value is not None else 0, job.id)

    return key
