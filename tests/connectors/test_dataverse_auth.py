"""msal against a local identity provider over plain http (the https <-> http mapping of msal_http)."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from inolink_tui.connectors.dataverse_auth import DataverseTokenProvider
from inolink_tui.connectors.errors import AuthError, TransportError
from inolink_tui.connectors.events import AuthProblem, AuthRestored
from inolink_tui.connectors.msal_http import msal_authority
from inolink_tui.connectors.settings import DataverseSettings
from tests.connectors.local_server import serve

TENANT = "11111111-2222-3333-4444-555555555555"


def entra_app(state: dict[str, Any]) -> Starlette:
    async def discovery(request: Request) -> JSONResponse:
        base = f"https://{request.url.netloc}/{request.path_params['tenant']}"
        return JSONResponse(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
            }
        )

    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        state["requests"].append(dict(form))
        if form.get("client_secret") != state["secret"]:
            return JSONResponse(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret is provided.\r\nTrace ID: x",
                    "error_codes": [7000215],
                },
                status_code=401,
            )
        state["issued"] += 1
        return JSONResponse(
            {"token_type": "Bearer", "expires_in": state["expires_in"], "access_token": f"tok-{state['issued']}"}
        )

    return Starlette(
        routes=[
            Route("/{tenant}/v2.0/.well-known/openid-configuration", discovery),
            Route("/{tenant}/oauth2/v2.0/token", token, methods=["POST"]),
        ]
    )


def test_local_http_authority_is_given_to_msal_as_https() -> None:
    assert msal_authority("http://127.0.0.1:8080/t") == "https://127.0.0.1:8080/t"
    assert msal_authority("https://login.microsoftonline.com/t") == "https://login.microsoftonline.com/t"
    assert msal_authority("http://example.com/t") == "http://example.com/t"  # msal will refuse it: not ours to fix


@pytest.mark.timeout(30)
async def test_client_credentials_cache_and_refresh_on_invalidate() -> None:
    state: dict[str, Any] = {"secret": "s3cret", "issued": 0, "expires_in": 3599, "requests": []}
    events: list[object] = []
    async with serve(entra_app(state)) as base:
        settings = DataverseSettings(
            url="http://127.0.0.1:9",
            tenant=TENANT,
            client_id="cid",
            client_secret="s3cret",
            authority=f"{base}/{TENANT}",
        )
        provider = DataverseTokenProvider(settings, events=events.append)
        try:
            assert await provider.access_token() == "tok-1"
            assert await provider.access_token() == "tok-1"  # msal cache
            assert state["issued"] == 1
            assert state["requests"][0]["scope"] == "http://127.0.0.1:9/.default"
            assert provider.expires_at is not None
            await provider.invalidate("tok-1")
            assert await provider.access_token() == "tok-2"
        finally:
            provider.close()
    assert events == []


@pytest.mark.timeout(30)
async def test_short_lived_tokens_are_renewed_before_expiry() -> None:
    state: dict[str, Any] = {"secret": "s", "issued": 0, "expires_in": 200, "requests": []}
    async with serve(entra_app(state)) as base:
        settings = DataverseSettings(
            url="http://127.0.0.1:9", tenant=TENANT, client_id="c", client_secret="s", authority=f"{base}/{TENANT}"
        )
        provider = DataverseTokenProvider(settings)
        try:
            first = await provider.access_token()
            second = await provider.access_token()
        finally:
            provider.close()
    assert first != second  # under msal's 300 s margin: never served from cache


@pytest.mark.timeout(30)
async def test_wrong_secret_is_an_auth_error_with_one_event() -> None:
    state: dict[str, Any] = {"secret": "right", "issued": 0, "expires_in": 3599, "requests": []}
    events: list[object] = []
    async with serve(entra_app(state)) as base:
        settings = DataverseSettings(
            url="http://127.0.0.1:9", tenant=TENANT, client_id="c", client_secret="wrong", authority=f"{base}/{TENANT}"
        )
        provider = DataverseTokenProvider(settings, events=events.append)
        try:
            for _ in range(2):
                with pytest.raises(AuthError) as info:
                    await provider.access_token()
            assert info.value.code == "AADSTS7000215"
            assert "client secret is wrong" in info.value.hint
            assert [type(e) for e in events] == [AuthProblem]
            state["secret"] = "wrong"
            assert await provider.access_token()
            assert isinstance(events[-1], AuthRestored)
        finally:
            provider.close()


@pytest.mark.timeout(30)
async def test_unreachable_identity_provider_is_a_transport_error() -> None:
    settings = DataverseSettings(
        url="http://127.0.0.1:9",
        tenant=TENANT,
        client_id="c",
        client_secret="s",
        authority=f"http://127.0.0.1:9/{TENANT}",
        timeout_seconds=2,
    )
    provider = DataverseTokenProvider(settings)
    with pytest.raises(TransportError):
        await provider.access_token()
    provider.close()
