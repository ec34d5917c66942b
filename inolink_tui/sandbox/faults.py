"""Fault injection for every route: latency, 5xx, connection resets, 429 storms, broken JSON, slow bodies.

Rules match by API (qbo|dataverse|intuit|entra or *), a path regex, an optional method, and fire with a
probability drawn from a seeded RNG, so a failing chaos run replays the same way with the same seed.
A rule may also fire only a fixed number of times ("the next 3 token calls fail"), which is what most
tests want. The control API (/_sandbox) is never faulted.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inolink_tui.sandbox.apis import api_for_path
from inolink_tui.sandbox.clock import SandboxClock

FaultKind = Literal["latency", "status", "reset", "throttle", "malformed", "slow_body"]
FAULT_KINDS: tuple[str, ...] = ("latency", "status", "reset", "throttle", "malformed", "slow_body")
FAULTABLE_APIS = ("qbo", "dataverse", "intuit", "entra")


class InjectedReset(Exception):
    """Raised after the headers went out, which makes uvicorn drop the connection mid-response."""


@dataclass
class FaultRule:
    kind: FaultKind
    api: str = "*"
    path: str = ""
    """A regex searched in the request path; empty matches every path."""
    method: str | None = None
    probability: float = 1.0
    status: int = 503
    delay: float = 0.5
    """Wall seconds of latency (or between slow body chunks): a real stall, not a service window."""
    retry_after: float | None = None
    """For `throttle`: service seconds to advertise in Retry-After (None sends no header)."""
    remaining: int | None = None
    """Fire at most this many more times; None means forever."""
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r} (choose from {', '.join(FAULT_KINDS)})")
        if self.api != "*" and self.api not in FAULTABLE_APIS:
            raise ValueError(f"unknown api {self.api!r} (choose from *, {', '.join(FAULTABLE_APIS)})")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be between 0 and 1")
        if self.delay < 0 or (self.remaining is not None and self.remaining < 0):
            raise ValueError("delay and remaining must not be negative")
        if self.kind == "status" and not 400 <= self.status <= 599:
            raise ValueError("status must be an HTTP error status")
        try:
            self._pattern = re.compile(self.path)
        except re.error as exc:
            raise ValueError(f"bad path regex {self.path!r}: {exc}") from None

    def matches(self, api: str, method: str, path: str) -> bool:
        if self.remaining == 0:
            return False
        if self.api not in ("*", api):
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return bool(self._pattern.search(path))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_pattern", None)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultRule:
        allowed = {"kind", "api", "path", "method", "probability", "status", "delay", "retry_after", "remaining"}
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fault rule keys: {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("a fault rule needs a kind")
        return cls(**data)


def _profile(name: str) -> list[FaultRule]:
    apis = ("qbo", "dataverse")
    if name == "none":
        return []
    if name == "flaky":
        return [
            *(FaultRule("status", api=a, status=503, probability=0.03) for a in apis),
            *(FaultRule("reset", api=a, probability=0.01) for a in apis),
            *(FaultRule("latency", api=a, delay=0.3, probability=0.05) for a in apis),
        ]
    if name == "throttled":
        return [FaultRule("throttle", api=a, probability=0.25, retry_after=2.0) for a in apis]
    if name == "chaos":
        return [
            *(FaultRule("status", api=a, status=500, probability=0.03) for a in apis),
            *(FaultRule("status", api=a, status=503, probability=0.03) for a in apis),
            FaultRule("status", api="intuit", status=503, probability=0.02),
            *(FaultRule("reset", api=a, probability=0.02) for a in apis),
            *(FaultRule("throttle", api=a, probability=0.05, retry_after=1.0) for a in apis),
            *(FaultRule("malformed", api=a, probability=0.02) for a in apis),
            *(FaultRule("slow_body", api=a, delay=0.2, probability=0.02) for a in apis),
            *(FaultRule("latency", api=a, delay=0.2, probability=0.05) for a in apis),
        ]
    raise ValueError(f"unknown fault profile {name!r} (choose from {', '.join(FAULT_PROFILES)})")


FAULT_PROFILES: tuple[str, ...] = ("none", "flaky", "throttled", "chaos")


def _error_body(api: str, status: int, time_text: str) -> tuple[bytes, str]:
    """A body shaped like the service's own 5xx, so clients exercise their real parsing."""
    if api == "qbo":
        body: dict[str, Any] = {
            "Fault": {
                "Error": [
                    {
                        "Message": "An application error has occurred while processing your request",
                        "Detail": f"System Failure Error: injected fault (HTTP {status})",
                        "code": "10000",
                    }
                ],
                "type": "SystemFault",
            },
            "time": time_text,
        }
        return json.dumps(body).encode(), "application/json"
    if api == "dataverse":
        body = {"error": {"code": "0x80040216", "message": "An unexpected error occurred."}}
        return json.dumps(body).encode(), "application/json; odata.metadata=minimal"
    body = {"error": "server_error", "error_description": f"injected fault (HTTP {status})"}
    return json.dumps(body).encode(), "application/json"


