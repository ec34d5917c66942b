"""The engine's state named once: the three sync services, the systems it connects, and the state of each.

The engine produces these types, the daemon publishes them to the store (the cursors below) and an
attached console reads them back, so the writer and the reader share one codec here instead of two
hand-written JSON shapes in two packages that must be kept in step. Pure: no I/O.

The wire shape is what earlier releases wrote (a console of this release reads a daemon of the last one):
services `[{"name", "enabled", "paused", "running", "last_run", "next_run"}]`, connections
`[{"name", "connected", "problem", "access_expires", "refresh_expires"}]` with the system's display
name as "name".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from inolink_tui.domain.errors import Service

SERVICES_CURSOR = "engine:services"
"""Store cursor the scheduler-holding process writes (`encode_services`) so attached consoles show its services."""
CONNECTIONS_CURSOR = "engine:connections"
"""The same for each connection's token health (`encode_connections`)."""


class SyncService(StrEnum):
    """InoLink's three scheduled services, by their config names ([services] keys)."""

    CRM_TO_QUICKBOOKS = "crm_to_quickbooks"
    HIGH_PRIORITY = "high_priority"
    LOW_PRIORITY = "low_priority"

    @property
    def label(self) -> str:
        """The name people read in logs and help: which way the data goes."""
        return _SERVICE_LABELS[self][0]

    @property
    def short_label(self) -> str:
        """What fits the console's top bar."""
        return _SERVICE_LABELS[self][1]

    @property
    def service_title(self) -> str:
        """InoLink's own name for the Windows service it runs as (the scheduler's job names)."""
        return _SERVICE_LABELS[self][2]

    @classmethod
    def named(cls, name: str) -> SyncService | None:
        """The service with this config name, None for a name this release does not know."""
        try:
            return cls(name)
        except ValueError:
            return None


_SERVICE_LABELS: dict[SyncService, tuple[str, str, str]] = {
    SyncService.CRM_TO_QUICKBOOKS: ("CRM -> QuickBooks", "CRM→QB", "InoLink CRM to QuickBooks Service"),
    SyncService.HIGH_PRIORITY: ("High Priority (QuickBooks -> CRM)", "High priority", "InoLink High Priority Service"),
    SyncService.LOW_PRIORITY: ("Low Priority (balances)", "Low priority", "InoLink Low Priority Service"),
}


class System(StrEnum):
    """What a connection connects to, valued by the name people know it by (also its name on the wire)."""

    CRM = "Dynamics 365"
    QUICKBOOKS = "QuickBooks Online"
    PAIR = "Sync pair"
    """The lease in Dataverse that lets one engine at a time sync a CRM organisation with a QuickBooks company."""

    @property
    def display_name(self) -> str:
        return self.value

    @property
    def slug(self) -> str:
        """The metrics' label value and the daemon's event field: "crm", "quickbooks", "pair"."""
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> System | None:
        """A system named by its display name, its slug or the connectors' service name ("dataverse"); exact
        names only. The engine's failure path still names systems by the connectors' service (see
        engine/processor.py), which is what this reads."""
        return _SYSTEM_NAMES.get(text)

    @classmethod
    def of(cls, service: Service) -> System:
        """The system an API error or connector event came from."""
        return cls.CRM if service is Service.DATAVERSE else cls.QUICKBOOKS


_SYSTEM_NAMES: dict[str, System] = {
    **{s.value: s for s in System},
    **{s.slug: s for s in System},
    Service.DATAVERSE.value: System.CRM,
    Service.QUICKBOOKS.value: System.QUICKBOOKS,
}


@dataclass(frozen=True, slots=True)
class ServiceState:
    """One scheduled service as the engine reports it."""

    name: str
    """A `SyncService` value; kept as text so a console reads a newer daemon's extra service instead of failing."""
    enabled: bool = True
    paused: bool = False
    running: bool = False
    last_run: datetime | None = None
    """When its last cycle started."""
    next_run: datetime | None = None

    @property
    def service(self) -> SyncService | None:
        return SyncService.named(self.name)


@dataclass(frozen=True, slots=True)
class ConnectionState:
    """One connection's health as the engine reports it: can it be used, and how long do its tokens last."""

    system: System
    connected: bool = True
    problem: str | None = None
    """Why the connection cannot be used (revoked consent, bad secret, the pair held elsewhere): one actionable line."""
    access_expires: datetime | None = None
    refresh_expires: datetime | None = None
    """QuickBooks only: the refresh token lasts about 100 days and must be rotated before then."""


@dataclass(frozen=True, slots=True)
class RequestTallies:
    """Cumulative requests, 429 answers and retries of one API connection since the process started (the
    daemon's metrics; never published to the store, they change every second)."""

    requests: int = 0
    throttled: int = 0
    retries: int = 0


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _read_time(item: dict[str, Any], key: str) -> datetime | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a timestamp: {value!r}")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{key} has no UTC offset: {value!r}")
    return parsed


def _read_bool(item: dict[str, Any], key: str, default: bool) -> bool:
    value = item.get(key, default)
    if not isinstance(value, bool):
        raise ValueError(f"{key} is not true or false: {value!r}")
    return value


def _items(doc: str) -> list[dict[str, Any]]:
    data = json.loads(doc)
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("expected a JSON list of objects")
    return data


def encode_services(states: Iterable[ServiceState]) -> str:
    return json.dumps(
        [
            {
                "name": s.name,
                "enabled": s.enabled,
                "paused": s.paused,
                "running": s.running,
                "last_run": _time(s.last_run),
                "next_run": _time(s.next_run),
            }
            for s in states
        ]
    )


def decode_services(doc: str) -> list[ServiceState]:
    """The services a daemon published; ValueError for anything that is not that shape."""
    out = []
    for item in _items(doc):
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise ValueError(f"a service without a name: {item!r}")
        out.append(
            ServiceState(
                name=name,
                enabled=_read_bool(item, "enabled", True),
                paused=_read_bool(item, "paused", False),
                running=_read_bool(item, "running", False),
                last_run=_read_time(item, "last_run"),
                next_run=_read_time(item, "next_run"),
            )
        )
    return out


def encode_connections(states: Iterable[ConnectionState]) -> str:
    return json.dumps(
        [
            {
                "name": c.system.value,
                "connected": c.connected,
                "problem": c.problem,
                "access_expires": _time(c.access_expires),
                "refresh_expires": _time(c.refresh_expires),
            }
            for c in states
        ]
    )


def decode_connections(doc: str) -> list[ConnectionState]:
    """The connections a daemon published; ValueError for anything that is not that shape."""
    out = []
    for item in _items(doc):
        problem = item.get("problem")
        if problem is not None and not isinstance(problem, str):
            raise ValueError(f"problem is not text: {problem!r}")
        out.append(
            ConnectionState(
                system=System(str(item.get("name"))),
                connected=_read_bool(item, "connected", True),
                problem=problem,
                access_expires=_read_time(item, "access_expires"),
                refresh_expires=_read_time(item, "refresh_expires"),
            )
        )
    return out
