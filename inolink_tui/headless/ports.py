"""What the daemon needs from the engine and the store, kept narrow so it can be tested with fakes.

The engine's `Engine` and its typed bus events are adapted to these shapes in `headless/engine_adapter.py`
(its state already comes as the domain's `ServiceState` / `ConnectionState`); everything else in
`headless/` depends only on this module. That keeps
the daemon, the logger, the metrics exporter and the alert rules independent of how the engine
names its classes, and lets the tests drive them with plain records.

Event names the headless side understands (any other name is still logged, just not counted):

- ``job_created`` / ``job_changed``: fields ``job_id``, ``link_status``, ``entity_type``, ``source``,
  and when the job ended in Error ``error_class``, ``error_code``, ``error_description``;
- ``cycle_started`` / ``cycle_finished``: ``service``; finished adds ``duration_s``, ``ok`` and counts;
- ``service_paused`` / ``service_resumed``: ``service``;
- ``auth_problem``: ``service`` and ``message``;
- ``throttled``: ``service`` and ``retry_after_s``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from inolink_tui.domain.events import Event
from inolink_tui.domain.filters import JobCounts, JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob, utcnow
from inolink_tui.domain.live import IdleCost
from inolink_tui.domain.vocabulary import ConnectionState, RequestTallies, ServiceState

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
from inolink_tui.store.base import ControlRequest, JobPage, SchedulerLease


@dataclass(frozen=True, slots=True)
class HeadlessEvent:
    """One engine event as the headless side sees it: a name and flat, JSON-friendly fields."""

    name: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """A scheduled service: its state (published for attached consoles) and its polling interval (the
    stale-queue rule)."""

    state: ServiceState
    interval: timedelta

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def enabled(self) -> bool:
        return self.state.enabled


@dataclass(frozen=True, slots=True)
class ConnectionHealth:
    """One API connection's state and, when its connector keeps them, its cumulative request tallies."""

    state: ConnectionState
    tallies: RequestTallies | None = None
    idle: IdleCost | None = None
    """Live mode: the requests per hour this API receives from polling while nothing changes (once measured)."""

    @property
    def service(self) -> str:
        """The metrics' label: "crm", "quickbooks" or "pair"."""
        return self.state.system.slug


class DaemonEngine(Protocol):
    """The engine as the daemon drives it (the console drives it through `ui.engine_port.ConsoleEngine`)."""

    async def start(self) -> None:
        """Start the scheduler; returns once it is running."""
        ...

    async def stop(self) -> None:
        """Stop claiming, let in-flight jobs finish or release their leases. The daemon bounds the wait."""
        ...

    async def run_once(self) -> bool:
        """Run every enabled service once; True when some job ended in Error during the run."""
        ...

    def services(self) -> Sequence[ServiceInfo]: ...

    def connections(self) -> Sequence[ConnectionHealth]: ...

    def events(self) -> AsyncIterator[HeadlessEvent]:
        """A subscription to the engine's bus, opened when called; ends when the engine stops."""
        ...

    async def run_now(self, service: str) -> None: ...

    async def pause(self, service: str | None) -> None: ...

    async def resume(self, service: str | None) -> None: ...


class DaemonStore(Protocol):
    """The part of the JobStore the daemon uses (the real `JobStore` satisfies it structurally)."""

    async def acquire_scheduler_lease(
        self, holder: str, pid: int, *, ttl_seconds: float, now: datetime | None = None
    ) -> SchedulerLease | None: ...

    async def release_scheduler_lease(self, holder: str) -> None: ...

    async def scheduler_lease(self, *, now: datetime | None = None) -> SchedulerLease | None: ...

    async def take_requests(self, taker: str, *, now: datetime | None = None) -> list[ControlRequest]: ...

    async def release(self, job_id: int, worker: str, *, reason: str = "", now: datetime | None = None) -> None: ...

    async def counts(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> JobCounts: ...

    async def get_cursor(self, name: str) -> str | None: ...

    async def set_cursor(self, name: str, value: str) -> None: ...

    async def page(
        self,
        filter: JobFilter | None = None,
        sort: JobSort | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        with_total: bool = False,
        now: datetime | None = None,
    ) -> JobPage: ...


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def event_name(event: object) -> str:
    """A domain event's `kind`, a HeadlessEvent's `name`; anything else by its class, `JobChangedEvent` ->
    "job_changed"."""
    if isinstance(event, Event):
        return event.kind
    if isinstance(event, HeadlessEvent) and event.name:
        return event.name
    name = _CAMEL.sub("_", type(event).__name__).lower()
    return name.removesuffix("_event")


def plain(value: Any) -> Any:
    """A JSON-friendly copy: enums by label, datetimes as ISO-8601 UTC, Link Jobs flattened."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, LinkJob):
        return job_fields(value)
    if isinstance(value, Mapping):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return {name: plain(v) for name, v in field_values(value).items()}
    return str(value)


def field_values(value: DataclassInstance) -> dict[str, Any]:
    """A dataclass's declared fields, one level deep (the one place events are read field by field).

    Not `dataclasses.asdict`: it copies nested dataclasses into dicts, so a Link Job inside an event would
    lose its type, escape `job_fields` and put its payload (customer data) on the wire. The names come
    from `fields()`, so every attribute read here exists.
    """
    return {f.name: getattr(value, f.name) for f in fields(value)}


def job_fields(job: LinkJob) -> dict[str, Any]:
    """The fields of a job worth a log line; the payload stays out (it can hold customer data)."""
    out: dict[str, Any] = {
        "job_id": job.id,
        "link_status": job.link_status.value,
        "entity_type": job.entity_type.value,
        "source": job.source.value,
        "record_name": job.record_name,
        "processed_count": job.processed_count,
    }
    if job.accounting_id:
        out["accounting_id"] = job.accounting_id
    if job.error_class is not None:
        out["error_class"] = job.error_class.value
    if job.error_code:
        out["error_code"] = job.error_code
    if job.error_description:
        out["error_description"] = job.error_first_line
    return out


def to_headless_event(event: object) -> HeadlessEvent:
    """Flatten any engine event (a dataclass, or an object with attributes) into a HeadlessEvent.

    A `job` attribute holding a LinkJob is spread into the top-level fields so that the metrics and
    alert rules read `link_status`, `entity_type`, ... the same way whatever the engine calls them.
    """
    if isinstance(event, HeadlessEvent):
        return event
    raw: dict[str, Any]
    if is_dataclass(event) and not isinstance(event, type):
        raw = field_values(event)
    else:
        raw = {k: v for k, v in vars(event).items() if not k.startswith("_")} if hasattr(event, "__dict__") else {}
    at = raw.pop("at", None)
    raw.pop("name", None)
    raw.pop("kind", None)
    out: dict[str, Any] = {}
    job = raw.pop("job", None)
    if isinstance(job, LinkJob):
        out.update(job_fields(job))
    for key, value in raw.items():
        if key == "payload":
            continue
        if key == "status" and "link_status" not in raw:
            key = "link_status"
        out[key] = plain(value)
    return HeadlessEvent(name=event_name(event), fields=out, at=at if isinstance(at, datetime) else utcnow())
