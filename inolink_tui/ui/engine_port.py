"""What the console needs from the engine, and the store-only implementation used when attached.

The console never imports the engine: it talks to an `EnginePort`. In-process (`--demo`, or a plain
start when no daemon runs) the lead adapts `engine.runtime.Engine` to this Protocol; when a headless
daemon already holds the scheduler lease on the same database, `StoreOnlyEngine` turns every control
action into a request row the daemon takes from the store, so both paths look the same to the UI.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from inolink_tui.domain.jobs import utcnow
from inolink_tui.store.base import JobStore, SchedulerLease
from inolink_tui.store.lease_holder import holder_is_gone

if TYPE_CHECKING:
    from inolink_tui.domain.vocabulary import ConnectionState, ServiceState

# The service vocabulary (and the error table it names services with) is imported where it is used: the top bar
# reads the engine's state once the first rows are on screen, and no other part of the first screen needs it.

log = logging.getLogger(__name__)


def _top_bar_order() -> tuple[str, ...]:
    """The services an attached console lists before any daemon has published them, in the top bar's order."""
    from inolink_tui.domain.vocabulary import SyncService

    return (SyncService.HIGH_PRIORITY, SyncService.LOW_PRIORITY, SyncService.CRM_TO_QUICKBOOKS)


@dataclass(frozen=True, slots=True)
class ServiceStatus:
    """One scheduled service as the top bar shows it: the engine's `ServiceState` plus what an attached console
    knows (or does not) about the daemon that runs it."""

    name: str
    enabled: bool = True
    paused: bool = False
    running: bool = False
    last_run: datetime | None = None
    next_run: datetime | None = None
    known: bool = True
    """False when an attached console cannot see the daemon's state."""
    stopped: bool = False
    """The daemon that ran it is gone (its lease lapsed or its process no longer exists): nothing runs it."""

    @property
    def label(self) -> str:
        from inolink_tui.domain.vocabulary import SyncService

        service = SyncService.named(self.name)
        return service.short_label if service else self.name

    @property
    def state(self) -> str:
        if self.stopped:
            return "stopped"
        if not self.known:
            return "unknown"
        if not self.enabled:
            return "disabled"
        if self.running:
            return "running"
        if self.paused:
            return "paused"
        return "idle"

    @classmethod
    def of(cls, state: ServiceState) -> ServiceStatus:
        return cls(state.name, state.enabled, state.paused, state.running, state.last_run, state.next_run)


@dataclass(frozen=True, slots=True)
class ConnectionStatus:
    """Token health of one side (Dynamics 365 or QuickBooks)."""

    name: str
    healthy: bool
    detail: str = ""
    """One short phrase: "token ok", "invalid_grant: reconnect", "not configured"."""
    access_expires: datetime | None = None
    refresh_expires: datetime | None = None
    """QuickBooks only: the refresh token lasts ~100 days and must be rotated before then."""

    @classmethod
    def of(cls, state: ConnectionState) -> ConnectionStatus:
        """One rule for in-process and attached consoles: a problem is the detail; otherwise say the token is fine."""
        return cls(
            name=state.system.display_name,
            healthy=state.connected and not state.problem,
            detail=state.problem or ("token ok" if state.connected else "not connected"),
            access_expires=state.access_expires,
            refresh_expires=state.refresh_expires,
        )


@runtime_checkable
class EnginePort(Protocol):
    """The engine as the console drives it. Control methods return one line to show the user."""

    @property
    def attached_to(self) -> str | None:
        """The daemon's "<host>:<pid>" when this console is attached, None when the engine is in-process."""
        ...

    records_audit: bool
    """True when the implementation writes the audit row itself (so the console must not add one)."""

    async def services(self) -> Sequence[ServiceStatus]: ...

    async def connections(self) -> Sequence[ConnectionStatus]: ...

    async def run_now(self, service: str, *, actor: str) -> str: ...

    async def pause(self, service: str | None, *, actor: str) -> str: ...

    async def resume(self, service: str | None, *, actor: str) -> str: ...


EngineFactory = Callable[[JobStore], AbstractAsyncContextManager[EnginePort]]
"""How `run_console` gets an in-process engine: entered after the store opens, exited before it closes."""


def this_process() -> str:
    """The "<hostname>:<pid>" form the scheduler lease uses."""
    return f"{socket.gethostname()}:{os.getpid()}"


