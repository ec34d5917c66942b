"""Start the console: open the store, decide in-process engine vs attach, run the app, close cleanly.

Attach rule: if another live process holds the scheduler lease on this database, this console starts
no scheduler of its own (two schedulers would process the same jobs twice); it follows the change feed
and sends its control actions through the store. Otherwise it runs the engine the CLI hands it, if any.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from inolink_tui.domain.jobs import utcnow
from inolink_tui.store.base import JobStore, SchedulerLease
from inolink_tui.ui.engine_port import EngineFactory, EnginePort, StoreOnlyEngine, this_process
from inolink_tui.ui.options import ConsoleOptions

log = logging.getLogger(__name__)


async def foreign_lease(store: JobStore) -> SchedulerLease | None:
    """The scheduler lease if a *different* live process holds it."""
    lease = await store.scheduler_lease(now=utcnow())
    if lease is None or lease.holder == this_process():
        return None
    return lease


@contextlib.asynccontextmanager
async def _engine_for(
    store: JobStore, engine_factory: EngineFactory | None, read_only: bool
) -> AsyncIterator[tuple[EnginePort, bool]]:
    """Yield (engine port, in_process)."""
    lease = await foreign_lease(store)
    if lease is not None:
        log.info("attaching to the scheduler held by %s", lease.holder)
        yield StoreOnlyEngine(store, lease=lease), False
        return
    if engine_factory is None or read_only:
        yield StoreOnlyEngine(store), False
        return
    async with engine_factory(store) as engine:
        yield engine, True


async def run_console_async(
    store: JobStore, options: ConsoleOptions, *, engine_factory: EngineFactory | None = None
) -> int:
    """Run the console on an open store (the caller closes it)."""
    from inolink_tui.ui.app import InolinkApp

    async with _engine_for(store, engine_factory, options.read_only) as (engine, in_process):
        app = InolinkApp(store, options, engine=engine, in_process=in_process)
        loop = asyncio.get_running_loop()
        hangups = (signal.SIGHUP, signal.SIGTERM)

        def hang_up() -> None:
            # The SSH session went away (or systemd stops us): leave at once instead of spinning on a dead tty.
            app.exit(0)
            _exit_if_stuck()

        for signum in hangups:
            loop.add_signal_handler(signum, hang_up)
        try:
            await app.run_async()
        finally:
            for signum in hangups:
                loop.remove_signal_handler(signum)
        return app.return_code or 0


HANGUP_GRACE_SECONDS = 8.0
"""After SIGHUP/SIGTERM the console leaves cleanly; if a write to a vanished terminal blocks that, the
process ends anyway after this long (SQLite's WAL keeps the store whole; leases of jobs in hand expire)."""


def _exit_if_stuck() -> None:
    timer = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, args=(0,))
    timer.daemon = True
    timer.start()


def run_console(store_path: Path, options: ConsoleOptions, *, engine_factory: EngineFactory | None = None) -> int:
    """What the CLI calls. Returns the process exit status."""
    from inolink_tui.store import open_store

    async def main() -> int:
        store: JobStore = await open_store(store_path, read_only=options.read_only)
        try:
            return await run_console_async(store, options, engine_factory=engine_factory)
        finally:
            await store.close()

    return asyncio.run(main())
