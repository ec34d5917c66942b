"""Adapts the engine (`inolink_tui.engine.runtime.Engine`) and its bus to the daemon's EnginePort.

Duck-typed on purpose: the headless side reads a handful of attributes (`bus.subscribe`,
`options.services`, `connections()`, `run_now`/`pause`/`resume`) and nothing else, so the engine
can grow without the daemon following every change.

Engine job events carry only the job id and status; the metrics (by entity and source) and the
"new error type" alert need more, so a job that reached Success or Error is read back from the
store once. That is one indexed read per finished job, far below the API calls that finished it.
"""

from __future__ import annotations

import inspect
import logging
import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import LinkStatus
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
    "seconds": "retry_after_s",
}
_FINAL = frozenset({LinkStatus.SUCCESS.value, LinkStatus.ERROR.value})


def _slug(system: str) -> str:
    """ "QuickBooks Online" -> "quickbooks", "Dynamics 365" -> "crm": the label values of the metrics."""
    low = system.lower()
    if "quickbooks" in low or low in ("qbo", "accounting"):
        return "quickbooks"
    if "dynamics" in low or "dataverse" in low or low == "crm":
        return "crm"
    return re.sub(r"[^a-z0-9]+", "_", low).strip("_") or "unknown"


def normalise(event: object) -> HeadlessEvent:
    """The engine's and the connectors' field names mapped onto the names in `headless/ports.py`."""
    raw = to_headless_event(event)
    fields = {_RENAMES.get(k, k): v for k, v in raw.fields.items()}
    if "service" in fields and raw.name in ("auth_problem", "throttled", "auth_restored"):
        fields["service"] = _slug(str(fields["service"]))
    if raw.name == "cycle_finished":
        fields["ok"] = not fields.get("error")
    return HeadlessEvent(raw.name, fields, raw.at)


def _first_int(obj: Any, *paths: str) -> int | None:
    for path in paths:
        value: Any = obj
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                break
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _when(value: object) -> datetime | None:
    return value if isinstance(value, datetime) else None


class EngineAdapter:
    """The real engine behind the daemon's EnginePort."""

    def __init__(self, engine: Any, store: JobStore, *, queue_size: int = 10_000) -> None:
        self.engine = engine
        self.store = store
        self.queue_size = queue_size
        self._throttled: dict[str, int] = {}

    async def start(self) -> None:
        await self.engine.start()

    async def stop(self) -> None:
        await self.engine.stop()
        bus = getattr(self.engine, "bus", None)
        if bus is not None and hasattr(bus, "close"):
            bus.close()

    async def run_once(self) -> bool:
        return bool(await self.engine.run_once())

    def services(self) -> Sequence[ServiceInfo]:
        """Each service's window (for the stale-queue rule) joined with its live state (for the console)."""
        windows = getattr(getattr(self.engine, "options", None), "services", None) or {}
        live = {getattr(s, "name", None): s for s in self.engine.services()}
        out = []
        for name, window in windows.items():
            interval = getattr(window, "interval", None)
            if not isinstance(interval, timedelta):
                continue
            state = live.get(name)
            out.append(
                ServiceInfo(
                    name,
                    bool(getattr(window, "enabled", True)),
                    interval,
                    paused=bool(getattr(state, "paused", False)),
                    running=bool(getattr(state, "running", False)),
                    last_run=_when(getattr(state, "last_started", None) or getattr(state, "last_run", None)),
                    next_run=_when(getattr(state, "next_run", None)),
                )
            )
        return out

    def connections(self) -> Sequence[ConnectionHealth]:
        out: list[ConnectionHealth] = []
        ports = {"crm": getattr(self.engine, "crm", None), "quickbooks": getattr(self.engine, "qbo", None)}
        for info in self.engine.connections():
            service = _slug(str(getattr(info, "system", "")))
            port = ports.get(service)
            expires = getattr(info, "token_expires_at", None)
            refresh = getattr(info, "refresh_expires_at", None)
            out.append(
                ConnectionHealth(
                    service=service,
                    access_expires_at=expires if isinstance(expires, datetime) else None,
                    refresh_expires_at=refresh if isinstance(refresh, datetime) else None,
                    requests=_first_int(
                        port, "requests_sent", "transport.requests_sent", "client.transport.requests_sent"
                    ),
                    throttled=_first_int(port, "throttled", "transport.throttled", "client.transport.throttled"),
                    retries=_first_int(port, "retries", "transport.retries", "client.transport.retries"),
                    system=str(getattr(info, "system", "") or ""),
                    connected=bool(getattr(info, "connected", True)),
                    problem=getattr(info, "problem", None) or None,
                )
            )
        return out

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
        result = self.engine.run_now(service)
        if inspect.isawaitable(result) and not hasattr(result, "cancel"):
            await result  # a coroutine must be awaited; a Task already runs on its own

    async def pause(self, service: str | None) -> None:
        result = self.engine.pause(service)
        if inspect.isawaitable(result):
            await result

    async def resume(self, service: str | None) -> None:
        result = self.engine.resume(service)
        if inspect.isawaitable(result):
            await result
