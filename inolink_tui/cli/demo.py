"""`inolink-tui --demo`: the console and the real engine on the built-in sandbox.

The sandbox (Entra ID, Dataverse, Intuit OAuth and QuickBooks Online over real HTTP on 127.0.0.1)
runs on its own thread and event loop, so its work never stalls the console's drawing. Its config
and job database live in a fresh temporary folder: every demo starts from the same seeded company
and leaves nothing behind. Simulated users keep promoting and editing records, and the services are
pulsed every few seconds, so jobs arrive, succeed and fail while you watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomli_w

log = logging.getLogger(__name__)

DEMO_RECORDS = 40
DEMO_ACTIVITY_PER_MINUTE = 30.0
DEMO_PULSE_SECONDS = 5.0
_START_TIMEOUT = 30.0

_ALL_DAY_EVERY_MINUTE = {
    "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "start": "00:00",
    "end": "23:59",
    "interval_minutes": 1,
}


class SandboxThread:
    """The sandbox served from a background thread; `info` holds the JSON-line facts once ready."""

    def __init__(self, options: Any) -> None:
        self._options = options
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.info: dict[str, str] = {}
        self._thread = threading.Thread(target=self._main, name="inolink-sandbox", daemon=True)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported to the starting thread, which says it in one line
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        from inolink_tui.sandbox.server import run_sandbox

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with run_sandbox(self._options) as handle:
            self.info = handle.info()
            self._ready.set()
            await self._stop.wait()

    def start(self) -> dict[str, str]:
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT):
            raise RuntimeError(f"the sandbox did not start within {_START_TIMEOUT:.0f} s")
        if self._error is not None:
            raise RuntimeError(f"the sandbox could not start: {self._error}") from self._error
        return self.info

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)


def write_demo_config(folder: Path, info: dict[str, str]) -> Path:
    """The sandbox's ready config in live mode, with every service allowed all day, every day."""
    from inolink_tui.sandbox.config_writer import write_config

    path = folder / "config.toml"
    document = write_config(path, info)
    document["services"] = {
        "mode": "live",
        "high_priority": dict(_ALL_DAY_EVERY_MINUTE),
        "crm_to_quickbooks": dict(_ALL_DAY_EVERY_MINUTE),
    }
    document["sync"] = {
        "auto_create_missing_customer": True,
        # The simulated QuickBooks users enter invoices, estimates, credit memos and sales receipts: show them in
        # CRM (the switches are off by default, as InoLink's Transaction History is until turned on).
        "quickbooks_invoices": "record",
        "quickbooks_estimates": "record",
        "quickbooks_credit_memos": "history",
        "quickbooks_sales_receipts": "history",
    }
    with path.open("wb") as handle:
        tomli_w.dump(document, handle)
    return path


@contextlib.contextmanager
def demo_environment(records: int = DEMO_RECORDS, activity: float = DEMO_ACTIVITY_PER_MINUTE) -> Iterator[Path]:
    """Start the sandbox and yield the path of a config pointing at it; tear both down after."""
    from inolink_tui.sandbox.options import SandboxOptions

    sandbox = SandboxThread(SandboxOptions(records=records, activity=activity))
    with tempfile.TemporaryDirectory(prefix="inolink-demo-") as tmp:
        try:
            info = sandbox.start()
            yield write_demo_config(Path(tmp), info)
        finally:
            sandbox.stop()


async def webhook_port_for(sandbox_url: str) -> int:
    """A free loopback port for the demo's webhook receiver, announced to the sandbox as where to send its
    notifications (they fail harmlessly until the receiver listens a moment later)."""
    import socket

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    async with httpx.AsyncClient(timeout=5) as client:
        url = f"http://127.0.0.1:{port}/quickbooks/webhooks"
        response = await client.post(f"{sandbox_url.rstrip('/')}/_sandbox/webhooks", json={"url": url})
        response.raise_for_status()
    return port
