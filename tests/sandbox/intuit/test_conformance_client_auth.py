"""Conformance: how a client authenticates at Intuit's token endpoint, over HTTP.

Intuit's OpenID discovery document (https://developer.intuit.com/.well-known/openid_configuration/)
advertises `"token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"]`;
each test below is one of those methods, written with plain httpx against the in-process sandbox.
"""

from __future__ import annotations

import base64

import httpx

from inolink_tui.sandbox.app import Sandbox
from tests.sandbox.conftest import make_sandbox

TOKEN = "/oauth2/v1/tokens/bearer"


def _client(sandbox: Sandbox) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url="http://testserver")


async def test_discovery_advertises_post_and_basic() -> None:
    # https://developer.intuit.com/.well-known/openid_configuration/ lists both methods.
    sandbox = make_sandbox(records=0)
    async with _client(sandbox) as http:
        doc = (await http.get("/.well-known/openid_configuration")).json()
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"client_secret_post", "client_secret_basic"}


async def test_refresh_with_client_secret_basic() -> None:
    # client_secret_basic: RFC 6749 §2.3.1 HTTP Basic with the client id and secret (what intuit-oauth sends).
    sandbox = make_sandbox(records=0)
    intuit = sandbox.intuit
    basic = base64.b64encode(f"{intuit.client_id}:{intuit.client_secret}".encode()).decode()
    async with _client(sandbox) as http:
        response = await http.post(
            TOKEN,
            data={"grant_type": "refresh_token", "refresh_token": intuit.consent().refresh_token},
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "bearer"


async def test_refresh_with_client_secret_post() -> None:
    # client_secret_post: client_id and client_secret in the form body, no Authorization header.
    sandbox = make_sandbox(records=0)
    intuit = sandbox.intuit
    async with _client(sandbox) as http:
        response = await http.post(
            TOKEN,
            data={
                "grant_type": "refresh_token",
                "refresh_token": intuit.consent().refresh_token,
                "client_id": intuit.client_id,
                "client_secret": intuit.client_secret,
            },
            headers={"Accept": "application/json"},
        )
    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"]


async def test_wrong_secret_in_the_form_is_invalid_client() -> None:
    # Either method with a wrong secret is `invalid_client` (reference §2.5 error table).
    sandbox = make_sandbox(records=0)
    intuit = sandbox.intuit
    async with _client(sandbox) as http:
        response = await http.post(
            TOKEN,
            data={
                "grant_type": "refresh_token",
                "refresh_token": intuit.consent().refresh_token,
                "client_id": intuit.client_id,
                "client_secret": "wrong",
            },
        )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
