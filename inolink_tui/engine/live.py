"""Live mode: the CRM to QuickBooks and High Priority services follow their change feeds within seconds.

InoLink's services run every 30 to 60 minutes because each run rescans. This engine already reads Dataverse
change tracking and QuickBooks CDC, which cost one small request per look, so instead of a schedule each of the
two services gets a loop:

- CRM to QuickBooks: a *probe* (engine/live_probe.py) reads change tracking of the six synced tables from where the
  last cycle's scan stopped, all six in one `$batch`, which Dataverse counts as one request (a promotion is a change
  of the row's Link Status). Only when it sees one does the whole cycle run (requeues, promotions, changes, drain).
  The whole cycle also runs at least every `full_scan_seconds`, so requeues set in CRM's job table are not missed.
- High Priority: the cycle itself, which at rest is one CDC request (QuickBooks answers every entity in one).
  A QuickBooks webhook (headless/webhook.py) or sync-now runs it at once and puts its cadence back to the minimum.

Each loop polls at an adaptive cadence (engine/cadence.py) and runs its cycle through the service's runner, so a
poll never overlaps an operator's sync-now. Every request goes through the connectors' limiters, shared with the
bulk drains (10 at once, 10 a second, 500 a minute for QuickBooks), and a quiet poll is one request every 10 s
(CRM) or 30 s (QuickBooks): polling never starves a bulk load (bench/latency.py measures both). Days and windows
still apply: outside its window a loop sleeps until the window opens. The Low Priority service keeps its schedule.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime, timedelta, tzinfo
from typing import Any

from inolink_tui.domain.events import CycleFinished
from inolink_tui.domain.live import IdleCost
from inolink_tui.domain.vocabulary import RequestTallies, System
from inolink_tui.engine.cadence import AdaptiveCadence
from inolink_tui.engine.live_cost import CRM_FULL, CRM_PROBE, QUICKBOOKS_CDC, FixedCost, IdleMeter
from inolink_tui.engine.live_probe import CrmProbe
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LiveOptions, ServiceWindow
from inolink_tui.engine.scheduler import ServiceRunner, next_fire, window_open

log = logging.getLogger(__name__)

LIVE_SERVICES: tuple[str, ...] = (CRM_TO_QUICKBOOKS, HIGH_PRIORITY)
CLOSED_WINDOW_RECHECK = 60.0
"""Outside its window a loop looks again at least this often (a clock change, a resumed service)."""
PAUSED_RECHECK = 1.0

Sleeper = Callable[[float, asyncio.Event], Awaitable[None]]
Tallies = Callable[[], Mapping[System, RequestTallies]]


async def sleep_or_wake(seconds: float, wake: asyncio.Event) -> None:
    """Sleep `seconds`, or less if `wake` is set meanwhile (it is cleared for the next sleep)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout=max(0.0, seconds))
    wake.clear()


def found_work(result: CycleFinished | None) -> bool:
    """A cycle that queued, finished, retried or wrote anything saw changes. Our own writes coming back (echoes)
    are not news: CDC's overlap shows the same echo to several polls, which must not keep the cadence fast."""
    if result is None:
        return True  # it was already running at an operator's request: something is going on
    return bool(result.enqueued or result.succeeded or result.failed or result.retried or result.records_updated)