def throttle_body(api: str, time_text: str, *, json_qbo: bool = False) -> tuple[bytes, str]:
    """The 429 body each service sends (QBO's captured XML by default, Dataverse's JSON error)."""
    message = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
    detail = "The request limit was reached.  Try again later"
    if api == "qbo":
        if json_qbo:
            fault = {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": "3001"}], "type": "SERVICE"}}
            return json.dumps(fault | {"time": time_text}).encode(), "application/json"
        xml = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<IntuitResponse time="{time_text}" xmlns="http://schema.intuit.com/finance/v3">'
            f'<Fault type="SERVICE"><Error code="3001"><Message>{message}</Message>'
            f"<Detail>{detail}</Detail></Error></Fault></IntuitResponse>"
        )
        return xml.encode(), "application/xml"
    if api == "dataverse":
        body = {
            "error": {
                "code": "0x80072322",
                "message": "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
            }
        }
        return json.dumps(body).encode(), "application/json; odata.metadata=minimal"
    return json.dumps({"error": "temporarily_unavailable"}).encode(), "application/json"


class FaultInjector:
    def __init__(
        self, clock: SandboxClock, seed: int = 0, profile: str = "none", *, qbo_json_429: bool = False
    ) -> None:
        self.clock = clock
        self.rng = random.Random(seed)
        self.qbo_json_429 = qbo_json_429
        self.profile = profile
        self.rules: list[FaultRule] = _profile(profile)
        self.fired: dict[str, int] = {}

    def set_profile(self, name: str) -> None:
        self.rules = _profile(name)
        self.profile = name

    def add(self, rule: FaultRule) -> None:
        self.rules.append(rule)

    def clear(self) -> None:
        self.rules = []
        self.profile = "none"

    def pick(self, api: str, method: str, path: str) -> FaultRule | None:
        if api not in FAULTABLE_APIS:
            return None
        for rule in self.rules:
            if rule.matches(api, method, path) and self.rng.random() < rule.probability:
                if rule.remaining is not None:
                    rule.remaining -= 1
                self.fired[rule.kind] = self.fired.get(rule.kind, 0) + 1
                return rule
        return None

    def to_json(self) -> dict[str, Any]:
        return {"profile": self.profile, "rules": [r.to_json() for r in self.rules], "fired": dict(self.fired)}

    def time_text(self) -> str:
        return self.clock.now().isoformat(timespec="milliseconds")


class FaultMiddleware:
    def __init__(self, app: ASGIApp, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = api_for_path(scope["path"])
        rule = self.injector.pick(api, scope["method"], scope["path"])
        if rule is None:
            await self.app(scope, receive, send)
            return
        tid = [(b"intuit-tid" if api == "qbo" else b"intuit_tid", b"1-" + secrets.token_hex(12).encode())]
        if api not in ("qbo", "intuit"):
            tid = []
        if rule.kind == "latency":
            await asyncio.sleep(rule.delay)
            await self.app(scope, receive, send)
        elif rule.kind == "slow_body":
            await self.app(scope, receive, _slow_sender(send, rule.delay))
        elif rule.kind == "status":
            body, media = _error_body(api, rule.status, self.injector.time_text())
            await _respond(send, rule.status, body, media, tid)
        elif rule.kind == "throttle":
            body, media = throttle_body(api, self.injector.time_text(), json_qbo=self.injector.qbo_json_429)
            extra: list[tuple[bytes, bytes]] = list(tid)
            if rule.retry_after is not None:
                wall = max(1, round(self.injector.clock.to_wall(rule.retry_after)))
                extra.append((b"retry-after", str(wall).encode()))
            await _respond(send, 429, body, media, extra)
        elif rule.kind == "malformed":
            body = b'{"QueryResponse": {"Customer": [{"Id": "1", "DisplayName": "Trunc'
            await _respond(send, 200, body, "application/json;charset=utf-8")
        else:  # reset: headers promise a body that never comes, then the connection drops
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
                }
            )
            raise InjectedReset(f"injected connection reset on {scope['path']}")


async def _respond(
    send: Send, status: int, body: bytes, media: str, extra: list[tuple[bytes, bytes]] | None = None
) -> None:
    headers = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _slow_sender(send: Send, delay: float) -> Send:
    async def slow(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        more = message.get("more_body", False)
        pieces = [body[i : i + max(1, len(body) // 4)] for i in range(0, len(body), max(1, len(body) // 4))] or [b""]
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            await send({"type": "http.response.body", "body": piece, "more_body": more or not last})
            if not last:
                await asyncio.sleep(delay)

    return slow
