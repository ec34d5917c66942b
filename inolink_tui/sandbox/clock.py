"""The sandbox's clock: real time sped up by `--time-scale`, and movable by tests.

Every window (rate limits, token lifetimes, Retry-After, CDC look-back) is expressed in *service
seconds* and converted to wall seconds through this clock, so an hour of limits can run in a minute.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta


class SandboxClock:
    def __init__(self, time_scale: float = 1.0, start: datetime | None = None) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._origin_wall = time.monotonic()
        self._origin_service = (start or datetime.now(UTC)).astimezone(UTC)
        self._skew = timedelta()

    def now(self) -> datetime:
        """Service time (UTC): advances `time_scale` seconds per wall second, plus any test skew."""
        elapsed = (time.monotonic() - self._origin_wall) * self.time_scale
        return self._origin_service + timedelta(seconds=elapsed) + self._skew

    def monotonic(self) -> float:
        """Service seconds since start, for windows and rate limits."""
        return (time.monotonic() - self._origin_wall) * self.time_scale + self._skew.total_seconds()

    def advance(self, seconds: float) -> None:
        """Tests jump forward (expire tokens, close windows) without sleeping."""
        self._skew += timedelta(seconds=seconds)

    def to_wall(self, service_seconds: float) -> float:
        """How long a service-time span lasts in real seconds (e.g. for a Retry-After header)."""
        return service_seconds / self.time_scale
