"""The daemon starts its first cycle before the start-up work syncing does not need (issue 18 item 3).

What a daemon without --metrics-port, alerts or --webhook-port never loads (prometheus-client, smtplib, uvicorn,
httpx's command-line client with rich and pygments), checked in a fresh interpreter; the webhook receiver takes its
port before the engine starts (a port in use is still exit 2 with nothing started) and starts uvicorn after; the
refresh chores (store upkeep's catch-up) wait for the first cycle.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from inolink_tui.domain.errors import SetupProblem
from inolink_tui.headless.daemon import Daemon, DaemonOptions
from inolink_tui.headless.ports import HeadlessEvent
from inolink_tui.headless.webhook import WebhookReceiver
from tests.headless.fakes import FakeEngine, FakeStore

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]

NOT_BEFORE_THE_FIRST_CYCLE = ("prometheus_client", "smtplib", "uvicorn", "starlette", "rich", "pygments")


def test_the_headless_path_loads_no_optional_service() -> None:
    """headless.app, a Daemon without metrics, alerts or webhooks, and the engine's modules as daemon_engine
    imports them: none of the optional services' libraries, nor httpx's CLI; httpx itself still works."""
    code = """
import json, sys
from inolink_tui.cli.engine_factories import skip_httpx_cli
import inolink_tui.headless.app
skip_httpx_cli()
import inolink_tui.engine.factory
import httpx
httpx.AsyncClient(base_url="http://127.0.0.1:9")
print(json.dumps(sorted(name for name, module in sys.modules.items() if module is not None)))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout))
    assert "inolink_tui.engine.factory" in loaded and "httpx" in loaded
    found = [m for m in loaded if m.split(".")[0] in NOT_BEFORE_THE_FIRST_CYCLE or m == "httpx._main"]
    assert found == []


def _options(**kw: object) -> DaemonOptions:
    values: dict[str, object] = {"holder": "host-a:100", "pid": 100, "lease_ttl": 3.0, "shutdown_grace": 3.0}
    values |= {"refresh_interval": 0.2, "request_poll": 0.02, "services_poll": 0.02}
    values.update(kw)
    return DaemonOptions(**values)  # type: ignore[arg-type]


class OrderedReceiver(WebhookReceiver):
    """Records whether the engine had started when uvicorn was asked to serve."""

    def __init__(self, engine: FakeEngine) -> None:
        super().__init__("verifier", self._noop)
        self.engine = engine
        self.engine_started_at_serve: bool | None = None

    async def _noop(self) -> None:
        return None

    async def serve(self) -> None:
        self.engine_started_at_serve = self.engine.started.is_set()
        await super().serve()


async def test_the_webhook_port_is_taken_before_the_engine_and_served_after() -> None:
    engine = FakeEngine()
    receiver = OrderedReceiver(engine)
    daemon = Daemon(engine, FakeStore(), _options(webhook_port=0), webhook=receiver)
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    for _ in range(200):
        if receiver._server is not None and getattr(receiver._server, "started", False):
            break
        await asyncio.sleep(0.01)
    assert receiver.engine_started_at_serve is True and receiver.port
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=2):
        pass  # uvicorn answers on the port bound before the engine started
    daemon.request_stop("test")
    assert await asyncio.wait_for(task, 10) == 0


async def test_a_webhook_port_in_use_stops_the_daemon_before_its_engine_starts() -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        engine = FakeEngine()
        receiver = OrderedReceiver(engine)
        daemon = Daemon(engine, FakeStore(), _options(webhook_port=busy.getsockname()[1]), webhook=receiver)
        with pytest.raises(SetupProblem, match="cannot receive webhooks"):
            await asyncio.wait_for(daemon.run(), 10)
        assert not engine.started.is_set() and receiver.engine_started_at_serve is None
    finally:
        busy.close()


async def test_the_refresh_chores_wait_for_the_first_cycle() -> None:
    """The first refresh round skips the chores unless a cycle has started; the round after runs them."""
    engine = FakeEngine()
    ran: list[bool] = []
    daemon = Daemon(engine, FakeStore(), _options(refresh_interval=1.0), on_refresh=[lambda: ran.append(True)])
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    await asyncio.sleep(0.1)
    assert ran == []  # the first round has run (it starts with the daemon), without the chores
    engine.publish(HeadlessEvent("cycle_started", {"service": "high_priority"}))
    for _ in range(150):
        if ran:
            break
        await asyncio.sleep(0.02)
    assert ran  # the next round, one interval later
    daemon.request_stop("test")
    await asyncio.wait_for(task, 10)
