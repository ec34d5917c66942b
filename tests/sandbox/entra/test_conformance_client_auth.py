"""Conformance: client authentication at Entra ID's v2.0 token endpoint, over HTTP.

https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow, request
parameters: `client_secret` goes in the form body, and "the Basic auth pattern of instead providing
credentials in the Authorization header, per RFC 6749 is also supported". The discovery document lists
`client_secret_post` and `client_secret_basic` in `token_endpoint_auth_methods_supported`.
"""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

from tests.sandbox.dataverse.harness import ORG, Sandbox


async def _post(sb: Sandbox, data: dict[str, str], headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return await sb.client.post(f"{ORG}/{sb.entra.tenant_id}/oauth2/v2.0/token", data=data, headers=headers or {})


def _basic(client_id: str, secret: str) -> str:
    # RFC 6749 §2.3.1: both parts form-url-encoded, then joined with ":" and base64-encoded.
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(raw).decode()


async def test_discovery_lists_post_and_basic() -> None:
    from tests.sandbox.dataverse.harness import in_process

    async with in_process() as sb:
        doc = (await sb.client.get(f"{ORG}/{sb.entra.tenant_id}/v2.0/.well-known/openid-configuration")).json()
    assert {"client_secret_post", "client_secret_basic"} <= set(doc["token_endpoint_auth_methods_supported"])


async def test_client_secret_basic_is_accepted() -> None:
    # Credentials in the Authorization header instead of the body.
    from tests.sandbox.dataverse.harness import in_process

    async with in_process() as sb:
        response = await _post(
            sb,
            {"grant_type": "client_credentials", "scope": f"{ORG}/.default"},
            {"Authorization": _basic(sb.entra.client_id, sb.entra.client_secret)},
        )
    assert response.status_code == 200, response.text
    assert response.json()["token_type"] == "Bearer"


async def test_client_secret_basic_with_a_wrong_secret_is_invalid_client() -> None:
    # AADSTS7000215 "Invalid client secret is provided." whichever way the secret came.
    from tests.sandbox.dataverse.harness import in_process

    async with in_process() as sb:
        response = await _post(
            sb,
            {"grant_type": "client_credentials", "scope": f"{ORG}/.default"},
            {"Authorization": _basic(sb.entra.client_id, "not-the-secret")},
        )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client" and response.json()["error_codes"] == [7000215]


async def test_client_secret_post_is_accepted() -> None:
    from tests.sandbox.dataverse.harness import in_process

    async with in_process() as sb:
        data = {
            "grant_type": "client_credentials",
            "scope": f"{ORG}/.default",
            "client_id": sb.entra.client_id,
            "client_secret": sb.entra.client_secret,
        }
        response = await _post(sb, data)
    assert response.status_code == 200, response.text
