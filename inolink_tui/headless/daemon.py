"""The `--no-ui` run loop: one scheduler per database, clean stops on signals, events to logs/metrics/alerts.

Why a scheduler lease: two daemons (or a daemon and a console) on one database would both run the
services and double the API traffic. The store's lease lets exactly one process schedule; a second
daemon refuses and names the holder, a console attaches instead. The lease is renewed on a timer
well inside its time-to-live, so a crashed daemon's lease lapses and the next one takes over.

Shutdown (SIGTERM, SIGINT or SIGHUP; SIGHUP does not reload the config, it stops the same way so that a
closed terminal or `kill -HUP` never leaves leases behind): stop claiming, give the engine the rest of a
10 second budget to finish or release its in-flight jobs, give back any job lease of ours still held,
release the lease, exit 0. `--once` cut short by a signal exits 128 + the signal's number (143 for SIGTERM),
as a shell reports a process a signal ended, so a cron wrapper never reads an interrupted run as done.
A job the engine could not release in time keeps a lease that simply expires: never lost, only delayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.vocabulary import CONNECTIONS_CURSOR, SERVICES_CURSOR, encode_connections, encode_services
from inolink_tui.headless.alerts import AlertManager, AlertType
from inolink_tui.headless.event_text import describe
from inolink_tui.headless.job_leases import release_job_leases
from inolink_tui.headless.live_report import IdleCostLog
from inolink_tui.headless.logging_json import log_event
from inolink_tui.headless.ports import DaemonEngine, DaemonStore, HeadlessEvent
from inolink_tui.store.base import ControlRequest, SchedulerLease, StoreError
from inolink_tui.store.lease_holder import holder_is_gone

if TYPE_CHECKING:
    from inolink_tui.headless.metrics import Metrics
    from inolink_tui.headless.webhook import WebhookReceiver

log = logging.getLogger("inolink_tui.headless")

EXIT_OK = 0
EXIT_JOB_ERRORS = 1
"""--once: some job ended in Error during the run."""
EXIT_CONFIG = 2
"""Configuration, authorisation or database problem (a full disk included): a person must act."""
EXIT_LEASE_HELD = 3
"""Another process holds the scheduler lease on this database (or took it over while we ran)."""
EXIT_SIGNALLED = 128
"""`--once` interrupted by a signal exits 128 + the signal number: 130 SIGINT, 143 SIGTERM, 129 SIGHUP."""
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)

KNOWN_ERRORS_CURSOR = "headless:known-error-types"


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def interrupted_exit_code(reason: str) -> int:
    """128 + the number of the signal named `reason` (SIGTERM when the stop came from elsewhere)."""
    try:
        return EXIT_SIGNALLED + signal.Signals[reason].value
    except KeyError:
        return EXIT_SIGNALLED + signal.SIGTERM.value


@dataclass
class DaemonOptions:
    holder: str = field(default_factory=default_holder)
    pid: int = field(default_factory=os.getpid)
    lease_ttl: float = 30.0
    """Seconds the scheduler lease lasts without renewal; renewed every third of it."""
    shutdown_grace: float = 10.0
    """Total budget from the signal to exit."""
    refresh_interval: float = 5.0
    """Seconds between store recounts (metrics), stale-queue checks and digest checks."""
    request_poll: float = 0.5
    """Seconds between looks at the console's control requests (sync-now, pause, resume)."""
    services_poll: float = 2.0
    """Seconds between checks of the services' state, written to the store when it changed."""
    metrics_port: int | None = None
    metrics_addr: str = "127.0.0.1"
    """Where /metrics listens: this machine only unless `--metrics-bind` says otherwise."""
    webhook_port: int | None = None
    """`--webhook-port`: QuickBooks notifications trigger the High Priority cycle (headless/webhook.py)."""
    webhook_addr: str = "127.0.0.1"
    install_signal_handlers: bool = True
    """False when another owner of the loop (the console) handles SIGTERM/SIGINT and stops us itself."""


