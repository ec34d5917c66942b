"""Start the in-process sandbox (when it is installed) and build connectors pointed at it."""

from __future__ import annotations

import importlib.util
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from inolink_tui.connectors.settings import DataverseSettings, QuickBooksClientSettings, RetrySettings

HAVE_SANDBOX = importlib.util.find_spec("inolink_tui.sandbox.server") is not None
HAVE_DATAVERSE = importlib.util.find_spec("inolink_tui.sandbox.dataverse") is not None
needs_sandbox = pytest.mark.skipif(not HAVE_SANDBOX, reason="the sandbox is not merged yet")
needs_dataverse = pytest.mark.skipif(not (HAVE_SANDBOX and HAVE_DATAVERSE), reason="the Dataverse sandbox is missing")

FAST_RETRY = RetrySettings(max_attempts=6, base_delay=0.05, max_delay=0.4, max_retry_after=5)


@asynccontextmanager
async def sandbox(**options: Any) -> AsyncIterator[Any]:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    options.setdefault("records", 12)
    async with run_sandbox(SandboxOptions(**options)) as handle:
        yield handle


async def control(handle: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    async with httpx.AsyncClient(base_url=handle.base_url, timeout=10) as client:
        response = await (client.post(path, json=body or {}) if body is not None else client.get(path))
        response.raise_for_status()
        return response.json()


def qbo_settings(handle: Any, **kw: Any) -> QuickBooksClientSettings:
    info = handle.info()
    kw.setdefault("retry", FAST_RETRY)
    return QuickBooksClientSettings(
        environment=info["intuit_discovery_url"],
        client_id=info["qbo_client_id"],
        client_secret=info["qbo_client_secret"],
        realm_id=info["realm_id"],
        api_base_url=info["qbo_base_url"],
        timeout_seconds=10,
        **kw,
    )


def dv_settings(handle: Any, **kw: Any) -> DataverseSettings:
    info = handle.info()
    kw.setdefault("retry", FAST_RETRY)
    return DataverseSettings(
        url=info["crm_url"],
        tenant=info["crm_tenant"],
        client_id=info["crm_client_id"],
        client_secret=info["crm_client_secret"],
        authority=info["aad_authority"],
        timeout_seconds=10,
        **kw,
    )


def rng() -> random.Random:
    return random.Random(11)
