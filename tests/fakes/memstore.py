"""The one in-memory JobStore for tests: deterministic, instant, and shareable between two apps.

It follows the JobStore contract (store/base.py) closely enough to drive the engine, the console and the
CLI: de-duplicated enqueue per (record key, source), atomic claim with one job per record key and
dependency checks, attempts counted by complete()/fail(), filters, views and sorting, requeue and
mark-error rules, a change feed on every mutation, audit rows, control requests and the scheduler lease.
The SQLite store has its own tests, and the engine's tests run against both.
Tests write exact rows with put() / set_job(); `reads` counts listing reads (the console must stay idle).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import AttemptOutcome, EntityType, LinkStatus, Source
from inolink_tui.domain.filters import JobCounts, JobFilter, JobSort
from inolink_tui.domain.jobs import (
    Attempt,
    JobFailure,
    JobSuccess,
    Lease,
    LinkJob,
    NewJob,
    TransitionError,
    check_transition,
    record_key,
)
from inolink_tui.store.base import (
    BulkResult,
    EnqueueResult,
    JobNotFoundError,
    JobPage,
    LeaseLostError,
)
from tests.fakes.listing import matches, sort_key
from tests.fakes.side_tables import SideTables, io_pause, lease_for


def _key(job: LinkJob) -> str:
    return record_key(job.entity_type, job.crm_record_id, job.accounting_id)


class MemoryStore(SideTables):
    """Jobs: the engine's lifecycle, operator actions and listings (the other tables: SideTables)."""

    # --- writing exact rows (tests) ----------------------------------------------------------
    def put(self, job: LinkJob, kind: str = "created") -> LinkJob:
        self.jobs[job.id] = job
        self.keys.setdefault(job.id, _key(job))
        self._change(job.id, kind, job.updated_at or job.submitted_at)
        return job

    def set_job(self, job_id: int, kind: str = "changed", **changes: Any) -> LinkJob:
        job = replace(self.jobs[job_id], **changes)
        return self.put(job, kind)

    # --- the engine's lifecycle --------------------------------------------------------------
    async def enqueue(self, jobs: Sequence[NewJob], *, now: datetime | None = None) -> EnqueueResult:
        await io_pause()
        self._refuse("enqueue")
        at = self._clock(now)
        created: list[int] = []
        existing: list[int] = []
        for new in jobs:
            if new.depends_on is not None and new.depends_on not in self.jobs:
                raise ValueError(f"depends_on refers to no job: {new.depends_on}")
            key = new.record_key
            twin = next(
                (
                    j.id
                    for j in self.jobs.values()
                    if self.keys[j.id] == key and j.source is new.source and j.link_status is LinkStatus.QUEUED
                ),
                None,
            )
            if twin is not None:
                existing.append(twin)
                continue
            job_id = max(self.jobs, default=0) + 1
            submitted = new.submitted_at or at
            self.keys[job_id] = key
            self.put(
                LinkJob(
                    id=job_id,
                    entity_type=new.entity_type,
                    link_status=LinkStatus.QUEUED,
                    source=new.source,
                    submitted_by=new.submitted_by,
                    submitted_at=submitted,
                    processed_at=None,
                    accounting_id=new.qbo_id,
                    processed_count=0,
                    error_description=None,
                    company=new.company,
                    crm_record_id=new.crm_record_id,
                    record_name=new.record_name,
                    qbo_entity=new.qbo_entity,
                    operation=new.operation,
                    request_id=f"mem-{job_id}",
                    next_attempt_at=new.next_attempt_at or submitted,
                    payload=new.payload,
                    depends_on=new.depends_on,
                    updated_at=at,
                )
            )
            created.append(job_id)
        return EnqueueResult(tuple(created), tuple(existing))

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
        await io_pause()
        self._refuse("claim")
        now = self._clock(now)
        live = {self.keys[j.id] for j in self.jobs.values() if j.link_status is LinkStatus.QUEUED and j.in_flight(now)}
        due = sorted(
            (
                j
                for j in self.jobs.values()
                if j.link_status is LinkStatus.QUEUED
                and not j.inactive
                and (j.next_attempt_at is None or j.next_attempt_at <= now)
                and not j.in_flight(now)
                and (not sources or j.source in sources)
                and (not entity_types or j.entity_type in entity_types)
                and (j.depends_on is None or self.jobs[j.depends_on].link_status is not LinkStatus.QUEUED)
            ),
            key=lambda j: (j.next_attempt_at or now, j.id),
        )
        out: list[LinkJob] = []
        for job in due:
            key = self.keys[job.id]
            if key in live:
                continue
            live.add(key)
            leased = replace(job, lease=Lease(worker, now + timedelta(seconds=lease_seconds)), updated_at=now)
            self.jobs[job.id] = leased
            self._change(job.id, "claimed", now)
            out.append(leased)
            if len(out) >= limit:
                break
        return out

    def _held(self, job_id: int, worker: str) -> LinkJob:
        job = self.jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        if job.lease is None or job.lease.worker != worker:
            raise LeaseLostError(f"job {job_id}: {worker} no longer holds its lease")
        return job

    @staticmethod
    def _attempted(job: LinkJob, outcome: AttemptOutcome, now: datetime, message: str | None) -> tuple[Attempt, ...]:
        return (*job.attempts, Attempt(job.id, len(job.attempts) + 1, now, 0, outcome, message=message))

    async def heartbeat(self, job_id: int, worker: str, *, lease_seconds: float, now: datetime | None = None) -> None:
        job = self._held(job_id, worker)
        until = self._clock(now) + timedelta(seconds=lease_seconds)
        self.jobs[job_id] = replace(job, lease=Lease(worker, until))

    async def complete(
        self, job_id: int, worker: str, success: JobSuccess, *, duration_ms: int = 0, now: datetime | None = None
    ) -> LinkJob:
        await io_pause()
        now = self._clock(now)
        job = self._held(job_id, worker)
        check_transition(job_id, job.link_status, LinkStatus.SUCCESS)
        done = replace(
            job,
            link_status=LinkStatus.SUCCESS,
            processed_at=now,
            processed_count=job.processed_count + 1,
            accounting_id=success.accounting_id or job.accounting_id,
            qbo_entity=success.qbo_entity or job.qbo_entity,
            crm_record_id=success.crm_record_id or job.crm_record_id,
            record_name=success.record_name or job.record_name,
            payload=success.payload if success.payload is not None else job.payload,
            operation=success.operation or job.operation,
            error_description=None,
            error_class=None,
            lease=None,
            updated_at=now,
            attempts=self._attempted(job, AttemptOutcome.SUCCESS, now, success.message),
        )
        self.jobs[job_id] = done
        self._change(job_id, "completed", now)
        return done

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
        await io_pause()
        now = self._clock(now)
        job = self._held(job_id, worker)
        attempts = job.processed_count + 1
        retry = failure.error_class.retryable and attempts < max_attempts and failure.retry_at is not None
        outcome = AttemptOutcome.RETRY if retry else AttemptOutcome.ERROR
        after = replace(
            job,
            link_status=LinkStatus.QUEUED if retry else LinkStatus.ERROR,
            processed_at=now,
            processed_count=attempts,
            next_attempt_at=failure.retry_at if retry else None,
            error_description=failure.description,
            error_class=failure.error_class,
            error_code=failure.error_code,
            lease=None,
            updated_at=now,
            attempts=self._attempted(job, outcome, now, failure.description),
        )
        self.jobs[job_id] = after
        self._change(job_id, "retry" if retry else "failed", now)
        return after

    async def release(self, job_id: int, worker: str, *, reason: str = "", now: datetime | None = None) -> None:
        job = self._held(job_id, worker)
        self.jobs[job_id] = replace(job, lease=None)
        self._change(job_id, "released", self._clock(now))

    async def defer(
        self, job_id: int, worker: str, *, until: datetime, reason: str, now: datetime | None = None
    ) -> None:
        await io_pause()
        job = self._held(job_id, worker)
        self.jobs[job_id] = replace(job, lease=None, next_attempt_at=until)
        self._change(job_id, "deferred", self._clock(now))

    # --- operator actions --------------------------------------------------------------------
    async def requeue(
        self, actor: str, *, ids: Sequence[int] = (), filter: JobFilter | None = None, now: datetime | None = None
    ) -> BulkResult:
        self._refuse("requeue")
        at = self._clock(now)
        if filter is not None:
            targets = [j for j in self.jobs.values() if matches(j, filter, at) and j.link_status is LinkStatus.ERROR]
        else:
            targets = [self.jobs[i] for i in ids if i in self.jobs]
        changed: list[int] = []
        skipped: dict[int, str] = {i: f"no job {i}" for i in ids if i not in self.jobs}
        for job in targets:
            try:
                check_transition(job.id, job.link_status, LinkStatus.QUEUED)
                if job.link_status is not LinkStatus.ERROR:
                    raise TransitionError(f"job {job.id} is {job.link_status.value}; only Error jobs can be requeued")
            except TransitionError as exc:
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
        changed: list[int] = []
        skipped: dict[int, str] = {}
        for job_id in ids:
            job = self.jobs.get(job_id)
            if job is None:
                skipped[job_id] = f"no job {job_id}"
                continue
            if job.link_status is not LinkStatus.QUEUED:
                skipped[job_id] = f"job {job_id} is {job.link_status.value}; only Queued jobs can be marked as Error"
                continue
            self.set_job(job_id, link_status=LinkStatus.ERROR, error_description=reason, lease=None, updated_at=at)
            changed.append(job_id)
        audit_id = await self.record_audit(actor, "mark-error", ",".join(map(str, ids)), len(changed), now=at)
        return BulkResult(tuple(changed), skipped, audit_id)

    async def set_inactive(
        self, actor: str, ids: Sequence[int], inactive: bool, *, now: datetime | None = None
    ) -> BulkResult:
        word = "inactive" if inactive else "active"
        self._refuse(f"set-{word}")
        at = self._clock(now)
        changed: list[int] = []
        skipped: dict[int, str] = {}
        for job_id in dict.fromkeys(ids):
            job = self.jobs.get(job_id)
            if job is None:
                skipped[job_id] = f"no job {job_id}"
            elif job.inactive == inactive:
                skipped[job_id] = f"job {job_id} is already {word}"
            else:
                self.set_job(job_id, word, inactive=inactive, updated_at=at)
                changed.append(job_id)
        audit_id = await self.record_audit(actor, f"set-{word}", ",".join(map(str, ids)), len(changed), now=at)
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
        rows.sort(key=sort_key(sort), reverse=sort.descending)
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

    async def open_job_for(self, entity_type: EntityType, crm_record_id: str, source: Source) -> LinkJob | None:
        key = record_key(entity_type, crm_record_id)
        for job in self.jobs.values():
            if self.keys[job.id] == key and job.source is source and job.link_status is LinkStatus.QUEUED:
                return job
        return None

    async def jobs_for_record(self, entity_type: EntityType, crm_record_id: str, *, limit: int = 50) -> list[LinkJob]:
        found = [
            j
            for j in self.jobs.values()
            if j.entity_type is entity_type and j.crm_record_id.lower() == crm_record_id.lower()
        ]
        return sorted(found, key=lambda j: -j.id)[:limit]

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"MemoryStore does not implement {name} (add it here, following store/base.py)")


__all__ = ["MemoryStore", "lease_for"]
