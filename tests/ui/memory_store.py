"""An in-memory JobStore for console tests: deterministic, instant, and shareable between two apps.

It follows the JobStore contract's documented semantics (filters, views, requeue/mark-error rules,
change feed, audit rows, control requests) closely enough to drive the console; the SQLite store has
its own tests, and the console's integration tests run against it too when it is available.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import EntityType, JobView, LinkStatus, Source
from inolink_tui.domain.filters import JobCounts, JobFilter, JobSort
from inolink_tui.domain.jobs import Attempt, LinkJob, NewJob, check_transition, utcnow
from inolink_tui.store.base import (
    AuditEntry,
    BulkResult,
    Change,
    ControlRequest,
    EnqueueResult,
    JobNotFoundError,
    JobPage,
    ReadOnlyError,
    SchedulerLease,
)


def matches(job: LinkJob, f: JobFilter, now: datetime) -> bool:
    if f.statuses and job.link_status not in f.statuses:
        return False
    if f.entity_types and job.entity_type not in f.entity_types:
        return False
    if f.sources and job.source not in f.sources:
        return False
    if f.error_classes and job.error_class not in f.error_classes:
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


def _sort_key(sort: JobSort) -> Any:
    def key(job: LinkJob) -> tuple[Any, ...]:
        value = getattr(job, sort.column)
        if hasattr(value, "value"):
            value = value.value
        return (value is None, value if value is not None else 0, job.id)

    return key


class MemoryStore:
    read_only: bool

    def __init__(self, *, read_only: bool = False, now: datetime | None = None) -> None:
        self.read_only = read_only
        self.jobs: dict[int, LinkJob] = {}
        self.changes: list[Change] = []
        self.audit: list[AuditEntry] = []
        self.requests: list[ControlRequest] = []
        self.cursors: dict[str, str] = {}
        self.lease: SchedulerLease | None = None
        self.reads = 0
        self._now = now

    def _clock(self, now: datetime | None) -> datetime:
        return now or self._now or utcnow()

    def _change(self, job_id: int, kind: str, now: datetime) -> None:
        self.changes.append(Change(len(self.changes) + 1, job_id, kind, now))

    def _refuse(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"read-only: {what} refused (started with --read-only)")

    async def close(self) -> None:
        return None

    # --- writing (tests use put() for exact rows) --------------------------------------------
    def put(self, job: LinkJob, kind: str = "created") -> LinkJob:
        self.jobs[job.id] = job
        self._change(job.id, kind, job.updated_at or job.submitted_at)
        return job

    async def enqueue(self, jobs: Sequence[NewJob], *, now: datetime | None = None) -> EnqueueResult:
        self._refuse("enqueue")
        at = self._clock(now)
        created = []
        for new in jobs:
            job_id = max(self.jobs, default=0) + 1
            self.put(
                LinkJob(
                    id=job_id,
                    entity_type=new.entity_type,
                    link_status=LinkStatus.QUEUED,
                    source=new.source,
                    submitted_by=new.submitted_by,
                    submitted_at=new.submitted_at or at,
                    processed_at=None,
                    accounting_id=new.qbo_id,
                    processed_count=0,
                    error_description=None,
                    company=new.company,
                    crm_record_id=new.crm_record_id,
                    record_name=new.record_name,
                    qbo_entity=new.qbo_entity,
                    operation=new.operation,
                    payload=new.payload,
                    updated_at=at,
                )
            )
            created.append(job_id)
        return EnqueueResult(created=tuple(created))

    def set_job(self, job_id: int, kind: str = "changed", **changes: Any) -> LinkJob:
        job = replace(self.jobs[job_id], **changes)
        return self.put(job, kind)

    async def requeue(
        self, actor: str, *, ids: Sequence[int] = (), filter: JobFilter | None = None, now: datetime | None = None
    ) -> BulkResult:
        self._refuse("requeue")
        at = self._clock(now)
        if filter is not None:
            targets = [j for j in self.jobs.values() if matches(j, filter, at) and j.link_status is LinkStatus.ERROR]
        else:
            targets = [self.jobs[i] for i in ids if i in self.jobs]
        changed, skipped = [], {}
        for job in targets:
            try:
                check_transition(job.id, job.link_status, LinkStatus.QUEUED)
            except ValueError as exc:
                skipped[job.id] = str(exc)
                continue
            self.set_job(job.id, "requeued", link_status=LinkStatus.QUEUED, next_attempt_at=at, updated_at=at)
            changed.append(job.id)
        detail = filter.describe() if filter is not None else ",".join(map(str, ids))
        audit_id = await self.record_audit(actor, "requeue", detail, len(changed), now=at)
        return BulkResult(tuple(changed), skipped, audit_id)

    async def mark_error(
        self,
        actor: str,
        ids: Sequence[int],
        *,
        reason: str = "Marked as Error by operator",
        now: datetime | None = None,
    ) -> BulkResult:
        self._refuse("mark-error")
        at = self._clock(now)
        changed, skipped = [], {}
        for job_id in ids:
            job = self.jobs[job_id]
            if job.link_status is not LinkStatus.QUEUED:
                skipped[job_id] = f"job {job_id} is {job.link_status.value}; only Queued jobs can be marked as Error"
                continue
            self.set_job(job_id, link_status=LinkStatus.ERROR, error_description=reason, lease=None, updated_at=at)
            changed.append(job_id)
        audit_id = await self.record_audit(actor, "mark-error", ",".join(map(str, ids)), len(changed), now=at)
        return BulkResult(tuple(changed), skipped, audit_id)

    # --- reading -----------------------------------------------------------------------------
    async def get(self, job_id: int) -> LinkJob:
        if job_id not in self.jobs:
            raise JobNotFoundError(f"no job {job_id}")
        return self.jobs[job_id]

    async def get_many(self, ids: Sequence[int]) -> list[LinkJob]:
        return [self.jobs[i] for i in ids if i in self.jobs]

    async def attempts(self, job_id: int) -> list[Attempt]:
        return list((await self.get(job_id)).attempts)

    def _listing(self, f: JobFilter | None, sort: JobSort | None, now: datetime | None) -> list[LinkJob]:
        at = self._clock(now)
        sort = sort or JobSort()
        rows = [j for j in self.jobs.values() if matches(j, f or JobFilter(), at)]
        rows.sort(key=_sort_key(sort), reverse=sort.descending)
        return rows

    async def count(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> int:
        self.reads += 1
        return len(self._listing(filter, None, now))

    async def counts(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> JobCounts:
        self.reads += 1
        rows = self._listing(filter, None, now)
        by_status: dict[LinkStatus, int] = {}
        by_entity: dict[EntityType, int] = {}
        by_source: dict[Source, int] = {}
        for j in rows:
            by_status[j.link_status] = by_status.get(j.link_status, 0) + 1
            by_entity[j.entity_type] = by_entity.get(j.entity_type, 0) + 1
            by_source[j.source] = by_source.get(j.source, 0) + 1
        processing = sum(1 for j in rows if j.in_flight(self._clock(now)))
        return JobCounts(len(rows), by_status, by_entity, by_source, processing)

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
        self.reads += 1
        rows = self._listing(filter, sort, now)
        return JobPage(tuple(rows[offset : offset + limit]), offset, len(rows) if with_total else None)

    async def page_after(
        self,
        filter: JobFilter | None,
        sort: JobSort | None,
        after: LinkJob | None,
        *,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[LinkJob]:
        self.reads += 1
        rows = self._listing(filter, sort, now)
        if after is None:
            return rows[:limit]
        ids = [j.id for j in rows]
        start = ids.index(after.id) + 1 if after.id in ids else 0
        return rows[start : start + limit]

    # --- change feed, audit, requests --------------------------------------------------------
    async def latest_seq(self) -> int:
        return len(self.changes)

    async def changes_since(self, seq: int, *, limit: int = 1000) -> list[Change]:
        return self.changes[seq : seq + limit]

    async def audit_log(self, *, limit: int = 100) -> list[AuditEntry]:
        return list(reversed(self.audit))[:limit]

    async def record_audit(
        self, actor: str, action: str, detail: str, job_count: int, *, now: datetime | None = None
    ) -> int:
        self._refuse(action)
        entry = AuditEntry(len(self.audit) + 1, self._clock(now), actor, action, detail, job_count)
        self.audit.append(entry)
        return entry.id

    async def get_cursor(self, name: str) -> str | None:
        return self.cursors.get(name)

    async def set_cursor(self, name: str, value: str) -> None:
        self.cursors[name] = value

    async def scheduler_lease(self, *, now: datetime | None = None) -> SchedulerLease | None:
        if self.lease and self.lease.until > self._clock(now):
            return self.lease
        return None

    async def post_request(self, actor: str, kind: str, args: dict[str, Any], *, now: datetime | None = None) -> int:
        self._refuse(kind)
        at = self._clock(now)
        request = ControlRequest(len(self.requests) + 1, at, actor, kind, args)
        self.requests.append(request)
        await self.record_audit(actor, f"request:{kind}", str(args), 0, now=at)
        return request.id

    async def take_requests(self, taker: str, *, now: datetime | None = None) -> list[ControlRequest]:
        fresh = [r for r in self.requests if r.taken_by is None]
        self.requests = [replace(r, taken_by=taker) if r.taken_by is None else r for r in self.requests]
        return fresh

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"MemoryStore does not implement {name} (the console should not need it)")


def lease_for(holder: str, now: datetime, seconds: float = 60) -> SchedulerLease:
    return SchedulerLease(holder=holder, pid=4242, until=now + timedelta(seconds=seconds))
