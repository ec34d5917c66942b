"""Typed engine events and the in-process publish/subscribe bus.

The engine publishes; the console, the headless logger and the metrics exporter subscribe. The bus
never blocks the publisher: every subscriber has its own bounded queue, and when a slow subscriber's
queue is full the *oldest* event is dropped (and counted) so that a frozen console can never stall
job processing. Subscribers that must not miss anything (metrics) use a callback instead, which runs
synchronously inside `publish` and therefore has to be cheap.

Events that must reach other processes (an attached console) travel through the store's change feed;
the engine's feed relay turns that feed back into `JobChanged` events on the other side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.jobs import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event: when it happened, in UTC."""

    at: datetime = field(default_factory=utcnow)

    @property
    def kind(self) -> str:
        """A stable snake_case name for logs and metrics (class name without the suffix)."""
        return _KIND_NAMES.get(type(self), type(self).__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobCreated(Event):
    job_id: int
    entity_type: EntityType
    source: Source
    record_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class JobChanged(Event):
    """A job's status, attempts or lease changed. `link_status` is None when only the feed told us."""

    job_id: int
    link_status: LinkStatus | None = None
    change: str = "changed"
    """"completed", "failed", "retry", "deferred", "requeued", or a change-feed kind."""
    error_description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleStarted(Event):
    service: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleFinished(Event):
    service: str
    duration_seconds: float
    enqueued: int = 0
    succeeded: int = 0
    failed: int = 0
    retried: int = 0
    skipped_echoes: int = 0
    records_updated: int = 0
    """Records written without a job (the Low Priority service's balances)."""
    error: str | None = None
    """Set when the cycle itself broke (e.g. CRM unreachable), not when single jobs failed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ServicePaused(Event):
    service: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceResumed(Event):
    service: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthProblem(Event):
    """A system refused our credentials: jobs will stay Queued until someone re-authorises."""

    system: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Throttled(Event):
    system: str
    retry_after_seconds: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordNotice(Event):
    """Something an operator should know about a record that is not a job (e.g. an ignored edit)."""

    entity_type: EntityType
    crm_record_id: str
    record_name: str
    message: str


_KIND_NAMES: dict[type[Event], str] = {
    JobCreated: "job_created",
    JobChanged: "job_changed",
    CycleStarted: "cycle_started",
    CycleFinished: "cycle_finished",
    ServicePaused: "service_paused",
    ServiceResumed: "service_resumed",
    AuthProblem: "auth_problem",
    Throttled: "throttled",
    RecordNotice: "record_notice",
}

EventCallback = Callable[[Event], None]


class Subscription:
    """One subscriber's bounded mailbox; iterate it with `async for`.

    Dropping the oldest event on overflow keeps the newest state visible, which is what a console
    wants: it re-reads the store anyway, so an event is a hint to refresh, not the data itself.
    """

    def __init__(self, bus: EventBus, maxsize: int, kinds: frozenset[type[Event]] | None) -> None:
        if maxsize < 1:
            raise ValueError("a subscription needs room for at least one event")
        self._bus = bus
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize=maxsize)
        self._kinds = kinds
        self.dropped = 0
        self.closed = False

    def wants(self, event: Event) -> bool:
        return self._kinds is None or isinstance(event, tuple(self._kinds))

    def offer(self, event: Event | None) -> None:
        """Put without ever blocking; on a full queue forget the oldest event."""
        while True:
            try:
                self._queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                try:
                    self._queue.get_nowait()
                    self.dropped += 1
                except asyncio.QueueEmpty:  # pragma: no cover - only under a racing consumer
                    pass

    def pending(self) -> int:
        return self._queue.qsize()

    async def get(self, within: float | None = None) -> Event | None:
        """The next event, or None when closed (or when `within` seconds pass first)."""
        if self.closed and self._queue.empty():
            return None
        try:
            return await asyncio.wait_for(self._queue.get(), within)
        except TimeoutError:
            return None

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus._remove(self)
            self.offer(None)

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event


class EventBus:
    """Fan-out of events to subscribers; `publish` is synchronous and never waits."""

    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._callbacks: list[tuple[EventCallback, frozenset[type[Event]] | None]] = []
        self.published = 0

    def subscribe(self, *, maxsize: int = 1000, kinds: tuple[type[Event], ...] = ()) -> Subscription:
        sub = Subscription(self, maxsize, frozenset(kinds) if kinds else None)
        self._subs.append(sub)
        return sub

    def on(self, callback: EventCallback, *kinds: type[Event]) -> Callable[[], None]:
        """Register a synchronous callback; returns a function that unregisters it."""
        entry = (callback, frozenset(kinds) if kinds else None)
        self._callbacks.append(entry)

        def remove() -> None:
            if entry in self._callbacks:
                self._callbacks.remove(entry)

        return remove

    def publish(self, event: Event) -> None:
        self.published += 1
        for sub in list(self._subs):
            if sub.wants(event):
                sub.offer(event)
        for callback, kinds in list(self._callbacks):
            if kinds is None or isinstance(event, tuple(kinds)):
                try:
                    callback(event)
                except Exception:
                    # A broken subscriber must not break the engine; it is logged and skipped.
                    log.exception("event callback %r failed on %s", callback, event.kind)

    @property
    def subscriber_count(self) -> int:
        return len(self._subs) + len(self._callbacks)

    def close(self) -> None:
        for sub in list(self._subs):
            sub.close()

    def _remove(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
