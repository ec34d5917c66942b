"""The engine inside the console process: the same daemon machinery as `--no-ui`, minus its stdout.

When no daemon holds the scheduler lease, the console runs the engine itself. It does so through
the headless `Daemon` (scheduler lease, control requests from other consoles, the services cursor),
so a console and a daemon behave identically towards each other; only logging differs (a file, never
the terminal the console draws on). This module joins engine, headless and ui, which is why it lives
in the CLI layer above them all, and it is imported only on the console path.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from inolink_tui.config.model import Settings
from inolink_tui.engine.runtime import Engine
from inolink_tui.store.base import JobStore
from inolink_tui.ui.engine_port import ConnectionStatus, EngineFactory, EnginePort, ServiceStatus

log = logging.getLogger(__name__)

_DAEMON_STOP_SECONDS = 15.0


class EngineBridge:
    """`engine.runtime.Engine` seen through the console's `EnginePort`."""

    records_audit = False

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @property
    def attached_to(self) -> str | None:
        return None

    async def services(self) -> Sequence[ServiceStatus]:
        return [ServiceStatus.of(state) for state in self._engine.services()]

    async def connections(self) -> Sequence[ConnectionStatus]:
        return [ConnectionStatus.of(state) for state in self._engine.connections()]

    def _names(self, service: str | None) -> list[str]:
        known = [s.name for s in self._engine.services()]
        if service in (None, "", "all"):
            return [s.name for s in self._engine.services() if s.enabled]
        if service not in known:
            raise ValueError(f"no service named {service!r} (known: {', '.join(known)})")
        return [service]

    async def run_now(self, service: str, *, actor: str) -> str:
        try:
            names = self._names(service)
        except ValueError as exc:
            return str(exc)
        for name in names:
            self._engine.run_now(name)
        return f"sync now: {', '.join(names) or 'no enabled service'}"

    async def pause(self, service: str | None, *, actor: str) -> str:
        paused = self._engine.pause(service)
        return f"paused: {', '.join(paused) or 'nothing to pause'}"

    async def resume(self, service: str | None, *, actor: str) -> str:
        resumed = self._engine.resume(service)
        return f"resumed: {', '.join(resumed) or 'nothing to resume'}"


def in_process_engine(
    settings: Settings, *, pulse_seconds: float | None = None, webhooks_from: str | None = None
) -> EngineFactory:
    """A factory `run_console` enters after opening the store and leaves before closing it.

    `pulse_seconds` (the demo) asks every enabled service to run again at that period, so a
    visitor sees jobs arrive and complete within seconds instead of waiting for the real schedule.
    """

    @contextlib.asynccontextmanager
    async def factory(store: JobStore) -> AsyncIterator[EnginePort]:
        from inolink_tui.engine.factory import build_engine
        from inolink_tui.headless.daemon import EXIT_LEASE_HELD, Daemon, DaemonOptions
        from inolink_tui.headless.engine_adapter import EngineAdapter

        engine = await build_engine(settings, store)
        adapter = EngineAdapter(engine, store)
        options = DaemonOptions(lease_ttl=max(10.0, settings.sync.lease_seconds / 2), install_signal_handlers=False)
        webhook = None
        if webhooks_from is not None:  # the demo: the sandbox's signed notifications trigger CDC reads at once
            from inolink_tui.cli.demo import webhook_port_for
            from inolink_tui.headless.app import webhook_receiver

            webhook = webhook_receiver(settings, adapter)
            options.webhook_port = await webhook_port_for(webhooks_from)
        daemon = Daemon(adapter, store, options, webhook=webhook)
        runner = asyncio.create_task(daemon.run(), name="console-engine")
        bridge = EngineBridge(engine)
        # Live mode follows the change feeds itself; the pulse is only for a demo config on a schedule.
        pulsed = pulse_seconds if settings.services.mode != "live" else None
        pulse = asyncio.create_task(_pulse(bridge, pulsed), name="demo-pulse") if pulsed else None
        try:
            yield bridge
        finally:
            if pulse is not None:
                pulse.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pulse
            daemon.request_stop("console closed")
            try:
                code = await asyncio.wait_for(runner, _DAEMON_STOP_SECONDS)
            except TimeoutError:
                log.warning(
                    "the engine did not stop within %.0f s; in-flight jobs keep their leases", _DAEMON_STOP_SECONDS
                )
            else:
                if code == EXIT_LEASE_HELD:
                    log.warning("another process took the scheduler lease; this console ran no engine")

    return factory


async def _pulse(bridge: EngineBridge, seconds: float) -> None:
    await asyncio.sleep(1.0)
    while True:
        try:
            await bridge.run_now("all", actor="demo")
        except Exception:  # a failed pulse must not end the demo; the next one tries again
            log.exception("demo pulse failed")
        await asyncio.sleep(seconds)
