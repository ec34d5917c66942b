"""Fakes of the daemon's ports: an engine that publishes scripted events and an in-memory store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import EntityType, LinkStatus, Operation, Source
from inolink_tui.domain.filters import JobCounts, JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob, utcnow
from inolink_tui.headless.ports import ConnectionHealth, HeadlessEvent, ServiceInfo
from inolink_tui.store.base import ControlRequest, JobPage, SchedulerLease

_END = object()


def make_job(job_id: int, status: LinkStatus = LinkStatus.QUEUED, **kw: Any) -> LinkJob:
    values: dict[str, Any] = {
        "id": job_id,
        "entity_type": EntityType.ACCOUNT,
        "link_status": status,
        "source": Source.CRM,
        "submitted_by": "admin",
        "submitted_at": utcnow(),
        "processed_at": None,
        "accounting_id": None,
        "processed_count": 0,
        "error_description": None,
        "company": "123",
        "crm_record_id": f"crm-{job_id}",
        "record_name": f"Customer {job_id}",
        "qbo_entity": "Customer",
        "operation": Operation.CREATE,
    }
    values.update(kw)
    return LinkJob(**values)


@dataclass
class FakeStore:
    jobs: list[LinkJob] = field(default_factory=list)
    lease: SchedulerLease | None = None
    requests: list[ControlRequest] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    released: list[str] = field(default_factory=list)
    acquire_calls: int = 0

    async def acquire_scheduler_lease(
        self, holder: str, pid: int, *, ttl_seconds: float, now: datetime | None = None
    ) -> SchedulerLease | None:
        self.acquire_calls += 1
        now = now or utcnow()
        if self.lease is None or self.lease.holder == holder or self.lease.until <= now:
            self.lease = SchedulerLease(holder, pid, now + timedelta(seconds=ttl_seconds))
        return self.lease

    async def release_scheduler_lease(self, holder: str) -> None:
        self.released.append(holder)
        if self.lease is not None and self.lease.holder == holder:
            self.lease = None

    async def scheduler_lease(self, *, now: datetime | None = None) -> SchedulerLease | None:
        return self.lease

    async def take_requests(self, taker: str, *, now: datetime | None = None) -> list[ControlRequest]:
        out = [replace(r, taken_by=taker) for r in self.requests]
        self.requests.clear()
        return out

    async def release(self, job_id: int, worker: str, *, reason: str = "", now: datetime | None = None) -> None:
        self.jobs = [replace(j, lease=None) if j.id == job_id else j for j in self.jobs]

    def _match(self, job: LinkJob, f: JobFilter | None) -> bool:
        if f is None:
            return True
        return (
            (not f.statuses or job.link_status in f.statuses)
            and (not f.sources or job.source in f.sources)
            and (not f.entity_types or job.entity_type in f.entity_types)
            and (f.processing is None or job.in_flight() == f.processing)
        )

    async def counts(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> JobCounts:
        jobs = [j for j in self.jobs if self._match(j, filter)]
        by_entity: dict[EntityType, int] = {}
        for j in jobs:
            by_entity[j.entity_type] = by_entity.get(j.entity_type, 0) + 1
        return JobCounts(total=len(jobs), by_entity=by_entity, processing=sum(j.in_flight(now) for j in jobs))

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
        jobs = [j for j in self.jobs if self._match(j, filter)]
        if sort is not None:
            jobs.sort(key=lambda j: getattr(j, sort.column), reverse=sort.descending)
        return JobPage(tuple(jobs[offset : offset + limit]), offset)

    async def get_cursor(self, name: str) -> str | None:
        return self.cursors.get(name)

    async def set_cursor(self, name: str, value: str) -> None:
        self.cursors[name] = value


class FakeEngine:
    """Publishes whatever the test pushes; `stop` can be made slow to test the shutdown budget."""

    def __init__(self, *, stop_seconds: float = 0.0, run_once_result: bool = False) -> None:
        self._subscribers: list[asyncio.Queue[object]] = []
        self.started = asyncio.Event()
        self.stopped = False
        self.stop_seconds = stop_seconds
        self.run_once_result = run_once_result
        self.once_events: list[HeadlessEvent] = []
        self.calls: list[tuple[str, str | None]] = []
        self.interval = timedelta(minutes=30)
        self.health: list[ConnectionHealth] = []

    def events(self) -> AsyncIterator[HeadlessEvent]:
        queue: asyncio.Queue[object] = asyncio.Queue()
        self._subscribers.append(queue)

        async def stream() -> AsyncIterator[HeadlessEvent]:
            while True:
                item = await queue.get()
                if item is _END:
                    return
                assert isinstance(item, HeadlessEvent)
                yield item

        return stream()

    def publish(self, event: HeadlessEvent) -> None:
        for q in self._subscribers:
            q.put_nowait(event)

    async def start(self) -> None:
        self.started.set()

    async def stop(self) -> None:
        await asyncio.sleep(self.stop_seconds)
        self.stopped = True
        for q in self._subscribers:
            q.put_nowait(_END)

    async def run_once(self) -> bool:
        for event in self.once_events:
            self.publish(event)
        return self.run_once_result

    def services(self) -> Sequence[ServiceInfo]:
        return [
            ServiceInfo("high_priority", True, self.interval, paused=("pause", "high_priority") in self.calls),
            ServiceInfo("low_priority", False, timedelta(days=1)),
        ]

    def connections(self) -> Sequence[ConnectionHealth]:
        return self.health

    async def run_now(self, service: str) -> None:
        self.calls.append(("run_now", service))

    async def pause(self, service: str | None) -> None:
        self.calls.append(("pause", service))

    async def resume(self, service: str | None) -> None:
        self.calls.append(("resume", service))


def job_event(job_id: int, status: LinkStatus, **fields: Any) -> HeadlessEvent:
    base: dict[str, Any] = {
        "job_id": job_id,
        "link_status": status.value,
        "entity_type": "Account",
        "source": "CRM",
        "record_name": f"Customer {job_id}",
    }
    base.update(fields)
    return HeadlessEvent("job_changed", base)
