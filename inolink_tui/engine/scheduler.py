"""Scheduling the three services: InoLink's days / window / interval, run-now, pause and resume.

APScheduler 3's AsyncIOScheduler fires each service with `max_instances=1`, `coalesce=True` and
`misfire_grace_time=None` (a late run still runs, once). APScheduler silently drops a
`modify(next_run_time=now)` while the job is running, so "run now" does not go through it: each
service has a runner with its own "run again" flag, and a request that arrives mid-cycle makes the
cycle run once more as soon as it ends. Requests during a cycle coalesce into that one extra run.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger

from inolink_tui.domain.events import CycleFinished, EventBus, ServicePaused, ServiceResumed
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.vocabulary import ServiceState, SyncService
from inolink_tui.engine.options import ServiceWindow

log = logging.getLogger(__name__)


def next_fire(window: ServiceWindow, after: datetime, tz: tzinfo = UTC) -> datetime | None:
    """The first run time strictly after `after`: on an allowed day, start + k * interval, not past end."""
    if not window.days:
        return None
    local = after.astimezone(tz)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in window.days:
            continue
        start = datetime.combine(day, window.start, tzinfo=tz)
        end = datetime.combine(day, window.end, tzinfo=tz)
        if end < local:
            continue
        if start > local:
            return start.astimezone(UTC)
        steps = int((local - start) / window.interval) + 1
        candidate = start + steps * window.interval
        if candidate <= end:
            return candidate.astimezone(UTC)
    return None


def window_open(window: ServiceWindow, at: datetime, tz: tzinfo = UTC) -> bool:
    """True when `at` falls on an allowed day between the window's start and end."""
    local = at.astimezone(tz)
    return local.weekday() in window.days and window.start <= local.timetz().replace(tzinfo=None) <= window.end


CATCH_UP_AT_START = ("crm_to_quickbooks", "high_priority")
"""Services that run once as soon as the scheduler starts inside their window: work promoted or changed
while the engine was down should not wait a whole interval. The Low Priority service (a daily reread of
every balance) keeps to its schedule."""


class WindowTrigger(BaseTrigger):  # type: ignore[misc]
    """An APScheduler trigger over `next_fire`."""

    __slots__ = ("tz", "window")

    def __init__(self, window: ServiceWindow, tz: tzinfo = UTC) -> None:
        self.window = window
        self.tz = tz

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        after = previous_fire_time if previous_fire_time is not None else now - timedelta(microseconds=1)
        if previous_fire_time is not None and now > previous_fire_time:
            after = max(previous_fire_time, now - timedelta(microseconds=1))
        return next_fire(self.window, after, self.tz)


Cycle = Callable[[], Awaitable[CycleFinished]]


class ServiceRunner:
    """Runs one service's cycle, never twice at once, and never loses a run-now request."""

    def __init__(self, name: str, cycle: Cycle, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.name = name
        self.cycle = cycle
        self.clock = clock
        self.run_again = False
        self.paused = False
        self.last_started: datetime | None = None
        self.last_finished: datetime | None = None
        self.last_result: CycleFinished | None = None
        self.runs = 0
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._lock.locked()

    async def wait_idle(self) -> None:
        """Return once no cycle of this service is running."""
        async with self._lock:
            return

    async def run(self) -> CycleFinished | None:
        """Run the cycle; if one is running, ask it to run once more and return None at once."""
        if self._lock.locked():
            self.run_again = True
            return None
        async with self._lock:
            result: CycleFinished | None = None
            while True:
                self.run_again = False
                self.last_started = self.clock()
                try:
                    result = await self.cycle()
                    self.last_result = result
                finally:
                    self.last_finished = self.clock()
                    self.runs += 1
                if not self.run_again:
                    return result


class ServiceScheduler:
    def __init__(
        self,
        runners: dict[str, ServiceRunner],
        windows: dict[str, ServiceWindow],
        bus: EventBus,
        *,
        tz: tzinfo = UTC,
        polled: frozenset[str] = frozenset(),
    ) -> None:
        """`polled`: services live mode runs from its own loops (engine/live.py), never put on a timer here."""
        self.runners = runners
        self.polled = polled
        self.windows = windows
        self.bus = bus
        self.tz = tz
        self._scheduler: Any = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def started(self) -> bool:
        return self._scheduler is not None

    def start(self) -> None:
        """Needs a running event loop (AsyncIOScheduler attaches to it)."""
        if self._scheduler is not None:
            return
        scheduler = AsyncIOScheduler(timezone=UTC)
        for name, runner in self.runners.items():
            window = self.windows.get(name)
            if window is None or not window.enabled or name in self.polled:
                continue
            now = datetime.now(UTC)
            catch_up = name in CATCH_UP_AT_START and not runner.paused and window_open(window, now, self.tz)
            scheduler.add_job(
                runner.run,
                trigger=WindowTrigger(window, self.tz),
                id=name,
                name=_title(name),
                max_instances=1,
                coalesce=True,
                misfire_grace_time=None,
                **({"next_run_time": now} if catch_up else {}),
            )
            if runner.paused:
                scheduler.pause_job(name)
        scheduler.start()
        self._scheduler = scheduler

    async def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _names(self, name: str | None) -> list[str]:
        if name is None:
            return list(self.runners)
        if name not in self.runners:
            raise KeyError(f"no service {name!r}; choose from {', '.join(self.runners)}")
        return [name]

    def run_now(self, name: str) -> asyncio.Task[CycleFinished | None]:
        """Start a cycle now (or queue one more if it is running). Runs even when paused: an operator asked."""
        runner = self.runners[self._names(name)[0]]
        task = asyncio.get_running_loop().create_task(runner.run(), name=f"run-now:{name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def pause(self, name: str | None = None) -> list[str]:
        changed = []
        for n in self._names(name):
            runner = self.runners[n]
            if runner.paused:
                continue
            runner.paused = True
            if self._scheduler is not None and self._scheduler.get_job(n) is not None:
                self._scheduler.pause_job(n)
            self.bus.publish(ServicePaused(service=n))
            changed.append(n)
        return changed

    def resume(self, name: str | None = None) -> list[str]:
        changed = []
        for n in self._names(name):
            runner = self.runners[n]
            if not runner.paused:
                continue
            runner.paused = False
            if self._scheduler is not None and self._scheduler.get_job(n) is not None:
                self._scheduler.resume_job(n)
            self.bus.publish(ServiceResumed(service=n))
            changed.append(n)
        return changed

    def next_run(self, name: str) -> datetime | None:
        runner = self.runners[name]
        window = self.windows.get(name)
        if runner.paused or window is None or not window.enabled:
            return None
        if self._scheduler is not None:
            job = self._scheduler.get_job(name)
            when: datetime | None = job.next_run_time if job is not None else None
            return when.astimezone(UTC) if when else None
        return next_fire(window, utcnow(), self.tz)

    def status(self) -> list[ServiceState]:
        out = []
        for name, runner in self.runners.items():
            window = self.windows.get(name)
            out.append(
                ServiceState(
                    name=name,
                    enabled=bool(window and window.enabled),
                    paused=runner.paused,
                    running=runner.running,
                    last_run=runner.last_started,
                    next_run=self.next_run(name),
                )
            )
        return out


def _title(name: str) -> str:
    service = SyncService.named(name)
    return service.service_title if service else name
