"""Service protection limits per user over a sliding window (reference §13), on the sandbox clock.

Three measures, each answered with 429, an integer `Retry-After` and its own code and message:
requests per window (0x80072322), combined execution time per window (0x80072321, note the two
spaces after "1,200,000"), and concurrent requests (0x80072326, fails at once). A `$batch` is one
request. Windows are in service seconds; `Retry-After` is converted to wall seconds through the
clock so `--time-scale` shortens the wait a client actually sleeps.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.dataverse import errors


@dataclass
class DataverseLimits:
    requests_per_window: int = 6000
    window_seconds: float = 300
    max_concurrency: int = 52
    execution_seconds: float = 1200
    latency_seconds: float = 0.0
    """Service seconds every request takes (slows the sandbox so concurrency limits can be exercised)."""


@dataclass
class _UserWindow:
    requests: deque[float] = field(default_factory=deque)
    executions: deque[tuple[float, float]] = field(default_factory=deque)  # (finished at, seconds taken)
    in_flight: int = 0


class Throttle:
    def __init__(self, clock: SandboxClock, limits: DataverseLimits) -> None:
        self.clock = clock
        self.limits = limits
        self._users: dict[str, _UserWindow] = {}
        self.throttled = 0

    def _window(self, user_id: str) -> _UserWindow:
        window = self._users.setdefault(user_id, _UserWindow())
        horizon = self.clock.monotonic() - self.limits.window_seconds
        while window.requests and window.requests[0] <= horizon:
            window.requests.popleft()
        while window.executions and window.executions[0][0] <= horizon:
            window.executions.popleft()
        return window

    def _retry_after(self, service_seconds: float) -> dict[str, str]:
        return {"Retry-After": str(max(1, math.ceil(self.clock.to_wall(service_seconds))))}

    def admit(self, user_id: str) -> float:
        """Count a request in, or raise the 429 to answer; returns its start time for `release`."""
        window = self._window(user_id)
        now = self.clock.monotonic()
        limits = self.limits
        if window.in_flight >= limits.max_concurrency:
            self.throttled += 1
            raise errors.DataverseError(
                429,
                errors.CONCURRENCY_EXCEEDED,
                f"Number of concurrent requests exceeded the limit of {limits.max_concurrency}.",
                self._retry_after(1),
            )
        if len(window.requests) >= limits.requests_per_window:
            self.throttled += 1
            wait = window.requests[0] + limits.window_seconds - now
            raise errors.DataverseError(
                429,
                errors.REQUESTS_EXCEEDED,
                f"Number of requests exceeded the limit of {limits.requests_per_window} over time window of "
                f"{_int(limits.window_seconds)} seconds.",
                self._retry_after(wait),
            )
        used = sum(seconds for _, seconds in window.executions)
        if used >= limits.execution_seconds:
            self.throttled += 1
            wait = window.executions[0][0] + limits.window_seconds - now
            millis = f"{round(limits.execution_seconds * 1000):,}"
            raise errors.DataverseError(
                429,
                errors.EXECUTION_TIME_EXCEEDED,
                f"Combined execution time of incoming requests exceeded limit of {millis}  milliseconds over time "
                f"window of {_int(limits.window_seconds)} seconds. Decrease number of concurrent requests or reduce "
                "the duration of requests and try again later.",
                self._retry_after(wait),
            )
        window.requests.append(now)
        window.in_flight += 1
        return now

    def release(self, user_id: str, started: float) -> None:
        window = self._users.setdefault(user_id, _UserWindow())
        window.in_flight = max(0, window.in_flight - 1)
        finished = self.clock.monotonic()
        window.executions.append((finished, max(0.0, finished - started)))

    def headers(self, user_id: str) -> dict[str, str]:
        """The debugging headers: requests left in the window and execution seconds left (`1,200.00`)."""
        window = self._window(user_id)
        left = max(0, self.limits.requests_per_window - len(window.requests))
        time_left = max(0.0, self.limits.execution_seconds - sum(s for _, s in window.executions))
        return {
            "x-ms-ratelimit-burst-remaining-xrm-requests": str(left),
            "x-ms-ratelimit-time-remaining-xrm-requests": f"{time_left:,.2f}",
        }


def _int(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
