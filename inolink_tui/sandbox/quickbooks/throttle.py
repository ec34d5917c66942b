"""Per-realm throttles: requests per minute and per second, requests in flight, batch calls per minute.

Windows slide over *service* seconds from the sandbox clock, so `--time-scale` shortens them and
`clock.advance()` empties them. A refused request is not counted against the window.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.options import QboLimits


@dataclass
class Refusal:
    reason: str
    retry_after: float
    """Service seconds until the window would accept the request."""


@dataclass
class RealmThrottle:
    limits: QboLimits
    clock: SandboxClock
    minute: deque[float] = field(default_factory=deque)
    second: deque[float] = field(default_factory=deque)
    batches: deque[float] = field(default_factory=deque)
    reports: deque[float] = field(default_factory=deque)
    in_flight: int = 0

    def _trim(self, now: float) -> None:
        for window, span in ((self.minute, 60.0), (self.second, 1.0), (self.batches, 60.0), (self.reports, 60.0)):
            while window and window[0] <= now - span:
                window.popleft()

    def admit(self, cost: int = 1, *, batch: bool = False, report: bool = False) -> Refusal | None:
        """Count a request (a batch costs one per item) or say why it is refused."""
        now = self.clock.monotonic()
        self._trim(now)
        limits = self.limits
        if limits.max_concurrency and self.in_flight >= limits.max_concurrency:
            return Refusal("concurrency", 1.0)
        if limits.requests_per_second and len(self.second) + 1 > limits.requests_per_second:
            return Refusal("per-second", self.second[0] + 1.0 - now)
        if limits.requests_per_minute and len(self.minute) + cost > limits.requests_per_minute:
            index = min(len(self.minute) - 1, max(0, len(self.minute) + cost - limits.requests_per_minute - 1))
            wait = self.minute[index] + 60.0 - now if self.minute else 60.0
            return Refusal("per-minute", wait)
        if batch and limits.batch_per_minute and len(self.batches) >= limits.batch_per_minute:
            return Refusal("batch-per-minute", self.batches[0] + 60.0 - now)
        if report and limits.reports_per_minute and len(self.reports) >= limits.reports_per_minute:
            return Refusal("reports-per-minute", self.reports[0] + 60.0 - now)
        self.second.append(now)
        self.minute.extend([now] * cost)
        if batch:
            self.batches.append(now)
        if report:
            self.reports.append(now)
        return None

    def retry_after_header(self, refusal: Refusal) -> str:
        """Whole wall seconds (at least 1), since the client waits in real time."""
        return str(max(1, math.ceil(self.clock.to_wall(max(refusal.retry_after, 0.0)))))