class StoreOnlyEngine:
    """Control through the store: requests for whichever process holds the scheduler lease.

    Used when attached to a daemon, and when no engine runs at all (a viewer): requests then wait
    in the store until a daemon starts, and the message says so.
    """

    records_audit = True

    def __init__(
        self,
        store: JobStore,
        *,
        lease: SchedulerLease | None = None,
        now: Callable[[], datetime] = utcnow,
        service_names: Sequence[str] | None = None,
    ) -> None:
        """`service_names`: the services listed before a daemon publishes its own (default: the top bar's three)."""
        self._store = store
        self._lease = lease
        self._now = now
        self._service_names = None if service_names is None else tuple(service_names)
        self._paused_requested: bool | None = None
        self.stopped_daemon: str | None = None
        """The "<host>:<pid>" of the daemon this console was attached to once it has stopped (killed or not)."""

    @property
    def attached_to(self) -> str | None:
        return self._lease.holder if self._lease else None

    async def _refresh_lease(self) -> SchedulerLease | None:
        """The live lease; a lease whose holder's process is gone counts as none (the daemon was killed and
        could not release it): the console says so within one poll instead of after the lease's lifetime."""
        lease = await self._store.scheduler_lease(now=self._now())
        if lease is not None and holder_is_gone(lease):
            lease = None
        if lease is None and self._lease is not None:
            self.stopped_daemon = self._lease.holder
            log.warning("the daemon %s has stopped", self._lease.holder)
        elif lease is not None:
            self.stopped_daemon = None
        self._lease = lease
        return lease

    async def services(self) -> Sequence[ServiceStatus]:
        """The state the daemon publishes while it runs; once no live daemon holds the lease, that state is
        history (a killed daemon last said "running"), so each service shows as stopped."""
        from inolink_tui.domain.vocabulary import SERVICES_CURSOR, decode_services

        live = await self._refresh_lease() is not None
        raw = await self._store.get_cursor(SERVICES_CURSOR)
        if raw:
            try:
                published = [ServiceStatus.of(state) for state in decode_services(raw)]
                return (
                    published
                    if live
                    else [ServiceStatus(s.name, s.enabled, known=False, stopped=True) for s in published]
                )
            except ValueError as exc:
                log.warning("ignoring unreadable %s cursor: %s", SERVICES_CURSOR, exc)
        paused = bool(self._paused_requested)
        stopped = self.stopped_daemon is not None
        names = self._service_names if self._service_names is not None else _top_bar_order()
        return [ServiceStatus(name=name, paused=paused, known=False, stopped=stopped) for name in names]

    async def connections(self) -> Sequence[ConnectionStatus]:
        """The token health the daemon publishes (none when no daemon has run on this store)."""
        from inolink_tui.domain.vocabulary import CONNECTIONS_CURSOR, decode_connections

        raw = await self._store.get_cursor(CONNECTIONS_CURSOR)
        if not raw:
            return []
        try:
            return [ConnectionStatus.of(state) for state in decode_connections(raw)]
        except ValueError as exc:
            log.warning("ignoring unreadable %s cursor: %s", CONNECTIONS_CURSOR, exc)
            return []

    async def _post(self, actor: str, kind: str, args: dict[str, Any]) -> str:
        request_id = await self._store.post_request(actor, kind, args, now=self._now())
        lease = await self._refresh_lease()
        target = f"the scheduler on {lease.holder}" if lease else "the next engine to start (none is running)"
        what = f"{kind} {args['service']}" if args.get("service") else kind
        return f"request #{request_id} ({what}) sent to {target}"

    async def run_now(self, service: str, *, actor: str) -> str:
        return await self._post(actor, "sync-now", {"service": service})

    async def pause(self, service: str | None, *, actor: str) -> str:
        self._paused_requested = True
        return await self._post(actor, "pause", {"service": service} if service else {})

    async def resume(self, service: str | None, *, actor: str) -> str:
        self._paused_requested = False
        return await self._post(actor, "resume", {"service": service} if service else {})


def bar_mode(engine: EnginePort, in_process: bool) -> tuple[str, str | None]:
    """What the top bar says runs the services, and whose: ("attached", holder), ("stopped", the daemon that was
    attached and is gone), ("in-process", None) or ("none", None) for a viewer."""
    if engine.attached_to:
        return "attached", engine.attached_to
    if isinstance(engine, StoreOnlyEngine) and engine.stopped_daemon:
        return "stopped", engine.stopped_daemon
    return ("in-process" if in_process else "none"), None
