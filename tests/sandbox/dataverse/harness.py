"""Test harness: the Entra + Dataverse routes in a bare Starlette app, in-process or on a real port."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette

from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.dataverse import DataverseLimits, DataverseState, dataverse_routes
from inolink_tui.sandbox.entra import EntraState, entra_routes

ORG = "http://dv.test"
API = f"{ORG}/api/data/v9.2"
MS_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "If-None-Match": "null",
}
"""The headers Microsoft's Web API samples send on every request."""


@dataclass
class Sandbox:
    clock: SandboxClock
    state: DataverseState
    entra: EntraState
    limits: DataverseLimits
    app: Starlette
    client: httpx.AsyncClient = field(init=False)
    token: str = ""

    async def fetch_token(self, scope: str | None = None) -> httpx.Response:
        return await self.client.post(
            f"{ORG}/{self.entra.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.entra.client_id,
                "client_secret": self.entra.client_secret,
                "scope": scope or f"{ORG}/.default",
            },
        )

    def headers(self, **extra: str) -> dict[str, str]:
        return {**MS_HEADERS, "Authorization": f"Bearer {self.token}", **extra}

    async def get(self, path: str, **headers: str) -> httpx.Response:
        return await self.client.get(f"{API}/{path}", headers=self.headers(**headers))

    async def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return await self.client.post(f"{API}/{path}", json=body, headers=self.headers(**headers))

    async def patch(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return await self.client.patch(f"{API}/{path}", json=body, headers=self.headers(**headers))

    async def delete(self, path: str, **headers: str) -> httpx.Response:
        return await self.client.delete(f"{API}/{path}", headers=self.headers(**headers))

    async def create(self, entity_set: str, body: dict[str, Any]) -> str:
        """Create through the API and return the new id from OData-EntityId."""
        response = await self.post(entity_set, body)
        assert response.status_code == 204, response.text
        return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


def build(
    *, org_url: str = ORG, limits: DataverseLimits | None = None, token_lifetime: int = 3599, time_scale: float = 1.0
) -> tuple[SandboxClock, DataverseState, EntraState, DataverseLimits, Starlette]:
    clock = SandboxClock(time_scale)
    state = DataverseState(clock, org_url=org_url)
    entra = EntraState(clock, seed=7, token_lifetime=token_lifetime)
    limits = limits or DataverseLimits()
    app = Starlette(routes=[*entra_routes(entra, clock, ""), *dataverse_routes(state, entra, clock, limits)])
    return clock, state, entra, limits, app


@asynccontextmanager
async def in_process(limits: DataverseLimits | None = None, time_scale: float = 1.0) -> AsyncIterator[Sandbox]:
    clock, state, entra, limits, app = build(limits=limits, time_scale=time_scale)
    sandbox = Sandbox(clock, state, entra, limits, app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), timeout=10) as client:
        sandbox.client = client
        response = await sandbox.fetch_token()
        sandbox.token = response.json()["access_token"]
        yield sandbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def served(
    *, limits: DataverseLimits | None = None, token_lifetime: int = 3599
) -> AsyncIterator[tuple[str, SandboxClock, DataverseState, EntraState]]:
    """Serve the app with uvicorn on 127.0.0.1 (real HTTP) for the msal and end-to-end tests."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    clock, state, entra, _limits, app = build(org_url=base, limits=limits, token_lifetime=token_lifetime)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield base, clock, state, entra
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
