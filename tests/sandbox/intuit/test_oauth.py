"""Intuit OAuth 2.0 against the real `intuit-oauth` client (no mocks), on a real socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from intuitlib.client import AuthClient
from intuitlib.enums import Scopes
from intuitlib.exceptions import AuthClientError

from inolink_tui.sandbox.options import IntuitPolicy, SandboxOptions
from inolink_tui.sandbox.server import SandboxHandle, run_sandbox

pytestmark = pytest.mark.timeout(60)
REDIRECT = "http://localhost:8765/callback"


@pytest.fixture
async def served() -> AsyncIterator[SandboxHandle]:
    async with run_sandbox(SandboxOptions(records=0)) as handle:
        yield handle


def _client(handle: SandboxHandle, secret: str | None = None) -> AuthClient:
    info = handle.info()
    return AuthClient(
        info["qbo_client_id"], secret or info["qbo_client_secret"], REDIRECT, info["intuit_discovery_url"]
    )


async def _authorize(handle: SandboxHandle, client: AuthClient) -> tuple[str, str]:
    url = client.get_authorization_url([Scopes.ACCOUNTING], state_token="xyz123")
    async with httpx.AsyncClient() as http:
        response = await http.get(url, follow_redirects=False)
    assert response.status_code == 302
    location = urlparse(response.headers["location"])
    assert location.geturl().startswith(REDIRECT)
    params = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert params["state"] == "xyz123" and params["realmId"] == handle.realm_id
    return params["code"], params["realmId"]


async def test_discovery_has_the_six_keys_the_library_reads(served: SandboxHandle) -> None:
    client = await asyncio.to_thread(_client, served)
    base = served.base_url
    assert client.token_endpoint == f"{base}/oauth2/v1/tokens/bearer"
    assert client.auth_endpoint == f"{base}/connect/oauth2"
    assert client.revoke_endpoint == f"{base}/v2/oauth2/tokens/revoke"
    assert client.user_info_url == f"{base}/v1/openid_connect/userinfo"
    assert client.issuer_uri and client.jwks_uri


async def test_code_exchange_refresh_rotation_and_single_use_codes(served: SandboxHandle) -> None:
    client = await asyncio.to_thread(_client, served)
    code, realm = await _authorize(served, client)
    await asyncio.to_thread(client.get_bearer_token, code, realm)
    assert client.access_token and client.refresh_token and client.expires_in == 3600
    assert client.x_refresh_token_expires_in > 8_000_000
    assert client.id_token is None and getattr(client, "x_refresh_token_hard_expires_in", None) is None
    old_refresh = client.refresh_token
    await asyncio.to_thread(client.refresh)
    assert client.refresh_token != old_refresh
    stale = await asyncio.to_thread(_client, served)
    with pytest.raises(AuthClientError) as dead:
        await asyncio.to_thread(stale.refresh, old_refresh)
    assert dead.value.status_code == 400 and b"invalid_grant" in dead.value.content
    # the new access token works on the API
    async with httpx.AsyncClient(base_url=served.base_url) as http:
        ok = await http.get(
            f"/v3/company/{realm}/companyinfo/{realm}", headers={"Authorization": f"Bearer {client.access_token}"}
        )
    assert ok.status_code == 200 and ok.json()["CompanyInfo"]["Id"] == "1"
    # a code is single-use; replaying it also revokes the consent it produced (test_conformance_tokens.py)
    with pytest.raises(AuthClientError) as reused:
        await asyncio.to_thread(client.get_bearer_token, code, realm)
    assert reused.value.status_code == 400 and b"invalid_grant" in reused.value.content
    assert reused.value.intuit_tid  # read from the `intuit_tid` header


async def test_seeded_refresh_token_hard_expiry_header_and_bad_secret(served: SandboxHandle) -> None:
    client = await asyncio.to_thread(_client, served)
    client.include_refresh_token_hard_expires_in = True
    await asyncio.to_thread(client.refresh, served.info()["qbo_refresh_token"])
    assert client.x_refresh_token_hard_expires_in > client.x_refresh_token_expires_in
    bad = await asyncio.to_thread(_client, served, "wrong-secret")
    with pytest.raises(AuthClientError) as caught:
        await asyncio.to_thread(bad.refresh, client.refresh_token)
    assert caught.value.status_code == 401 and b"invalid_client" in caught.value.content


async def test_revoke_and_rolling_expiry(served: SandboxHandle) -> None:
    client = await asyncio.to_thread(_client, served)
    await asyncio.to_thread(client.refresh, served.info()["qbo_refresh_token"])
    access = client.access_token
    assert await asyncio.to_thread(client.revoke, client.refresh_token) is True
    with pytest.raises(AuthClientError):
        await asyncio.to_thread(client.refresh)
    async with httpx.AsyncClient(base_url=served.base_url) as http:
        denied = await http.get(
            f"/v3/company/{served.realm_id}/companyinfo/1", headers={"Authorization": f"Bearer {access}"}
        )
    assert denied.status_code == 401
    fresh = served.sandbox.intuit.consent()
    served.clock.advance(8_726_400 + 1)
    with pytest.raises(AuthClientError) as expired:
        await asyncio.to_thread(client.refresh, fresh.refresh_token)
    assert b"invalid_grant" in expired.value.content


async def test_userinfo_and_token_endpoint_errors(served: SandboxHandle) -> None:
    client = await asyncio.to_thread(_client, served)
    await asyncio.to_thread(client.refresh, served.info()["qbo_refresh_token"])
    await asyncio.to_thread(client.get_user_info)
    info = served.info()
    async with httpx.AsyncClient(base_url=served.base_url) as http:
        token_url = "/oauth2/v1/tokens/bearer"
        auth = (info["qbo_client_id"], info["qbo_client_secret"])
        unknown = await http.post(token_url, data={"grant_type": "refresh_token", "refresh_token": "nope"}, auth=auth)
        assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_grant"
        assert unknown.headers["content-type"] == "application/json;charset=UTF-8" and unknown.headers["intuit_tid"]
        grant = await http.post(token_url, data={"grant_type": "password"}, auth=auth)
        assert grant.json()["error"] == "unsupported_grant_type"
        no_auth = await http.post(token_url, data={"grant_type": "refresh_token", "refresh_token": "x"})
        assert no_auth.status_code == 401 and no_auth.json()["error"] == "invalid_client"


def test_grace_period_keeps_the_previous_refresh_token_alive_for_a_while() -> None:
    from tests.sandbox.conftest import make_sandbox

    sandbox = make_sandbox(records=0, intuit=replace(IntuitPolicy(), old_refresh_grace_seconds=60))
    first = sandbox.intuit.consent().refresh_token
    second = sandbox.intuit.refresh(first).refresh_token
    assert second != first
    assert sandbox.intuit.refresh(first).refresh_token not in (first, second)  # still inside the grace
    sandbox.clock.advance(61)
    from inolink_tui.sandbox.intuit import OAuthError

    with pytest.raises(OAuthError):
        sandbox.intuit.refresh(first)


async def test_authorize_redirects_errors_back_to_the_app(served: SandboxHandle) -> None:
    info = served.info()
    params = {"client_id": info["qbo_client_id"], "response_type": "code", "redirect_uri": REDIRECT, "state": "s1"}
    async with httpx.AsyncClient(base_url=served.base_url) as http:
        bad_scope = await http.get("/connect/oauth2", params={**params, "scope": "com.example.everything"})
        query = parse_qs(urlparse(bad_scope.headers["location"]).query)
        assert bad_scope.status_code == 302 and query["error"] == ["invalid_scope"] and query["state"] == ["s1"]
        openid_only = await http.get("/connect/oauth2", params={**params, "scope": "openid email"})
        query = parse_qs(urlparse(openid_only.headers["location"]).query)
        assert "code" in query and "realmId" not in query  # realmId only with accounting or payment scopes
        unknown_client = await http.get("/connect/oauth2", params={**params, "client_id": "nobody", "scope": "openid"})
        assert unknown_client.status_code == 400
