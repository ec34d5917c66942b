"""Fakes of the daemon's ports: an engine that publishes scripted events and an in-memory store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import EntityType, LinkStatus, Operation, Source
from inolink_tui.domain.jobs import LinkJob, utcnow
from inolink_tui.domain.vocabulary import ServiceState
from inolink_tui.headless.ports import ConnectionHealth, HeadlessEvent, ServiceInfo
from inolink_tui.store.base import SchedulerLease
from tests.fakes.memstore import MemoryStore

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


class FakeStore(MemoryStore):
    """The shared in-memory store, built from keyword arguments and counting the daemon's lease calls."""

    def __init__(
        self,
        *,
        jobs: Sequence[LinkJob] = (),
        lease: SchedulerLease | None = None,
        cursors: dict[str, str] | None = None,
    ) -> None:
        super().__init__()
        for job in jobs:
            self.put(job)
        self.lease = lease
        self.cursors.update(cursors or {})
        self.released: list[str] = []
        self.acquire_calls = 0

    async def acquire_scheduler_lease(
        self, holder: str, pid: int, *, ttl_seconds: float, now: datetime | None = None
    ) -> SchedulerLease | None:
        self.acquire_calls += 1
        return await super().acquire_scheduler_lease(holder, pid, ttl_seconds=ttl_seconds, now=now)

    async def release_scheduler_lease(self, holder: str) -> None:
        self.released.append(holder)
        await super().release_scheduler_lease(holder)


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
            ServiceInfo(ServiceState("high_priority", paused=("pause", "high_priority") in self.calls), self.interval),
            ServiceInfo(ServiceState("low_priority", enabled=False), timedelta(days=1)),
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
