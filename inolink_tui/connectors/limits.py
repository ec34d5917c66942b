"""Request budgets, concurrency caps and the throttle gate shared by both API clients.

QuickBooks allows 500 requests per minute and 10 at once per company; Dataverse 6,000 per 5 minutes
and 52 at once per user. Going over either extends the penalty, so requests wait here *before*
they are sent. When an API answers 429 the gate closes for the Retry-After time and no request at
all leaves until it reopens (one gate per API, not a sleep per request, so a storm of 429s cannot
turn into a storm of retries).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Protocol


class Clock(Protocol):
    """Monotonic time and sleeping, injectable so tests run windows without waiting."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


PER_SECOND_WINDOW = 1.2
"""Seconds over which the per-second cap is counted. Counted exactly at 1.0 s, send-to-arrival jitter still let
QuickBooks see 11 in a second now and then (23 429s in 333 requests with 10 workers in the bulk benchmark; 1.1 s
still 5 in 315). 10 in 1.2 s is 500 a minute, the per-minute ceiling, so the margin costs no throughput over any
span longer than a few seconds."""


class SlidingWindowBudget:
    """At most `limit` requests in any `window` seconds (the services count over a sliding window too)."""

    def __init__(self, limit: int, window: float, clock: Clock) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a budget needs limit >= 1 and a positive window")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sent: deque[float] = deque()
        self._lock = asyncio.Lock()

    def _prune(self, now: float) -> None:
        while self._sent and self._sent[0] <= now - self.window:
            self._sent.popleft()

    def used(self) -> int:
        self._prune(self._clock.monotonic())
        return len(self._sent)

    async def acquire(self) -> None:
        """Wait (FIFO) until a request fits into the window, then count it."""
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                self._prune(now)
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    return
                await self._clock.sleep(self._sent[0] + self.window - now)


class ExecutionBudget:
    """Dataverse also limits the *time* our requests run: 1,200 s of execution per 300 s window.

    Durations are recorded as requests finish; a new request waits while the window is spent.
    """

    def __init__(self, seconds: float, window: float, clock: Clock) -> None:
        if seconds <= 0 or window <= 0:
            raise ValueError("an execution budget needs positive seconds and window")
        self.seconds = seconds
        self.window = window
        self._clock = clock
        self._spent: deque[tuple[float, float]] = deque()
        self._total = 0.0

    def _prune(self, now: float) -> None:
        while self._spent and self._spent[0][0] <= now - self.window:
            self._total -= self._spent.popleft()[1]

    def used(self) -> float:
        self._prune(self._clock.monotonic())
        return self._total

    def record(self, duration: float) -> None:
        self._spent.append((self._clock.monotonic(), max(0.0, duration)))
        self._total += max(0.0, duration)

    async def wait(self) -> None:
        while True:
            now = self._clock.monotonic()
            self._prune(now)
            if self._total < self.seconds or not self._spent:
                return
            await self._clock.sleep(self._spent[0][0] + self.window - now)


class ThrottleGate:
    """Closed while the API is throttling us; every request waits for it to open."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._closed_until = 0.0

    def close_for(self, seconds: float) -> float:
        """Close (or keep closed) for at least `seconds`; returns the monotonic time it reopens."""
        self._closed_until = max(self._closed_until, self._clock.monotonic() + max(0.0, seconds))
        return self._closed_until

    def remaining(self) -> float:
        return max(0.0, self._closed_until - self._clock.monotonic())

    @property
    def is_open(self) -> bool:
        return self.remaining() <= 0.0

    async def wait_open(self) -> None:
        while (left := self.remaining()) > 0.0:
            await self._clock.sleep(left)


class ApiLimiter:
    """Budget + concurrency cap + throttle gate for one API identity (a QuickBooks realm, a Dataverse user)."""

    def __init__(
        self,
        *,
        requests: int,
        window: float,
        concurrency: int,
        execution_seconds: float | None = None,
        per_second: int | None = None,
        clock: Clock | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.clock: Clock = clock or SystemClock()
        self.budget = SlidingWindowBudget(requests, window, self.clock)
        self.burst = SlidingWindowBudget(per_second, PER_SECOND_WINDOW, self.clock) if per_second else None
        """QuickBooks also caps requests per second (10 per realm): without it a full pool bursts into 429s."""
        self.execution = ExecutionBudget(execution_seconds, window, self.clock) if execution_seconds else None
        self.gate = ThrottleGate(self.clock)
        self.concurrency = concurrency
        self._semaphore = asyncio.Semaphore(concurrency)
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the concurrent slots while a request is on the wire.

        The gate is checked again after the budget wait: a 429 seen meanwhile by another request
        must stop this one too.
        """
        async with self._semaphore:
            while True:
                await self.gate.wait_open()
                if self.execution is not None:
                    await self.execution.wait()
                await self.budget.acquire()
                if self.burst is not None:
                    await self.burst.acquire()
                if self.gate.is_open:
                    break
            self._in_flight += 1
            started = self.clock.monotonic()
            try:
                yield
            finally:
                self._in_flight -= 1
                if self.execution is not None:
                    self.execution.record(self.clock.monotonic() - started)