class Daemon:
    """Runs the engine until a signal (or once, with `run_once`) and reports what happened."""

    def __init__(
        self,
        engine: DaemonEngine,
        store: DaemonStore,
        options: DaemonOptions | None = None,
        *,
        metrics: Metrics | None = None,
        alerts: AlertManager | None = None,
        store_label: str = "the job database",
        on_refresh: Sequence[Callable[[], object]] = (),
        webhook: WebhookReceiver | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.options = options or DaemonOptions()
        self.metrics = metrics
        self.alerts = alerts
        self.store_label = store_label
        self.on_refresh = tuple(on_refresh)
        """Cheap synchronous chores run on the refresh timer (e.g. learning rotated tokens for the scrubber)."""
        self.metrics_port: int | None = None
        self.webhook = webhook
        self._idle_log = IdleCostLog()
        self._stop = asyncio.Event()
        self._stop_reason = ""
        self._exit_code = EXIT_OK
        self._tasks: list[asyncio.Task[None]] = []
        self._pump_ready = asyncio.Event()
        self._cycled = False
        """A cycle has started: the refresh chores (store upkeep above all) may run; see `_refresh_loop`."""
        self.auth_problems = 0
        self.job_errors = 0
        self.events_seen = 0

    # --- public ----------------------------------------------------------------------------
    def request_stop(self, reason: str) -> None:
        if self._stop.is_set():
            log_event(log, "shutdown_pending", f"{reason} received; already stopping", signal=reason)
            return
        self._stop_reason = reason
        self._stop.set()

    async def run(self) -> int:
        """Service mode: schedule until SIGTERM/SIGINT/SIGHUP; 0 on a clean stop, 3 if the lease is held elsewhere."""
        if not await self._take_lease():
            return EXIT_LEASE_HELD
        try:
            await self._start_side_tasks(service=True)
            await self.engine.start()
            log_event(log, "engine_started", "engine started", holder=self.options.holder)
            if self.webhook is not None and self.options.webhook_port is not None:
                await self.webhook.serve()  # bound already; uvicorn starts while the first cycle runs
            await self._stop.wait()
        finally:
            await self._shutdown()
        return self._exit_code

    async def run_once(self) -> tuple[int, bool]:
        """`--once`: run each enabled service once. Returns (exit code so far, any job ended in Error)."""
        if not await self._take_lease():
            return EXIT_LEASE_HELD, False
        any_error = False
        try:
            await self._start_side_tasks(service=False)
            run = asyncio.ensure_future(self.engine.run_once())
            stopper = asyncio.ensure_future(self._stop.wait())
            done, _ = await asyncio.wait({run, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if run in done:
                any_error = bool(run.result())
            else:
                run.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await run
                if self._exit_code == EXIT_OK:
                    self._exit_code = interrupted_exit_code(self._stop_reason)
                    log_event(log, "once_interrupted", f"{self._stop_reason}: run cut short", logging.WARNING)
            stopper.cancel()
            await self._settle_events()
        finally:
            await self._shutdown()
        return self._exit_code, any_error

    # --- lease -----------------------------------------------------------------------------
    async def _take_lease(self) -> bool:
        o = self.options
        lease = await self.store.acquire_scheduler_lease(o.holder, o.pid, ttl_seconds=o.lease_ttl)
        if lease is not None and lease.holder != o.holder and holder_is_gone(lease):
            # A daemon killed outright (SIGKILL, OOM) cannot release its lease; without this a restart
            # by systemd would refuse (exit 3) until the lease lapsed. Releasing is conditional on the
            # dead holder, so two restarting daemons still end with exactly one scheduler.
            log_event(
                log,
                "scheduler_lease_stale",
                f"the scheduler lease holder {lease.holder} (pid {lease.pid}) is no longer running; taking over",
                holder=lease.holder,
                pid=lease.pid,
            )
            await self.store.release_scheduler_lease(lease.holder)
            lease = await self.store.acquire_scheduler_lease(o.holder, o.pid, ttl_seconds=o.lease_ttl)
        if lease is not None and lease.holder == o.holder:
            log_event(
                log,
                "scheduler_lease_acquired",
                f"scheduler lease taken by {o.holder}",
                holder=o.holder,
                pid=o.pid,
                until=lease.until,
            )
            return True
        self._refuse(lease)
        return False

    def _refuse(self, lease: SchedulerLease | None) -> None:
        if lease is None:
            message = f"could not take the scheduler lease on {self.store_label}; not starting a second scheduler"
            fields: dict[str, Any] = {}
        else:
            message = (
                f"another process runs the scheduler on {self.store_label}: {lease.holder} (pid {lease.pid}), "
                f"lease until {lease.until.isoformat()}. Not starting a second scheduler; "
                "open the console (inolink-tui) to attach to it instead."
            )
            fields = {"holder": lease.holder, "pid": lease.pid, "until": lease.until}
        log_event(log, "scheduler_lease_held", message, logging.ERROR, **fields)

    async def _renew_lease(self) -> None:
        o = self.options
        period = max(o.lease_ttl / 3, 0.05)
        last_ok = time.monotonic()
        while True:
            await asyncio.sleep(period)
            try:
                lease = await self.store.acquire_scheduler_lease(o.holder, o.pid, ttl_seconds=o.lease_ttl)
            except StoreError as exc:
                log_event(log, "scheduler_lease_renew_failed", f"could not renew the lease: {exc}", logging.WARNING)
                if time.monotonic() - last_ok > o.lease_ttl:
                    self._store_failed(exc)
                    return
                continue
            if lease is None or lease.holder != o.holder:
                self._lost_lease(lease)
                return
            last_ok = time.monotonic()

    def _lost_lease(self, lease: SchedulerLease | None) -> None:
        who = f"{lease.holder} (pid {lease.pid})" if lease else "nobody"
        log_event(
            log,
            "scheduler_lease_lost",
            f"scheduler lease lost; now held by {who}; stopping",
            logging.ERROR,
            holder=lease.holder if lease else None,
        )
        self._exit_code = EXIT_LEASE_HELD
        self.request_stop("lease-lost")

    def _store_failed(self, exc: StoreError) -> None:
        """The store refused every renewal for a whole lease time (a full disk, a read-only file system):
        not another process's doing (exit 3 would send the operator looking for one), a person must act."""
        log_event(log, "store_error", f"cannot keep the scheduler lease: {exc}; stopping", logging.ERROR)
        self._exit_code = EXIT_CONFIG
        self.request_stop("store-failed")

    # --- side tasks ------------------------------------------------------------------------
    async def _start_side_tasks(self, *, service: bool) -> None:
        loop = asyncio.get_running_loop()
        if self.options.install_signal_handlers:
            for sig in STOP_SIGNALS:
                loop.add_signal_handler(sig, self.request_stop, sig.name)
        if self.metrics is not None and self.options.metrics_port is not None:
            self.metrics_port = self.metrics.serve(self.options.metrics_port, self.options.metrics_addr)
        if self.alerts is not None:
            await self._load_known_errors()
        self._spawn(self._pump_events(), "events")
        await asyncio.wait_for(self._pump_ready.wait(), timeout=5)
        self._spawn(self._renew_lease(), "lease")
        if self.metrics is not None or self.alerts is not None or self.on_refresh:
            self._spawn(self._refresh_loop(), "refresh")
        if service and self.webhook is not None and self.options.webhook_port is not None:
            self.webhook.bind(self.options.webhook_port, self.options.webhook_addr)  # a port in use: exit 2 now
        if service:
            self._spawn(self._serve_requests(), "requests")
            self._spawn(self._publish_services(), "services")

    def _spawn(self, coro: Awaitable[None], name: str) -> None:
        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("headless %s task failed", name, extra={"event": "task_failed", "fields": {"task": name}})

        self._tasks.append(asyncio.get_running_loop().create_task(guarded(), name=f"headless-{name}"))

    async def _pump_events(self) -> None:
        stream = self.engine.events()
        self._pump_ready.set()
        async for event in stream:
            self._handle_event(event)

    def _handle_event(self, event: HeadlessEvent) -> None:
        self.events_seen += 1
        if event.name == "cycle_started":
            self._cycled = True
        level, message = describe(event)
        if event.name == "auth_problem":
            self.auth_problems += 1
        if event.name == "job_changed" and event.fields.get("link_status") == LinkStatus.ERROR.value:
            self.job_errors += 1
        log_event(log, event.name, message, level, **dict(event.fields))
        if self.metrics is not None:
            self.metrics.observe(event)
        if self.alerts is not None:
            raised = self.alerts.dispatch(event)
            if any(a.type is AlertType.NEW_ERROR_TYPE for a in raised):
                self._spawn(self._save_known_errors(), "known-errors")

    async def _settle_events(self) -> None:
        """Let the pump drain what the engine published just before run_once returned."""
        for _ in range(20):
            seen = self.events_seen
            await asyncio.sleep(0.02)
            if seen == self.events_seen:
                return

    async def _refresh_loop(self) -> None:
        chores = self._cycled  # the first round leaves the chores (store upkeep's catch-up) to the next unless a
        while True:  # cycle has started: none is needed to sync, and at start-up they would compete with it
            await self._refresh_once(chores=chores)
            chores = True
            await asyncio.sleep(self.options.refresh_interval)

    async def _refresh_once(self, *, chores: bool = True) -> None:
        for chore in self.on_refresh if chores else ():
            try:
                chore()
            except Exception as exc:
                log_event(log, "refresh_failed", f"refresh chore failed: {exc}", logging.WARNING)
        self._idle_log.check(self.engine.connections())
        try:
            if self.metrics is not None:
                await self.metrics.refresh(self.store, self.engine.connections())
            if self.alerts is not None:
                stale = await self.alerts.check_stale_queue(self.store, self.engine.services())
                if stale is not None:
                    await self.alerts.raise_alert(stale)
                digest = self.alerts.digest_due()
                if digest is not None:
                    await self.alerts.deliver(digest)
        except StoreError as exc:
            log_event(log, "refresh_failed", f"could not read the store: {exc}", logging.WARNING)

    async def _serve_requests(self) -> None:
        """Apply the console's sync-now / pause / resume requests (attach mode)."""
        while True:
            await asyncio.sleep(self.options.request_poll)
            try:
                requests = await self.store.take_requests(self.options.holder)
            except StoreError as exc:
                log_event(log, "requests_failed", f"could not read control requests: {exc}", logging.WARNING)
                continue
            for request in requests:
                await self._apply(request)

    async def _publish_services(self) -> None:
        """Keep the services' state and the connections' token health in the store, so a console attached from
        another process shows them (written only when they change)."""
        last: dict[str, str] = {}
        while True:
            docs = {
                SERVICES_CURSOR: encode_services(s.state for s in self.engine.services()),
                CONNECTIONS_CURSOR: encode_connections(c.state for c in self.engine.connections()),
            }
            for cursor, doc in docs.items():
                if doc == last.get(cursor):
                    continue
                try:
                    await self.store.set_cursor(cursor, doc)
                    last[cursor] = doc
                except StoreError as exc:
                    log_event(log, "services_publish_failed", f"could not write engine state: {exc}", logging.WARNING)
            await asyncio.sleep(self.options.services_poll)

    async def _apply(self, request: ControlRequest) -> None:
        service = request.args.get("service")
        service = str(service) if service else None
        handlers: dict[str, Callable[[], Awaitable[None]]] = {
            "pause": lambda: self.engine.pause(service),
            "resume": lambda: self.engine.resume(service),
        }
        if service is not None:
            handlers["sync-now"] = lambda: self.engine.run_now(service)
        handler = handlers.get(request.kind)
        fields = {"request_id": request.id, "kind": request.kind, "actor": request.actor, "service": service}
        if handler is None:
            log_event(log, "request_ignored", f"unknown control request {request.kind!r}", logging.WARNING, **fields)
            return
        try:
            await handler()
        except Exception as exc:
            log_event(log, "request_failed", f"{request.kind} failed: {exc}", logging.WARNING, **fields)
            return
        log_event(log, "request_applied", f"{request.kind} requested by {request.actor}", **fields)

    # --- known error types (alerts) --------------------------------------------------------
    async def _load_known_errors(self) -> None:
        if self.alerts is None:
            return
        try:
            raw = await self.store.get_cursor(KNOWN_ERRORS_CURSOR)
            if raw:
                self.alerts.seed_known_errors((str(a), str(b)) for a, b in json.loads(raw))
        except (StoreError, ValueError, TypeError) as exc:
            log_event(log, "known_errors_unreadable", f"ignoring saved error types: {exc}", logging.WARNING)

    async def _save_known_errors(self) -> None:
        if self.alerts is not None:
            await self.store.set_cursor(KNOWN_ERRORS_CURSOR, json.dumps(sorted(self.alerts.known_errors)))

    # --- shutdown --------------------------------------------------------------------------
    async def _shutdown(self) -> None:
        started = time.monotonic()
        budget = self.options.shutdown_grace
        if self._stop_reason:
            log_event(
                log,
                "shutdown",
                f"{self._stop_reason}: stopping; no new jobs will be claimed",
                reason=self._stop_reason,
            )
        engine_stopped = False
        if self.webhook is not None:
            await self.webhook.stop()
        try:
            await asyncio.wait_for(self.engine.stop(), timeout=max(budget - 2.0, 0.5))
            engine_stopped = True
        except TimeoutError:
            log_event(
                log,
                "shutdown_timeout",
                "the engine did not stop in time; unreleased job leases will expire and the jobs run again",
                logging.WARNING,
            )
        except Exception as exc:
            log_event(log, "shutdown_error", f"engine stop failed: {exc}", logging.WARNING)
        if self.alerts is not None:
            await self.alerts.drain(max(0.2, budget - 1.5 - (time.monotonic() - started)))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.options.install_signal_handlers:
            loop = asyncio.get_running_loop()
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)
        if engine_stopped:  # nothing of ours works on a job any more: give back what is still leased
            await self._release_job_leases()
        if self._exit_code != EXIT_LEASE_HELD:
            try:
                await asyncio.wait_for(self.store.release_scheduler_lease(self.options.holder), timeout=1.0)
                log_event(log, "scheduler_lease_released", "scheduler lease released", holder=self.options.holder)
            except (StoreError, TimeoutError) as exc:
                log_event(
                    log,
                    "scheduler_lease_release_failed",
                    f"lease not released ({exc}); it will expire",
                    logging.WARNING,
                )
        if self.metrics is not None:
            self.metrics.close()
        log_event(log, "stopped", "stopped", seconds=round(time.monotonic() - started, 3), at=utcnow())

    async def _release_job_leases(self) -> None:
        try:
            count = await asyncio.wait_for(release_job_leases(self.store, self.options.holder), timeout=1.0)
        except (StoreError, TimeoutError) as exc:
            log_event(log, "job_leases_release_failed", f"job leases not released ({exc}); they will expire")
            return
        if count:
            log_event(log, "job_leases_released", f"{count} job lease(s) given back; the jobs stay Queued", count=count)
