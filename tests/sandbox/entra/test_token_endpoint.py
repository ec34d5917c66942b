"""The token endpoint and discovery document: success shape, AADSTS error bodies, audiences, expiry."""

from __future__ import annotations

import re

import pytest

from tests.sandbox.dataverse.harness import ORG, Sandbox


@pytest.fixture
async def sb() -> object:
    from tests.sandbox.dataverse.harness import in_process

    async with in_process() as sandbox:
        yield sandbox


async def _token(sb: Sandbox, **fields: str):  # type: ignore[no-untyped-def]
    data = {
        "grant_type": "client_credentials",
        "client_id": sb.entra.client_id,
        "client_secret": sb.entra.client_secret,
        "scope": f"{ORG}/.default",
        "client_info": "1",
    }
    data.update(fields)
    return await sb.client.post(
        f"{ORG}/{sb.entra.tenant_id}/oauth2/v2.0/token", data={k: v for k, v in data.items() if v}
    )


async def test_discovery_advertises_https_endpoints(sb: Sandbox) -> None:
    response = await sb.client.get(f"{ORG}/{sb.entra.tenant_id}/v2.0/.well-known/openid-configuration")
    doc = response.json()
    assert response.headers["cache-control"] == "max-age=86400, private"
    base = f"https://dv.test/{sb.entra.tenant_id}"
    assert doc["token_endpoint"] == f"{base}/oauth2/v2.0/token"
    assert doc["authorization_endpoint"] == f"{base}/oauth2/v2.0/authorize"
    assert doc["issuer"] == f"{base}/v2.0"


async def test_success_shape(sb: Sandbox) -> None:
    response = await _token(sb)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store, no-cache"
    body = response.json()
    assert set(body) == {"token_type", "expires_in", "ext_expires_in", "access_token"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599 and isinstance(body["ext_expires_in"], int)
    assert body["access_token"].count(".") == 2  # JWT-shaped


def _check_error(body: dict, error: str, code: int) -> None:  # type: ignore[type-arg]
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert re.fullmatch(
        rf"AADSTS{code}: .+\r\nTrace ID: [0-9a-f-]{{36}}\r\nCorrelation ID: [0-9a-f-]{{36}}\r\nTimestamp: "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ",
        body["error_description"],
        re.DOTALL,
    )
    assert body["error_uri"] == f"https://login.microsoftonline.com/error?code={code}"
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)


@pytest.mark.parametrize(
    ("fields", "status", "error", "code"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", 7000215),
        ({"client_secret": ""}, 401, "invalid_client", 7000218),
        ({"client_id": "11111111-1111-1111-1111-111111111111"}, 400, "unauthorized_client", 700016),
        ({"grant_type": "password"}, 400, "unsupported_grant_type", 70003),
        ({"scope": ""}, 400, "invalid_request", 900144),
        ({"scope": f"{ORG}/user_impersonation"}, 400, "invalid_scope", 1002012),
    ],
)
async def test_error_bodies(sb: Sandbox, fields: dict[str, str], status: int, error: str, code: int) -> None:
    response = await _token(sb, **fields)
    assert response.status_code == status
    _check_error(response.json(), error, code)


async def test_wrong_tenant_is_90002(sb: Sandbox) -> None:
    response = await sb.client.post(
        f"{ORG}/contoso.onmicrosoft.com/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y", "scope": f"{ORG}/.default"},
    )
    assert response.status_code == 400
    _check_error(response.json(), "invalid_request", 90002)
    assert "Tenant 'contoso.onmicrosoft.com' not found" in response.json()["error_description"]


async def test_expired_secret_is_7000222(sb: Sandbox) -> None:
    sb.entra.secret_expired = True
    response = await _token(sb)
    assert response.status_code == 401
    _check_error(response.json(), "invalid_client", 7000222)


async def test_planned_faults_carry_retry_after_on_the_sandbox_clock(sb: Sandbox) -> None:
    sb.entra.fail_next(503, retry_after=12)
    response = await _token(sb)
    assert response.status_code == 503 and response.headers["Retry-After"] == "12"
    assert (await _token(sb)).status_code == 200


async def test_tokens_are_bound_to_their_audience_and_expire(sb: Sandbox) -> None:
    token = (await _token(sb)).json()["access_token"]
    assert sb.entra.validate(token, ORG)
    assert sb.entra.validate(token, ORG + "/")
    assert not sb.entra.validate(token, "http://other.test")
    sb.clock.advance(3599)
    assert not sb.entra.validate(token, ORG)


async def test_refresh_in_is_sent_when_configured(sb: Sandbox) -> None:
    sb.entra.refresh_in = 1800
    assert (await _token(sb)).json()["refresh_in"] == 1800


def test_state_round_trips_through_json() -> None:
    from inolink_tui.sandbox.clock import SandboxClock
    from inolink_tui.sandbox.entra import EntraState

    clock = SandboxClock()
    state = EntraState(clock, seed=3, token_lifetime=120)
    state.secret_expired = True
    again = EntraState.from_json(state.to_json(), clock)
    assert (again.tenant_id, again.client_id, again.client_secret, again.token_lifetime, again.secret_expired) == (
        state.tenant_id,
        state.client_id,
        state.client_secret,
        120,
        True,
    )
    assert EntraState(clock, seed=3).tenant_id == state.tenant_id  # deterministic from the seed
