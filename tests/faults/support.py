"""Helpers shared by the fault suite: the long-variant switch and fast clients against a live sandbox."""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Any

import httpx

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.events import Throttled
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.connectors.settings import RetrySettings
from tests.connectors.conftest import MemoryTokenStore
from tests.connectors.sandbox_support import dv_settings, qbo_settings, rng

LONG_ENV = "INOLINK_FAULTS_LONG"


def long_run() -> bool:
    """The long variants (many more kills, bigger storms) run only when asked: INOLINK_FAULTS_LONG=1."""
    return os.environ.get(LONG_ENV, "").strip() not in ("", "0", "false", "no")


def scaled(short: int, long: int) -> int:
    return long if long_run() else short


STORM_RETRY = RetrySettings(max_attempts=6, base_delay=0.02, max_delay=0.2, max_retry_after=5)


class SendLog:
    """Client-side record of when each request left and when each 429 closed the gate (monotonic seconds)."""

    def __init__(self) -> None:
        self.sent: list[tuple[float, str]] = []
        self.gate_closed: list[tuple[float, float, str]] = []
        self.events: list[object] = []

    def append(self, event: object) -> None:
        if isinstance(event, Throttled):
            self.gate_closed.append((time.monotonic(), event.seconds, str(event.service)))
        self.events.append(event)

    async def on_request(self, request: httpx.Request) -> None:
        self.sent.append((time.monotonic(), request.url.host + request.url.path))

    def inside_windows(self, service_path: str) -> list[float]:
        """Requests whose path holds `service_path` sent after a gate closed and before it reopened.

        A request already past the gate when the 429 came back cannot be recalled, so the window
        starts at the moment the client learnt of the 429, not when the server sent it.
        """
        bad: list[float] = []
        for closed, seconds, _service in self.gate_closed:
            for at, path in self.sent:
                # 20 ms of slack for the clock reading on either side of the gate
                if service_path in path and closed + 0.02 < at < closed + seconds - 0.02:
                    bad.append(at - closed)
        return bad


def qbo_client(handle: Any, log: SendLog | None = None, *, timeout: float = 10, **kw: Any) -> QuickBooksClient:
    info = handle.info()
    store = MemoryTokenStore({f"quickbooks:{info['realm_id']}": {"refresh_token": info["qbo_refresh_token"]}})
    settings = replace(qbo_settings(handle, retry=STORM_RETRY, **kw), timeout_seconds=timeout)
    client = QuickBooksClient(settings, store=store, events=log.append if log else None, rng=rng())
    if log is not None:
        client.http.event_hooks["request"].append(log.on_request)
    return client


def dv_client(handle: Any, log: SendLog | None = None, *, timeout: float = 10, **kw: Any) -> DataverseClient:
    settings = replace(dv_settings(handle, retry=STORM_RETRY, **kw), timeout_seconds=timeout)
    client = DataverseClient(settings, events=log.append if log else None, rng=rng())
    if log is not None:
        client.http.event_hooks["request"].append(log.on_request)
    return client
