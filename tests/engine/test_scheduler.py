"""Service windows, run-now coalescing, pause/resume, last/next run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from inolink_tui.domain.events import CycleFinished, EventBus, ServicePaused, ServiceResumed
from inolink_tui.engine.options import ServiceWindow
from inolink_tui.engine.scheduler import ServiceRunner, ServiceScheduler, WindowTrigger, next_fire

MON = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
HIGH = ServiceWindow(start=time(8), end=time(17), interval=timedelta(minutes=30))
MON_SAT = ServiceWindow(days=frozenset(range(6)), interval=timedelta(minutes=60))
LOW = ServiceWindow(days=frozenset(range(6)), interval=timedelta(hours=12))


@pytest.mark.parametrize(
    ("window", "after", "expected"),
    [
        (HIGH, MON.replace(hour=6), MON.replace(hour=8)),
        (HIGH, MON.replace(hour=8), MON.replace(hour=8, minute=30)),
        (HIGH, MON.replace(hour=8, minute=10), MON.replace(hour=8, minute=30)),
        (HIGH, MON.replace(hour=16, minute=45), MON.replace(hour=17)),
        (HIGH, MON.replace(hour=17), MON.replace(day=3, hour=8)),
        (MON_SAT, MON.replace(day=7, hour=23, minute=30), MON.replace(day=9)),  # Sat night -> Monday
        (LOW, MON.replace(hour=1), MON.replace(hour=12)),
        (LOW, MON.replace(hour=12), MON.replace(day=3)),
    ],
)
def test_next_fire(window: ServiceWindow, after: datetime, expected: datetime) -> None:
    assert next_fire(window, after) == expected


def test_next_fire_in_local_time_and_no_days() -> None:
    ny = ZoneInfo("America/New_York")
    got = next_fire(HIGH, MON.replace(hour=12), ny)  # 07:00 in New York
    assert got == datetime(2026, 11, 2, 8, tzinfo=ny).astimezone(UTC)
    assert next_fire(ServiceWindow(days=frozenset()), MON) is None


def test_bad_windows_are_refused() -> None:
    with pytest.raises(ValueError):
        ServiceWindow(interval=timedelta(0))
    with pytest.raises(ValueError):
        ServiceWindow(start=time(10), end=time(9))


def test_trigger_wraps_next_fire() -> None:
    trig = WindowTrigger(HIGH)
    assert trig.get_next_fire_time(None, MON.replace(hour=8)) == MON.replace(hour=8)
    assert trig.get_next_fire_time(MON.replace(hour=8), MON.replace(hour=8, minute=1)) == MON.replace(hour=8, minute=30)


def finished(name: str) -> CycleFinished:
    return CycleFinished(service=name, duration_seconds=0.0)


async def test_run_now_during_a_cycle_is_not_lost_and_coalesces() -> None:
    gate = asyncio.Event()
    calls = 0

    async def cycle() -> CycleFinished:
        nonlocal calls
        calls += 1
        if calls == 1:
            await gate.wait()
        return finished("s")

    runner = ServiceRunner("s", cycle)
    first = asyncio.create_task(runner.run())
    await asyncio.sleep(0)
    assert runner.running
    assert await runner.run() is None  # asked while running
    assert await runner.run() is None  # asked again: still one extra run
    gate.set()
    assert await asyncio.wait_for(first, 2) is not None
    assert calls == 2 and runner.runs == 2 and not runner.running
    assert runner.last_finished is not None and runner.last_result is not None


async def test_scheduler_pause_resume_and_next_run() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    ran = asyncio.Event()

    async def cycle() -> CycleFinished:
        ran.set()
        return finished("a")

    runners = {"a": ServiceRunner("a", cycle), "b": ServiceRunner("b", cycle)}
    windows = {"a": ServiceWindow(interval=timedelta(minutes=1)), "b": ServiceWindow(enabled=False)}
    sched = ServiceScheduler(runners, windows, bus)
    sched.start()
    try:
        nxt = sched.next_run("a")
        assert nxt is not None and timedelta(0) < nxt - datetime.now(UTC) <= timedelta(minutes=1)
        assert sched.next_run("b") is None
        assert sched.pause("a") == ["a"] and sched.pause("a") == []
        assert sched.next_run("a") is None
        assert isinstance(await sub.get(1), ServicePaused)
        assert sched.resume(None) == ["a"]
        assert isinstance(await sub.get(1), ServiceResumed)
        assert sched.next_run("a") is not None
        await asyncio.wait_for(sched.run_now("b"), 2)  # an operator may run a disabled service by hand
        assert ran.is_set()
        status = {s.name: s for s in sched.status()}
        assert status["b"].last_run is not None and runners["b"].last_finished is not None and not status["b"].enabled
        with pytest.raises(KeyError):
            sched.pause("nope")
    finally:
        await sched.shutdown()


async def test_frequent_services_catch_up_at_start_inside_their_window() -> None:
    """Work promoted while the engine was down runs at start, not one interval later; the daily
    Low Priority reread and services outside their window keep to the schedule."""
    started: list[str] = []
    both = asyncio.Event()

    def cycle_for(name: str):  # type: ignore[no-untyped-def]
        async def cycle() -> CycleFinished:
            started.append(name)
            if {"crm_to_quickbooks", "high_priority"} <= set(started):
                both.set()
            return finished(name)

        return cycle

    names = ("crm_to_quickbooks", "high_priority", "low_priority")
    runners = {n: ServiceRunner(n, cycle_for(n)) for n in names}
    all_day = ServiceWindow(start=time(0), end=time(23, 59, 59), interval=timedelta(hours=1))
    windows = {n: all_day for n in names}
    sched = ServiceScheduler(runners, windows, EventBus())
    sched.start()
    try:
        await asyncio.wait_for(both.wait(), 5)
        await asyncio.sleep(0.2)
        assert sorted(started) == ["crm_to_quickbooks", "high_priority"]
    finally:
        await sched.shutdown()


def test_window_open() -> None:
    from inolink_tui.engine.scheduler import window_open

    assert window_open(HIGH, MON + timedelta(hours=9))
    assert not window_open(HIGH, MON + timedelta(hours=18))
    assert not window_open(MON_SAT, MON + timedelta(days=6, hours=9))  # Sunday
