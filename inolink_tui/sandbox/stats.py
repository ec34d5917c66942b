"""A record of every request the sandbox answered, so tests can assert how a client behaved.

For example "no QuickBooks request arrived inside a Retry-After window": each entry carries the wall
and service time it arrived and the status it got.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inolink_tui.sandbox.apis import api_for_path
from inolink_tui.sandbox.clock import SandboxClock

MAX_LOG = 20_000


@dataclass(frozen=True)
class RequestRecord:
    seq: int
    api: str
    method: str
    path: str
    status: int
    wall_time: float
    service_time: str
    duration_ms: float


class SandboxStats:
    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self.log: deque[RequestRecord] = deque(maxlen=MAX_LOG)
        self.requests: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.statuses: Counter[str] = Counter()
        self._seq = 0

    def record(self, api: str, method: str, path: str, status: int, wall_start: float, service_start: str) -> None:
        self._seq += 1
        self.requests[api] += 1
        self.statuses[f"{api}:{status}"] += 1
        if status == 429:
            self.throttled[api] += 1
        duration = (time.time() - wall_start) * 1000
        self.log.append(RequestRecord(self._seq, api, method, path, status, wall_start, service_start, duration))

    def reset(self) -> None:
        self.log.clear()
        self.requests.clear()
        self.throttled.clear()
        self.statuses.clear()

    def to_json(self, since: int = 0, api: str | None = None) -> dict[str, Any]:
        entries = [asdict(r) for r in self.log if r.seq > since and (api is None or r.api == api)]
        return {
            "requests": dict(self.requests),
            "throttled": dict(self.throttled),
            "statuses": dict(self.statuses),
            "last_seq": self._seq,
            "log": entries,
        }


class StatsMiddleware:
    """Outermost layer: sees the status every client actually got, injected faults included."""

    def __init__(self, app: ASGIApp, stats: SandboxStats) -> None:
        self.app = app
        self.stats = stats

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        api = api_for_path(path)
        wall_start = time.time()
        service_start = self.stats.clock.now().isoformat()
        status = 0

        async def tracking_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, tracking_send)
        except BaseException:
            failed = True  # a dropped connection: the client got no complete answer
            raise
        finally:
            if api != "control":
                self.stats.record(api, scope["method"], path, 0 if failed else status, wall_start, service_start)