class LivePoller:
    """The two loops of live mode, with their cadences and the idle cost they measure."""

    def __init__(
        self,
        live: LiveOptions,
        windows: Mapping[str, ServiceWindow],
        runners: Mapping[str, ServiceRunner],
        probe: CrmProbe,
        tallies: Tallies,
        *,
        tz: tzinfo,
        clock: Callable[[], datetime],
        sleeper: Sleeper = sleep_or_wake,
        monotonic: Callable[[], float] = time.monotonic,
        fixed_cost: FixedCost | None = None,
    ) -> None:
        self.live = live
        self.windows = windows
        self.runners = runners
        self.probe = probe
        self.tallies = tallies
        self.tz = tz
        self.clock = clock
        self.sleeper = sleeper
        self.monotonic = monotonic
        self.meter = IdleMeter(live, fixed_cost)
        self.cadences: dict[str, AdaptiveCadence] = {
            CRM_TO_QUICKBOOKS: AdaptiveCadence(live.crm_min_seconds, live.crm_max_seconds, live.backoff),
            HIGH_PRIORITY: AdaptiveCadence(live.quickbooks_min_seconds, live.quickbooks_max_seconds, live.backoff),
        }
        self.next_poll: dict[str, datetime | None] = dict.fromkeys(LIVE_SERVICES)
        self.polls: dict[str, int] = dict.fromkeys(LIVE_SERVICES, 0)
        self._wakes: dict[str, asyncio.Event] = {name: asyncio.Event() for name in LIVE_SERVICES}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        self._last_full = -math.inf

    # --- control ------------------------------------------------------------------------------
    def start(self) -> None:
        self._stopping = False
        loops: dict[str, Callable[[], Coroutine[Any, Any, None]]] = {
            CRM_TO_QUICKBOOKS: self._crm_loop,
            HIGH_PRIORITY: self._quickbooks_loop,
        }
        for name, loop in loops.items():
            window = self.windows.get(name)
            if window is None or not window.enabled or name not in self.runners:
                continue
            self._tasks.append(asyncio.get_running_loop().create_task(loop(), name=f"live:{name}"))
        log.info(
            "live mode: CRM changes every %g-%g s, QuickBooks CDC every %g-%g s",
            self.live.crm_min_seconds,
            self.live.crm_max_seconds,
            self.live.quickbooks_min_seconds,
            self.live.quickbooks_max_seconds,
        )

    def wake(self, name: str, *, poll: bool = True) -> None:
        """Follow `name` at the minimum interval again, and poll it now when `poll` (False: sync-now already runs
        the cycle itself)."""
        if name in self.cadences:
            self.cadences[name].reset()
            if poll:
                self._wakes[name].set()

    async def stop(self, grace: float) -> None:
        """No new polls; a cycle in hand finishes (the engine bounds that wait), then the loops end."""
        self._stopping = True
        for event in self._wakes.values():
            event.set()
        tasks, self._tasks = self._tasks, []
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def idle_costs(self) -> dict[System, IdleCost]:
        return self.meter.costs()

    # --- the loops ----------------------------------------------------------------------------
    async def _crm_loop(self) -> None:
        runner = self.runners[CRM_TO_QUICKBOOKS]
        while await self._ready(CRM_TO_QUICKBOOKS):
            before = dict(self.tallies())
            if self.monotonic() - self._last_full >= self.live.full_scan_seconds:
                kind, changed = CRM_FULL, await self._cycle(runner)
            else:
                kind, changed = CRM_PROBE, await self._probe()
                if changed:
                    await self._cycle(runner)
            if not changed:
                self.meter.record(kind, before, self.tallies())
            await self._pause_for(CRM_TO_QUICKBOOKS, changed)

    async def _quickbooks_loop(self) -> None:
        runner = self.runners[HIGH_PRIORITY]
        while await self._ready(HIGH_PRIORITY):
            before = dict(self.tallies())
            changed = await self._run(runner)
            if not changed:
                self.meter.record(QUICKBOOKS_CDC, before, self.tallies())
            await self._pause_for(HIGH_PRIORITY, changed)

    async def _cycle(self, runner: ServiceRunner) -> bool:
        self._last_full = self.monotonic()
        try:
            return await self._run(runner)
        finally:
            self.probe.reset()

    @staticmethod
    async def _run(runner: ServiceRunner) -> bool:
        """One cycle; a failure is logged and the loop goes on (a dead loop would end live mode silently)."""
        try:
            return found_work(await runner.run())
        except Exception:
            log.exception("live mode: the %s cycle failed; polling on", runner.name)
            return False

    async def _probe(self) -> bool:
        try:
            return await self.probe.changed()
        except Exception as exc:  # CRM unreachable: the full cycle reports it properly, at the next full scan
            log.warning("live mode: could not read CRM change tracking: %s", exc)
            return False

    async def _ready(self, name: str) -> bool:
        """Wait while the service is paused or outside its window; False once stopping."""
        window = self.windows[name]
        runner = self.runners[name]
        while not self._stopping:
            now = self.clock()
            if runner.paused:
                self.next_poll[name] = None
                await self.sleeper(PAUSED_RECHECK, self._wakes[name])
                continue
            if not window_open(window, now, self.tz):
                opens = next_fire(window, now, self.tz)
                self.next_poll[name] = opens
                wait = (opens - now).total_seconds() if opens is not None else CLOSED_WINDOW_RECHECK
                await self.sleeper(min(max(wait, 0.0), CLOSED_WINDOW_RECHECK), self._wakes[name])
                continue
            self.polls[name] += 1
            return True
        return False

    async def _pause_for(self, name: str, changed: bool) -> None:
        delay = self.cadences[name].next_delay(changed)
        self.next_poll[name] = self.clock() + timedelta(seconds=delay)
        await self.sleeper(delay, self._wakes[name])
