"""Conformance: the Entra ID endpoints' response headers, as the reference notes (§2.4, seen on the wire) give them.

Discovery: `Cache-Control: max-age=86400, private`, `Content-Type: application/json; charset=utf-8`.
Token success: `Cache-Control: no-store, no-cache`, `Pragma: no-cache`, `Expires: -1`, same Content-Type; errors too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from tests.sandbox.dataverse.harness import ORG, Sandbox, in_process

pytestmark = pytest.mark.asyncio(loop_scope="module")
JSON_UTF8 = "application/json; charset=utf-8"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sb() -> AsyncIterator[Sandbox]:
    async with in_process() as sandbox:
        yield sandbox


async def test_discovery_headers(sb: Sandbox) -> None:
    response = await sb.client.get(f"{ORG}/{sb.entra.tenant_id}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_UTF8
    assert response.headers["Cache-Control"] == "max-age=86400, private"


async def test_token_success_headers(sb: Sandbox) -> None:
    response = await sb.fetch_token()
    assert response.status_code == 200
    assert response.headers["Content-Type"] == JSON_UTF8
    assert (response.headers["Cache-Control"], response.headers["Pragma"], response.headers["Expires"]) == (
        "no-store, no-cache",
        "no-cache",
        "-1",
    )


async def test_token_error_headers(sb: Sandbox) -> None:
    response = await sb.client.post(
        f"{ORG}/{sb.entra.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sb.entra.client_id,
            "client_secret": "wrong",
            "scope": f"{ORG}/.default",
        },
    )
    assert response.status_code == 401
    assert response.headers["Content-Type"] == JSON_UTF8
    assert response.headers["Cache-Control"] == "no-store, no-cache"
