"""What the connectors tell the rest of the program, without depending on the engine's event bus.

The engine attaches a plain callable (`EventSink`); it can forward these to its async bus. Sinks
must not block: the connectors call them from inside request handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from inolink_tui.domain.errors import Service
from inolink_tui.domain.jobs import utcnow

log = logging.getLogger(__name__)

EventSink = Callable[[object], None]


@dataclass(frozen=True, slots=True)
class AuthProblem:
    """Work bound for `service` is paused until a person acts (e.g. re-authorizes QuickBooks)."""

    service: Service
    message: str
    action: str
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class AuthRestored:
    service: Service
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, slots=True)
class Throttled:
    """The API said "slow down": no request goes to it for `seconds` (the gate is closed until `until`)."""

    service: Service
    seconds: float
    until: datetime
    status: int


def emit(sink: EventSink | None, event: object) -> None:
    """Deliver an event; a failing observer is logged, never allowed to break a request."""
    if sink is None:
        return
    try:
        sink(event)
    except Exception:
        log.exception("event observer failed on %r", event)
