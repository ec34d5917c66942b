"""The QuickBooks conformance files' client: each module brings its own `shared` sandbox (module-scoped)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox
from tests.sandbox.conftest import BASE, Qbo, qbo_for


@pytest.fixture
async def q(shared: Sandbox) -> AsyncIterator[Qbo]:
    """A client of the module's sandbox, through ASGI (no port)."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shared.asgi), base_url=BASE) as http:
        yield qbo_for(shared, http)
