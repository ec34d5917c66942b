"""msal itself (ConfidentialClientApplication, no mocks) against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msal
import pytest

from tests.sandbox.dataverse.harness import served
from tests.sandbox.entra.msal_adapter import SandboxHttpClient

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def live() -> AsyncIterator[tuple[str, Any, Any, Any]]:
    async with served() as running:
        yield running


def _app(
    base: str, tenant: str, client_id: str, secret: str, http: SandboxHttpClient
) -> msal.ConfidentialClientApplication:
    authority = base.replace("http://", "https://") + f"/{tenant}"
    return msal.ConfidentialClientApplication(
        client_id, client_credential=secret, authority=authority, http_client=http, instance_discovery=False
    )


async def test_msal_gets_a_token_that_dataverse_accepts(live: tuple[str, Any, Any, Any]) -> None:
    base, _clock, state, entra = live
    http = SandboxHttpClient()
    app = await asyncio.to_thread(_app, base, entra.tenant_id, entra.client_id, entra.client_secret, http)
    result = await asyncio.to_thread(app.acquire_token_for_client, scopes=[f"{base}/.default"])
    assert "access_token" in result, result
    assert result["token_source"] == "identity_provider"
    assert result["token_type"] == "Bearer"
    assert any(url.endswith("/v2.0/.well-known/openid-configuration") for _, url in http.requests)
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(
            f"{base}/api/data/v9.2/WhoAmI",
            headers={"Authorization": f"Bearer {result['access_token']}", "Accept": "application/json"},
        )
    assert response.status_code == 200
    assert response.json()["UserId"] == state.app_user_for(entra.client_id)
    cached = await asyncio.to_thread(app.acquire_token_for_client, scopes=[f"{base}/.default"])
    assert cached["token_source"] == "cache"
    assert entra.token_requests == 1
    http.close()


async def test_short_lifetimes_fall_inside_msal_refresh_margin() -> None:
    async with served(token_lifetime=200) as (base, _clock, _state, entra):
        http = SandboxHttpClient()
        app = await asyncio.to_thread(_app, base, entra.tenant_id, entra.client_id, entra.client_secret, http)
        first = await asyncio.to_thread(app.acquire_token_for_client, scopes=[f"{base}/.default"])
        second = await asyncio.to_thread(app.acquire_token_for_client, scopes=[f"{base}/.default"])
        assert first["expires_in"] == 200
        assert second["token_source"] == "identity_provider"  # under 300 s left counts as expired for msal
        assert entra.token_requests == 2
        http.close()


async def test_wrong_secret_gives_msal_the_aadsts_error(live: tuple[str, Any, Any, Any]) -> None:
    base, _clock, _state, entra = live
    http = SandboxHttpClient()
    app = await asyncio.to_thread(_app, base, entra.tenant_id, entra.client_id, "wrong", http)
    result = await asyncio.to_thread(app.acquire_token_for_client, scopes=[f"{base}/.default"])
    assert result["error"] == "invalid_client"
    assert result["error_codes"] == [7000215]
    assert result["error_description"].startswith("AADSTS7000215: Invalid client secret is provided.")
    http.close()


async def test_wrong_tenant_fails_msal_construction(live: tuple[str, Any, Any, Any]) -> None:
    base, _clock, _state, entra = live
    http = SandboxHttpClient()
    with pytest.raises(ValueError):
        await asyncio.to_thread(
            _app, base, "00000000-0000-0000-0000-0000000000ff", entra.client_id, entra.client_secret, http
        )
    http.close()


async def test_msal_backs_off_after_429_with_retry_after(live: tuple[str, Any, Any, Any]) -> None:
    base, _clock, _state, entra = live
    http = SandboxHttpClient()
    app = await asyncio.to_thread(_app, base, entra.tenant_id, entra.client_id, entra.client_secret, http)
    entra.fail_next(429, retry_after=30)
    result = await asyncio.to_thread(app.acquire_token_for_client, scopes=[f"{base}/.default"])
    assert "access_token" not in result
    again = await asyncio.to_thread(app.acquire_token_for_client, scopes=[f"{base}/.default"])
    assert "access_token" not in again
    assert entra.token_requests == 1  # msal answered the second call itself, inside the Retry-After window
    http.close()
