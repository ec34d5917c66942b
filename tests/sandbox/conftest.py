"""Shared sandbox fixtures: an in-memory app driven through httpx's ASGI transport (fast, no sockets).

Tests that need a real socket (connection resets, intuit-oauth's `requests`, the CLI) start one with
`run_sandbox` or a subprocess instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox, build_sandbox
from inolink_tui.sandbox.clock import SandboxClock
from inolink_tui.sandbox.options import QboLimits, SandboxOptions

BASE = "http://testserver"
START = datetime(2026, 3, 2, 17, 0, 0, tzinfo=UTC)


def make_sandbox(**overrides: Any) -> Sandbox:
    seed_data = overrides.pop("seed_data", True)
    options = SandboxOptions(**{"records": 8, "faults": "none", **overrides})
    clock = SandboxClock(options.time_scale, start=START)
    return build_sandbox(options, base_url=BASE, clock=clock, seed_data=seed_data)


@dataclass
class Qbo:
    """A minimal QBO client over the ASGI app: bearer token, realm and JSON helpers."""

    http: httpx.AsyncClient
    sandbox: Sandbox
    token: str

    @property
    def realm(self) -> str:
        return self.sandbox.realm_id

    def url(self, path: str) -> str:
        return f"/v3/company/{self.realm}/{path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    async def get(self, path: str, **params: str) -> httpx.Response:
        return await self.http.get(self.url(path), params={"minorversion": "75", **params}, headers=self.headers)

    async def post(self, path: str, body: Any, **params: str) -> httpx.Response:
        return await self.http.post(
            self.url(path), params={"minorversion": "75", **params}, json=body, headers=self.headers
        )

    async def query(self, text: str) -> httpx.Response:
        return await self.http.get(self.url("query") + "?query=" + quote(text), headers=self.headers)

    async def create(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.post(entity.lower(), body)
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()[entity]
        return created


@pytest.fixture
def sandbox() -> Sandbox:
    return make_sandbox()


@pytest.fixture
def empty_sandbox() -> Sandbox:
    """Company basics only (accounts, tax codes, terms, service items), no generated customers."""
    return make_sandbox(records=0)


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as client:
        yield client


@pytest.fixture
async def qbo(sandbox: Sandbox, http: httpx.AsyncClient) -> Qbo:
    return Qbo(http, sandbox, sandbox.intuit.consent().access_token)


def qbo_for(sandbox: Sandbox, http: httpx.AsyncClient) -> Qbo:
    return Qbo(http, sandbox, sandbox.intuit.consent().access_token)


__all__ = ["BASE", "START", "Qbo", "QboLimits", "make_sandbox", "qbo_for"]
