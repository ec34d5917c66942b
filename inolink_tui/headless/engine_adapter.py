"""Adapts the engine (`inolink_tui.engine.runtime.Engine`) and its bus to the daemon's `DaemonEngine`.

The daemon reads the engine through `RuntimeEngine`, the part of `Engine` it uses, typed with the domain's
state (`ServiceState`, `ConnectionState`, `RequestTallies`): headless never imports the engine, and cli (the
composition root) hands the built engine to `EngineAdapter`.

Engine job events carry only the job id and status; the metrics (by entity and source) and the
"new error type" alert need more, so a job that reached Success or Error is read back from the
store once. That is one indexed read per finished job, far below the API calls that finished it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from typing import Protocol

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.events import EventBus
from inolink_tui.domain.live import IdleCost
from inolink_tui.domain.vocabulary import ConnectionState, RequestTallies, ServiceState, System
from inolink_tui.headless.ports import (
    ConnectionHealth,
    HeadlessEvent,
    ServiceInfo,
    job_fields,
    to_headless_event,
)
from inolink_tui.store.base import JobNotFoundError, JobStore, StoreError

log = logging.getLogger(__name__)

_RENAMES = {
    "system": "service",
    "duration_seconds": "duration_s",
    "retry_after_seconds": "retry_after_s",
}
"""The engine's event field names -> the names `headless/ports.py` documents for logs and alerts."""
_FINAL = frozenset({LinkStatus.SUCCESS.value, LinkStatus.ERROR.value})


class RuntimeEngine(Protocol):
    """The part of `engine.runtime.Engine` the daemon uses."""

    bus: EventBus

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def run_once(self) -> bool: ...

    def services(self) -> Sequence[ServiceState]: ...

    def intervals(self) -> Mapping[str, timedelta]: ...

    def connections(self) -> Sequence[ConnectionState]: ...

    def request_tallies(self) -> Mapping[System, RequestTallies]: ...

    def idle_costs(self) -> Mapping[System, IdleCost]: ...

    def run_now(self, name: str) -> object:
        """Starts the service's cycle as a task of its own (nothing to await)."""
        ...

    def pause(self, name: str | None = None) -> Sequence[str]: ...

    def resume(self, name: str | None = None) -> Sequence[str]: ...


def normalise(event: object) -> HeadlessEvent:
    """The engine's and the connectors' field names mapped onto the names in `headless/ports.py`."""
    raw = to_headless_event(event)
    fields = {_RENAMES.get(k, k): v for k, v in raw.fields.items()}
    if raw.name in ("auth_problem", "throttled", "auth_restored") and "service" in fields:
        system = System.parse(str(fields["service"]))
        if system is not None:
            fields["service"] = system.slug
    if raw.name == "cycle_finished":
        fields["ok"] = not fields.get("error")
    return HeadlessEvent(raw.name, fields, raw.at)


class EngineAdapter:
    """The real engine behind the daemon's EnginePort."""

    def __init__(self, engine: RuntimeEngine, store: JobStore, *, queue_size: int = 10_000) -> None:
        self.engine = engine
        self.store = store
        self.queue_size = queue_size

    async def start(self) -> None:
        await self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()
        self.engine.bus.close()

    async def run_once(self) -> bool:
        return await self.engine.run_once()

    def services(self) -> Sequence[ServiceInfo]:
        """Each configured service's state with its interval (the stale-queue rule)."""
        intervals = self.engine.intervals()
        return [ServiceInfo(s, intervals[s.name]) for s in self.engine.services() if s.name in intervals]

    def connections(self) -> Sequence[ConnectionHealth]:
        tallies = self.engine.request_tallies()
        idle = self.engine.idle_costs()
        return [ConnectionHealth(c, tallies.get(c.system), idle.get(c.system)) for c in self.engine.connections()]

    def events(self) -> AsyncIterator[HeadlessEvent]:
        subscription = self.engine.bus.subscribe(maxsize=self.queue_size)

        async def stream() -> AsyncIterator[HeadlessEvent]:
            try:
                async for event in subscription:
                    yield await self._enrich(normalise(event))
            finally:
                subscription.close()

        return stream()

    async def _enrich(self, event: HeadlessEvent) -> HeadlessEvent:
        if event.name != "job_changed" or event.fields.get("link_status") not in _FINAL:
            return event
        job_id = event.fields.get("job_id")
        if not isinstance(job_id, int):
            return event
        try:
            job = await self.store.get(job_id)
        except (JobNotFoundError, StoreError) as exc:
            log.debug("job %s not readable for its event: %s", job_id, exc)
            return event
        return HeadlessEvent(event.name, {**event.fields, **job_fields(job)}, event.at)

    async def run_now(self, service: str) -> None:
        self.engine.run_now(service)

    async def pause(self, service: str | None) -> None:
        self.engine.pause(service)

    async def resume(self, service: str | None) -> None:
        self.engine.resume(service)
