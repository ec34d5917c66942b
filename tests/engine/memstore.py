"""An in-memory JobStore with the semantics of the contract (enough for engine tests).

It follows base.py: de-duplicated enqueue per (record key, source), atomic claim with one job per
record key and dependency checks, attempts counted by fail() only, a change feed on every mutation.
"""

from __future__ import annotations

import asyncio
import itertools
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
    check_transition,
    record_key,
    utcnow,
)
from inolink_tui.domain.links import RecordLink
from inolink_tui.store.base import (
    BulkResult,
    Change,
    EnqueueResult,
    JobNotFoundError,
    JobPage,
    LeaseLostError,
)


class MemStore:
    read_only = False

    def __init__(self) -> None:
        self.jobs: dict[int, LinkJob] = {}
        self.keys: dict[int, str] = {}
        self.links: dict[tuple[EntityType, str], RecordLink] = {}
        self.cursors: dict[str, str] = {}
        self.changes: list[Change] = []
        self.attempt_log: dict[int, list[Attempt]] = {}
        self._ids = itertools.count(1)
        self._seq = itertools.count(1)

    async def close(self) -> None:
        return None

    def _attempt(self, job_id: int, outcome: AttemptOutcome, now: datetime, message: str | None = None) -> None:
        log = self.attempt_log.setdefault(job_id, [])
        log.append(Attempt(job_id, len(log) + 1, now, 0, outcome, message=message))

    async def attempts(self, job_id: int) -> list[Attempt]:
        return list(self.attempt_log.get(job_id, []))

    def _change(self, job_id: int, kind: str, now: datetime) -> None:
        self.changes.append(Change(next(self._seq), job_id, kind, now))

    async def enqueue(self, jobs: Sequence[NewJob], *, now: datetime | None = None) -> EnqueueResult:
        await asyncio.sleep(0)  # a real store awaits I/O here: let cancellation land
        now = now or utcnow()
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
            job_id = next(self._ids)
            submitted = new.submitted_at or now
            self.jobs[job_id] = LinkJob(
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
                updated_at=now,
            )
            self.keys[job_id] = key
            created.append(job_id)
            self._change(job_id, "created", now)
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
        await asyncio.sleep(0)  # a real store awaits I/O here: let cancellation land
        now = now or utcnow()
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

    async def heartbeat(self, job_id: int, worker: str, *, lease_seconds: float, now: datetime | None = None) -> None:
        job = self._held(job_id, worker)
        self.jobs[job_id] = replace(job, lease=Lease(worker, (now or utcnow()) + timedelta(seconds=lease_seconds)))

    async def complete(
        self, job_id: int, worker: str, success: JobSuccess, *, duration_ms: int = 0, now: datetime | None = None
    ) -> LinkJob:
        await asyncio.sleep(0)  # a real store awaits I/O here: let cancellation land
        now = now or utcnow()
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
        )
        self.jobs[job_id] = done
        self._attempt(job_id, AttemptOutcome.SUCCESS, now, success.message)
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
        await asyncio.sleep(0)  # a real store awaits I/O here: let cancellation land
        now = now or utcnow()
        job = self._held(job_id, worker)
        attempts = job.processed_count + 1
        retry = failure.error_class.retryable and attempts < max_attempts and failure.retry_at is not None
        status = LinkStatus.QUEUED if retry else LinkStatus.ERROR
        after = replace(
            job,
            link_status=status,
            processed_at=now,
            processed_count=attempts,
            next_attempt_at=failure.retry_at if retry else None,
            error_description=failure.description,
            error_class=failure.error_class,
            error_code=failure.error_code,
            lease=None,
            updated_at=now,
        )
        self.jobs[job_id] = after
        self._attempt(job_id, AttemptOutcome.RETRY if retry else AttemptOutcome.ERROR, now, failure.description)
        self._change(job_id, "retry" if retry else "failed", now)
        return after

    async def release(self, job_id: int, worker: str, *, reason: str = "", now: datetime | None = None) -> None:
        job = self._held(job_id, worker)
        self.jobs[job_id] = replace(job, lease=None)
        self._change(job_id, "released", now or utcnow())

    async def defer(
        self, job_id: int, worker: str, *, until: datetime, reason: str, now: datetime | None = None
    ) -> None:
        await asyncio.sleep(0)  # a real store awaits I/O here: let cancellation land
        job = self._held(job_id, worker)
        self.jobs[job_id] = replace(job, lease=None, next_attempt_at=until)
        self._change(job_id, "deferred", now or utcnow())

    async def requeue(
        self, actor: str, *, ids: Sequence[int] = (), filter: JobFilter | None = None, now: datetime | None = None
    ) -> BulkResult:
        now = now or utcnow()
        changed: list[int] = []
        skipped: dict[int, str] = {}
        for job_id in ids:
            job = self.jobs[job_id]
            if job.link_status is not LinkStatus.ERROR:
                skipped[job_id] = f"job {job_id} is {job.link_status.value}"
                continue
            self.jobs[job_id] = replace(job, link_status=LinkStatus.QUEUED, next_attempt_at=now, updated_at=now)
            self._change(job_id, "requeued", now)
            changed.append(job_id)
        return BulkResult(tuple(changed), skipped)

    async def get(self, job_id: int) -> LinkJob:
        if job_id not in self.jobs:
            raise JobNotFoundError(job_id)
        return self.jobs[job_id]

    async def get_many(self, ids: Sequence[int]) -> list[LinkJob]:
        return [self.jobs[i] for i in ids if i in self.jobs]

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
        f = filter or JobFilter()
        rows = [
            j
            for j in sorted(self.jobs.values(), key=lambda j: j.id)
            if (not f.statuses or j.link_status in f.statuses) and (not f.sources or j.source in f.sources)
        ]
        return JobPage(tuple(rows[offset : offset + limit]), offset, len(rows) if with_total else None)

    async def count(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> int:
        return len((await self.page(filter, limit=10**9)).jobs)

    async def counts(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> JobCounts:
        raise NotImplementedError

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

    async def latest_seq(self) -> int:
        return self.changes[-1].seq if self.changes else 0

    async def changes_since(self, seq: int, *, limit: int = 1000) -> list[Change]:
        return [c for c in self.changes if c.seq > seq][:limit]

    async def get_link(self, entity_type: EntityType, crm_id: str) -> RecordLink | None:
        return self.links.get((entity_type, crm_id.lower()))

    async def find_link_by_qbo(self, qbo_entity: str, qbo_id: str, company: str) -> RecordLink | None:
        for link in self.links.values():
            if link.qbo_entity == qbo_entity and link.qbo_id == qbo_id and link.company == company:
                return link
        return None

    async def upsert_link(self, link: RecordLink) -> None:
        await asyncio.sleep(0)  # a real store awaits I/O here: let cancellation land
        self.links[(link.entity_type, link.crm_id.lower())] = link

    async def get_cursor(self, name: str) -> str | None:
        return self.cursors.get(name)

    async def set_cursor(self, name: str, value: str) -> None:
        await asyncio.sleep(0)  # a real store awaits I/O here: let cancellation land
        self.cursors[name] = value

    async def record_audit(self, actor: str, action: str, detail: str, job_count: int, **_: Any) -> int:
        return 0
