"""The Engine: what the console, the headless daemon and `--once` drive.

`run_once()` runs each enabled service once, in the order that lets one pass link everything:
CRM to QuickBooks (promoted names before the transactions that need them), then High Priority
(QuickBooks changes, with our own writes recognised as echoes), then Low Priority (balances).
`start()` runs the same cycles on their schedules until `stop()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from inolink_tui.domain.events import CycleFinished, EventBus
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.live import IdleCost
from inolink_tui.domain.vocabulary import ConnectionState, RequestTallies, ServiceState, System
from inolink_tui.engine.cursors import last_run_cursor, parse_time
from inolink_tui.engine.cycles import Cycles
from inolink_tui.engine.live import LIVE_SERVICES, LivePoller
from inolink_tui.engine.live_probe import CrmProbe
from inolink_tui.engine.mirror import JobMirror
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY, EngineOptions
from inolink_tui.engine.pair_guard import EngineGuard
from inolink_tui.engine.ports import AccountingPort, ConnectionMonitor, CrmPort, MappingMetadata
from inolink_tui.engine.processor import Processor
from inolink_tui.engine.scheduler import CATCH_UP_AT_START, ServiceRunner, ServiceScheduler
from inolink_tui.store.base import JobStore

log = logging.getLogger(__name__)


class Engine:
    def __init__(
        self,
        store: JobStore,
        crm: CrmPort,
        qbo: AccountingPort,
        options: EngineOptions,
        *,
        bus: EventBus | None = None,
        clock: Callable[[], datetime] = utcnow,
        closers: Sequence[Callable[[], Awaitable[None]]] = (),
        stop_grace_seconds: float = 10.0,
        guard: EngineGuard | None = None,
        monitors: Mapping[System, ConnectionMonitor] | None = None,
        metadata: MappingMetadata | None = None,
    ) -> None:
        """`monitors`: where the connections' state comes from (the factory passes the real ports); without
        them each system is reported connected, with nothing known about its tokens."""
        self.store = store
        self.crm = crm
        self.qbo = qbo
        self.options = options
        self.bus = bus or EventBus()
        self.clock = clock
        self.processor = Processor(
            store,
            crm,
            qbo,
            options,
            self.bus,
            clock=clock,
            claims=guard.claims if guard is not None else None,
            metadata=metadata,
        )
        self.mirror = JobMirror(store, crm, self.bus, clock=clock, schema=options.schema)
        self.cycles = Cycles(store, crm, qbo, options, self.bus, self.processor, self.mirror, clock=clock)
        self.cycles.crm_pool.peer, self.cycles.qbo_pool.peer = self.cycles.qbo_pool, self.cycles.crm_pool
        self.guard = guard
        self.monitors = dict(monitors or {})
        self._shutting_down = False
        cycles: dict[str, Callable[[], Awaitable[CycleFinished]]] = {
            CRM_TO_QUICKBOOKS: self.cycles.crm_to_quickbooks,
            HIGH_PRIORITY: self.cycles.high_priority,
            LOW_PRIORITY: self.cycles.low_priority,
        }
        if guard is not None:
            cycles = {name: guard.guarded(name, cycle, self.bus) for name, cycle in cycles.items()}
            guard.on_lost = self.cycles.stopping.set
            guard.on_regained = self._regained
        runners = {name: ServiceRunner(name, cycle, clock=clock) for name, cycle in cycles.items()}
        polled = frozenset(LIVE_SERVICES if options.live is not None else ())
        self.scheduler = ServiceScheduler(runners, options.services, self.bus, tz=options.timezone, polled=polled)
        self.live: LivePoller | None = None
        """Live mode's loops (engine/live.py); None on InoLink's schedule."""
        if options.live is not None:
            # The pair lease's renewals (one conditional write each) cost CRM requests in any mode.
            lease = (lambda: {System.CRM: guard.requests_per_hour()}) if guard is not None else None
            self.live = LivePoller(
                options.live,
                options.services,
                runners,
                CrmProbe(crm, store),
                self.request_tallies,
                tz=options.timezone,
                clock=clock,
                fixed_cost=lease,
            )
        self._stopped = asyncio.Event()
        self._closers = tuple(closers)
        self.stop_grace_seconds = stop_grace_seconds

    # --- one pass ------------------------------------------------------------------------------
    async def run_once(self) -> bool:
        """Run every enabled service once; True when any job ended in Error during this pass.

        With a guard, the pair lease is taken first: `PairHeld` (another engine syncs the pair) ends the run
        before anything is read or written.
        """
        if self.guard is None:
            return await self._run_once()
        await self.guard.lease.acquire()
        self.guard.start()
        try:
            return await self._run_once()
        finally:
            await self.guard.stop()

    async def _run_once(self) -> bool:
        self.cycles.error_jobs.clear()
        await self.cycles.prime_cursors()
        broken = False
        for name in (CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY):
            window = self.options.services.get(name)
            if window is None or not window.enabled:
                continue
            result = await self.scheduler.runners[name].run()
            if result is not None and result.error:
                broken = True
        # Jobs that waited for an older job of the other direction get one more pass now that every service ran.
        if self.cycles.crm_pool.blocked and (window := self.options.services.get(CRM_TO_QUICKBOOKS)) and window.enabled:
            log.info("running CRM to QuickBooks again for %d job(s) that waited", len(self.cycles.crm_pool.blocked))
            result = await self.scheduler.runners[CRM_TO_QUICKBOOKS].run()
            broken = broken or bool(result is not None and result.error)
        return broken or bool(self.cycles.error_jobs)

    # --- long running --------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the schedules. CRM to QuickBooks and High Priority run at once inside their window
        (the scheduler's catch-up); the Low Priority service runs at once only when it is overdue
        (never run, or its last run older than its interval), so a restart does not reread every
        balance, yet a fresh install does not wait for midnight either.
        """
        self._stopped.clear()
        self._shutting_down = False
        self.cycles.stopping.clear()
        if self.guard is not None:
            self.guard.start()
        self.scheduler.start()
        if self.live is not None:
            self.live.start()
        for name in await self.overdue_services():
            # CATCH_UP_AT_START: the scheduler already starts those at once (live mode's loops too)
            if name not in CATCH_UP_AT_START and name not in self.scheduler.polled:
                self.run_now(name)
        log.info("engine started: %s", ", ".join(s.name for s in self.services() if s.enabled))

    async def stop(self) -> None:
        """Claim nothing new, let jobs in hand finish (up to the grace), then close the connections.

        A job cut off by the grace keeps its lease until it expires and then runs again; the
        requestid and the record link make that second run safe.
        """
        self._shutting_down = True
        self.cycles.stopping.set()
        if self.live is not None:
            await self.live.stop(self.stop_grace_seconds)
        running = [r.wait_idle() for r in self.scheduler.runners.values() if r.running]
        if running:
            try:
                await asyncio.wait_for(asyncio.gather(*running), self.stop_grace_seconds)
            except TimeoutError:
                log.warning(
                    "a cycle did not finish within %.0f s of stop; its jobs will run again", self.stop_grace_seconds
                )
        await self.scheduler.shutdown()
        if self.guard is not None:
            await self.guard.stop()
        for close in self._closers:
            try:
                await close()
            except Exception as exc:
                log.warning("closing a connection failed: %s", exc)
        self._stopped.set()
        log.info("engine stopped")

    def _regained(self) -> None:
        """The pair came free: claim jobs again and run what was skipped while another engine held it."""
        if self._shutting_down or self.guard is None:
            return
        self.cycles.stopping.clear()
        for name in sorted(self.guard.skipped):
            self.run_now(name)
        self.guard.skipped.clear()

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    async def overdue_services(self) -> list[str]:
        """Enabled, unpaused services inside their window now whose last run is older than their interval."""
        now = self.clock()
        local = now.astimezone(self.options.timezone)
        due = []
        for name, runner in self.scheduler.runners.items():
            window = self.options.services.get(name)
            if window is None or not window.enabled or runner.paused:
                continue
            if local.weekday() not in window.days or not window.start <= local.time() <= window.end:
                continue
            last = parse_time(await self.store.get_cursor(last_run_cursor(name)))
            if last is None or now - last >= window.interval:
                due.append(name)
        return due

    # --- control ------------------------------------------------------------------------------
    def services(self) -> list[ServiceState]:
        states = self.scheduler.status()
        if self.live is None:
            return states
        polls = self.live.next_poll
        return [replace(s, next_run=polls[s.name]) if s.name in polls and s.enabled else s for s in states]

    def idle_costs(self) -> dict[System, IdleCost]:
        """Live mode's requests per hour to each API while nothing changes (empty on a schedule, or until measured)."""
        return self.live.idle_costs() if self.live is not None else {}

    def intervals(self) -> dict[str, timedelta]:
        """Each configured service's polling interval (the daemon's stale-queue rule reads the enabled ones)."""
        return {name: window.interval for name, window in self.options.services.items()}

    def run_now(self, name: str) -> asyncio.Task[CycleFinished | None]:
        """Run a service now; a request during its cycle makes it run once more right after."""
        if self.live is not None:
            self.live.wake(name, poll=False)
        return self.scheduler.run_now(name)

    def pause(self, name: str | None = None) -> list[str]:
        return self.scheduler.pause(name)

    def resume(self, name: str | None = None) -> list[str]:
        return self.scheduler.resume(name)

    def connections(self) -> list[ConnectionState]:
        """Each system's connection state and token expiry, as far as its monitor can tell."""
        out = []
        for system in (System.CRM, System.QUICKBOOKS):
            monitor = self.monitors.get(system)
            out.append(monitor.connection_state() if monitor is not None else ConnectionState(system))
        if self.guard is not None:
            out.append(self.guard.connection())
        return out

    def request_tallies(self) -> dict[System, RequestTallies]:
        """Each monitored API connection's request counts since start (the daemon's metrics)."""
        return {system: monitor.request_tallies() for system, monitor in self.monitors.items()}
