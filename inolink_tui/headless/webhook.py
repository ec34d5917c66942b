"""`--webhook-port`: QuickBooks webhook notifications trigger an immediate CDC read in live mode.

A notification is verified (`intuit-signature`, domain/webhooks.py) and then only *triggers* the High Priority
cycle, which reads QuickBooks' CDC as always; its content is logged, never trusted. The answer goes out at once
(the cycle runs as a task of its own), well inside the 3 seconds Intuit allows before it counts a delivery as
failed and retries. A bad or missing signature is answered 401 and logged; a body over the 2 MB cap 413 unread.
The listener binds 127.0.0.1 unless told otherwise: Intuit calls an HTTPS URL, so a reverse proxy with the
certificate normally sits in front.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from inolink_tui.domain.errors import SetupProblem
from inolink_tui.domain.webhooks import MAX_BODY_BYTES, SIGNATURE_HEADER, notified_entities, signature_valid
from inolink_tui.headless.logging_json import log_event

log = logging.getLogger("inolink_tui.headless")

WEBHOOK_PATH = "/quickbooks/webhooks"
Trigger = Callable[[], Awaitable[None]]


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The raw body, or None once it exceeds `limit` (a declared length over it is refused before reading)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class WebhookReceiver:
    """The ASGI app and its uvicorn server; `trigger` runs the CDC read (the engine's High Priority run-now)."""

    def __init__(self, verifier_token: str, trigger: Trigger, *, max_body: int = MAX_BODY_BYTES) -> None:
        if not verifier_token:
            raise SetupProblem(
                "--webhook-port needs the app's verifier token: set [quickbooks] webhook_verifier_token "
                "or INOLINK_QBO_WEBHOOK_VERIFIER_TOKEN"
            )
        self._token = verifier_token
        self.trigger = trigger
        self.max_body = max_body
        self.accepted = 0
        self.rejected = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: object | None = None
        self._serving: asyncio.Task[None] | None = None
        self.port: int | None = None
        self._socket: socket.socket | None = None
        self._host = "127.0.0.1"
        self.app = Starlette(
            routes=[Route(WEBHOOK_PATH, self.receive, methods=["POST"]), Route("/", self.receive, methods=["POST"])]
        )

    async def receive(self, request: Request) -> Response:
        body = await _read_capped(request, self.max_body)
        client = request.client.host if request.client else "?"
        if body is None:
            self.rejected += 1
            log_event(
                log,
                "webhook_rejected",
                f"QuickBooks webhook from {client}: body over {self.max_body} bytes",
                logging.WARNING,
                reason="too_large",
                client=client,
            )
            return PlainTextResponse("payload too large", status_code=413)
        if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), self._token):
            self.rejected += 1
            why = "missing" if not request.headers.get(SIGNATURE_HEADER) else "invalid"
            log_event(
                log,
                "webhook_rejected",
                f"QuickBooks webhook from {client}: {why} intuit-signature",
                logging.WARNING,
                reason=f"{why}_signature",
                client=client,
            )
            return PlainTextResponse("invalid signature", status_code=401)
        self.accepted += 1
        realms, changes = notified_entities(body)
        log_event(
            log,
            "webhook_received",
            f"QuickBooks webhook: {changes} change(s); reading CDC now",
            realms=sorted(realms),
            changes=changes,
        )
        task = asyncio.get_running_loop().create_task(self._run_trigger(), name="webhook-cdc")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return PlainTextResponse("ok")

    async def _run_trigger(self) -> None:
        try:
            await self.trigger()
        except Exception as exc:  # the notification was answered already; the next poll reads CDC anyway
            log_event(log, "webhook_trigger_failed", f"could not start the CDC read: {exc}", logging.WARNING)

    async def start(self, port: int, host: str = "127.0.0.1") -> int:
        """Listen on host:port (0: any free port); returns the bound port."""
        self.bind(port, host)
        await self.serve()
        assert self.port is not None
        return self.port

    def bind(self, port: int, host: str = "127.0.0.1") -> int:
        """Take host:port (0: any free port) now, so a port in use is a setup problem before the engine starts;
        `serve` (uvicorn's import and start-up) can then follow once the first cycle is under way."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            raise SetupProblem(f"cannot receive webhooks on {host}:{port}: {exc.strerror or exc}") from exc
        self._socket, self._host = sock, host
        self.port = int(sock.getsockname()[1])
        return self.port

    async def serve(self) -> None:
        """Answer on the bound socket (see `bind`)."""
        import uvicorn

        if self._socket is None:
            raise RuntimeError("bind the webhook receiver before serving")
        sock, self._socket = self._socket, None
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        self._server = server
        self._serving = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]), name="webhook-server")
        for _ in range(200):
            if server.started or self._serving.done():
                break
            await asyncio.sleep(0.01)
        where = f"http://{self._host}:{self.port}{WEBHOOK_PATH}"
        log_event(log, "webhook_started", f"QuickBooks webhooks on {where}", port=self.port)

    async def stop(self) -> None:
        import uvicorn

        if isinstance(self._server, uvicorn.Server):
            self._server.should_exit = True
        if self._serving is not None:
            try:
                await asyncio.wait_for(self._serving, 3)
            except (TimeoutError, asyncio.CancelledError):
                self._serving.cancel()
            self._serving = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
