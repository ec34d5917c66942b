from __future__ import annotations

import asyncio

import pytest

from inolink_tui.connectors.limits import PER_SECOND_WINDOW, ApiLimiter, SlidingWindowBudget, ThrottleGate
from tests.connectors.conftest import FakeClock


async def test_budget_allows_limit_then_waits_for_the_window(clock: FakeClock) -> None:
    budget = SlidingWindowBudget(3, 60.0, clock)
    start = clock.now
    times = []
    for _ in range(7):
        await budget.acquire()
        times.append(clock.now - start)
    assert times[:3] == [0, 0, 0]
    assert times[3:6] == [60, 60, 60]
    assert times[6] == 120
    # never more than 3 inside any 60 s window
    for i in range(len(times)):
        assert sum(1 for t in times if times[i] <= t < times[i] + 60) <= 3


def test_budget_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        SlidingWindowBudget(0, 60, FakeClock())


async def test_gate_blocks_until_reopened_and_only_extends(clock: FakeClock) -> None:
    gate = ThrottleGate(clock)
    assert gate.is_open
    gate.close_for(30)
    gate.close_for(5)  # a shorter Retry-After must not reopen early
    assert gate.remaining() == 30
    before = clock.now
    await gate.wait_open()
    assert clock.now - before == 30
    assert gate.is_open


async def test_limiter_caps_concurrency(clock: FakeClock) -> None:
    limiter = ApiLimiter(requests=1000, window=60, concurrency=3, clock=clock)
    peak = 0
    release = asyncio.Event()

    async def work() -> None:
        nonlocal peak
        async with limiter.slot():
            peak = max(peak, limiter.in_flight)
            await release.wait()

    tasks = [asyncio.create_task(work()) for _ in range(10)]
    for _ in range(20):
        await asyncio.sleep(0)
    assert limiter.in_flight == 3
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 5)
    assert peak == 3
    assert limiter.in_flight == 0


async def test_limiter_rechecks_gate_after_waiting_for_budget(clock: FakeClock) -> None:
    limiter = ApiLimiter(requests=1, window=10, concurrency=5, clock=clock)
    async with limiter.slot():
        pass
    entered: list[float] = []

    async def second() -> None:
        async with limiter.slot():
            entered.append(clock.now)

    task = asyncio.create_task(second())
    await asyncio.sleep(0)
    limiter.gate.close_for(100)  # closes while the request waits for budget
    await asyncio.wait_for(task, 5)
    assert entered and entered[0] >= 1000 + 100


async def test_execution_budget_waits_until_time_spent_leaves_the_window(clock: FakeClock) -> None:
    limiter = ApiLimiter(requests=100, window=300, concurrency=5, execution_seconds=10, clock=clock)
    for _ in range(2):
        async with limiter.slot():
            clock.advance(6)  # a slow request
    assert limiter.execution is not None and limiter.execution.used() == 12
    before = clock.now
    async with limiter.slot():
        pass
    assert clock.now - before >= 300 - 12  # waited until the first request's time left the window
    assert limiter.execution.used() < 10


def test_execution_budget_rejects_nonsense(clock: FakeClock) -> None:
    from inolink_tui.connectors.limits import ExecutionBudget

    with pytest.raises(ValueError):
        ExecutionBudget(0, 300, clock)


async def test_per_second_cap_spreads_a_full_pool(clock: FakeClock) -> None:
    """QuickBooks' 10 requests per second, counted over 1.2 s for jitter (= its 500 a minute): 25 requests through a
    pool of 25 take at least two more windows."""
    limiter = ApiLimiter(requests=500, window=60.0, per_second=10, concurrency=25, clock=clock)
    started: list[float] = []

    async def one() -> None:
        async with limiter.slot():
            started.append(clock.monotonic())

    await asyncio.gather(*(one() for _ in range(25)))
    assert len(started) == 25
    for t in started:
        assert sum(1 for u in started if t <= u < t + PER_SECOND_WINDOW) <= 10
    assert PER_SECOND_WINDOW == 1.2
    assert max(started) - min(started) >= 2 * PER_SECOND_WINDOW
