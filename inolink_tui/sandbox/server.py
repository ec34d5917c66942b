"""Serving the sandbox with uvicorn, in-process (`run_sandbox`, for tests and `--demo`) or standalone.

The listening socket is bound before the app is built, so the app knows its own URL even on port 0.
uvicorn's own signal capture is switched off: in-process callers keep their handlers, and the standalone
loop installs SIGINT/SIGTERM handlers that stop it cleanly (and save `--state`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import uvicorn

from inolink_tui.sandbox.activity import ActivityRunner
from inolink_tui.sandbox.app import Sandbox, build_sandbox
from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.control import connection_info
from inolink_tui.sandbox.faults import InjectedReset
from inolink_tui.sandbox.options import SandboxOptions
from inolink_tui.sandbox.persist import load_state, save_state, saved_clock

log = logging.getLogger(__name__)
STARTUP_TIMEOUT = 10.0
AUTOSAVE_SECONDS = 5.0


class ConfigWriteError(Exception):
    """`--write-config` could not write its files; the sandbox stops rather than run unreachable."""


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers (they would re-raise SIGINT into the host process)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class _DropInjectedResets(logging.Filter):
    """An injected connection reset is intended; keep its traceback out of the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], InjectedReset))


@dataclass
class SandboxHandle:
    sandbox: Sandbox
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def info(self) -> dict[str, str]:
        """The connection line: URLs, credentials and the current QuickBooks refresh token."""
        return connection_info(self.sandbox, self.base_url)

    @property
    def crm_url(self) -> str:
        return self.base_url

    @property
    def aad_authority(self) -> str:
        return self.info()["aad_authority"]

    @property
    def qbo_base_url(self) -> str:
        return self.base_url

    @property
    def intuit_discovery_url(self) -> str:
        return self.info()["intuit_discovery_url"]

    @property
    def realm_id(self) -> str:
        return self.sandbox.realm_id

    @property
    def clock(self) -> SandboxClock:
        return self.sandbox.clock


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def run_sandbox(options: SandboxOptions, *, clock: SandboxClock | None = None) -> AsyncIterator[SandboxHandle]:
    """Serve a sandbox on `options.host:options.port` (0 = any free port) until the block exits."""
    saved = load_state(options.state_path, seed=options.seed) if options.state_path else None
    if clock is None:
        clock = SandboxClock(options.time_scale, start=saved_clock(saved))
    sock = _bind(options.host, options.port)
    port = sock.getsockname()[1]
    handle_host = options.host if ":" not in options.host else f"[{options.host}]"
    sandbox = build_sandbox(options, base_url=f"http://{handle_host}:{port}", clock=clock, saved=saved)
    logging.getLogger("uvicorn.error").addFilter(_DropInjectedResets())
    config = uvicorn.Config(
        sandbox.asgi,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=2,
        log_config=None,
    )
    server = _QuietServer(config)
    serve_task = asyncio.create_task(server.serve(sockets=[sock]), name="sandbox-uvicorn")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT
    while not server.started:
        if serve_task.done():
            sock.close()
            serve_task.result()
            raise RuntimeError("the sandbox server stopped during startup")
        if loop.time() > deadline:
            server.should_exit = True
            raise RuntimeError("the sandbox server did not start within 10 seconds")
        await asyncio.sleep(0.01)
    runner = ActivityRunner(sandbox, options.activity, options.seed)
    sandbox.extra["activity"] = runner
    background = [asyncio.create_task(runner.run(), name="sandbox-activity")]
    if options.state_path is not None:
        background.append(asyncio.create_task(_autosave(sandbox, options.state_path), name="sandbox-autosave"))
    try:
        yield SandboxHandle(sandbox, handle_host, port)
    finally:
        for task in background:
            task.cancel()
        for task in background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if options.state_path is not None:
            save_state(sandbox, options.state_path)
        server.should_exit = True
        try:
            await asyncio.wait_for(serve_task, timeout=5)
        except TimeoutError:
            server.force_exit = True
            serve_task.cancel()
        sock.close()


async def _autosave(sandbox: Sandbox, path: Path) -> None:
    while True:
        await asyncio.sleep(AUTOSAVE_SECONDS)
        try:
            save_state(sandbox, path)
        except OSError as exc:
            log.error("cannot save sandbox state to %s: %s", path, exc)


async def serve_until_signalled(
    options: SandboxOptions, *, write_config_path: Path | None = None, out: TextIO | None = None
) -> None:
    """The standalone loop: print the one JSON line on stdout when ready, serve until SIGINT/SIGTERM."""
    from inolink_tui.sandbox.config_writer import write_config

    stream = out or sys.stdout
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with run_sandbox(options) as handle:
            info = handle.info()
            if write_config_path is not None:
                try:
                    write_config(write_config_path, info)
                except OSError as exc:
                    raise ConfigWriteError(f"cannot write the config {write_config_path}: {exc}") from None
            stream.write(json.dumps(info) + "\n")
            stream.flush()
            log.info("sandbox serving on %s", handle.base_url)
            await stop.wait()
            log.info("sandbox stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
