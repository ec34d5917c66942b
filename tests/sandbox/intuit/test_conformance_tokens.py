"""Conformance: Intuit's token endpoint, refresh-token rotation and lifetimes, revoke, over HTTP (one sandbox).

Sources: the reference notes §2.4-2.5 and §13 items 1-4; "Authorization FAQ"
(https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq: access tokens
3,600 s; refresh tokens 100 days, rolling, "use the latest refresh_token value from the most recent server
response"); "OAuth token management done the right way" (https://blogs.intuit.com/2024/06/03/oauth-token-management-
done-the-right-way/); the five-year cap (https://github.com/intuit/QuickBooks-V3-Java-SDK/releases/tag/v6.5.4:
"When includeRefreshTokenHardExpiresIn is set as true ... xRefreshTokenHardExpiresIn ... will have the refresh token
expiry value"); RFC 6749 §4.1.2 / §5.2 for the error answers Intuit's pages only name.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox
from tests.sandbox.conftest import BASE, make_sandbox

TOKEN = "/oauth2/v1/tokens/bearer"
REVOKE = "/v2/oauth2/tokens/revoke"
REDIRECT = "https://app.example/callback"
DAY = 86_400


@pytest.fixture(scope="module")
def shared() -> Sandbox:
    return make_sandbox(records=0)


@pytest.fixture
async def http(shared: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=shared.asgi), base_url=BASE) as client:
        yield client


def _basic(sandbox: Sandbox, secret: str | None = None) -> dict[str, str]:
    pair = f"{sandbox.intuit.client_id}:{secret or sandbox.intuit.client_secret}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode(), "Accept": "application/json"}


async def _refresh(http: httpx.AsyncClient, sandbox: Sandbox, token: str, **headers: str) -> httpx.Response:
    return await http.post(
        TOKEN, data={"grant_type": "refresh_token", "refresh_token": token}, headers=_basic(sandbox) | headers
    )


async def _code(http: httpx.AsyncClient, sandbox: Sandbox, scope: str = "com.intuit.quickbooks.accounting") -> str:
    params = {
        "client_id": sandbox.intuit.client_id,
        "response_type": "code",
        "scope": scope,
        "redirect_uri": REDIRECT,
        "state": "st",
    }
    answer = await http.get("/connect/oauth2", params=params)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlparse(answer.headers["location"]).query)["code"][0]


async def _exchange(http: httpx.AsyncClient, sandbox: Sandbox, code: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    return await http.post(TOKEN, data=form, headers=_basic(sandbox))


def _invalid_grant(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error", "error_description"} and body["error"] == "invalid_grant"
    assert body["error_description"]
    assert response.headers["intuit_tid"]


async def test_discovery_documents_for_both_environments(http: httpx.AsyncClient) -> None:
    # §2.2: production .../.well-known/openid_configuration/, sandbox .../.well-known/openid_sandbox_configuration/;
    # intuit-oauth reads six keys from either
    keys = {
        "authorization_endpoint",
        "token_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
        "issuer",
        "jwks_uri",
    }
    for path in (
        "/.well-known/openid_configuration",
        "/.well-known/openid_configuration/",
        "/.well-known/openid_sandbox_configuration",
        "/.well-known/openid_sandbox_configuration/",
    ):
        answer = await http.get(path)
        assert answer.status_code == 200, path
        assert keys <= set(answer.json()), path
        assert answer.json()["token_endpoint"].endswith(TOKEN)


async def test_token_answer_shape_and_headers(http: httpx.AsyncClient, shared: Sandbox) -> None:
    # §2.5: 200, application/json;charset=UTF-8, intuit_tid, no-cache; token_type "bearer", 3600 s, no id_token
    answer = await _exchange(http, shared, await _code(http, shared))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json;charset=UTF-8"
    assert answer.headers["intuit_tid"]
    assert "no-store" in answer.headers["cache-control"] and answer.headers["pragma"] == "no-cache"
    body = answer.json()
    assert set(body) == {"token_type", "access_token", "refresh_token", "expires_in", "x_refresh_token_expires_in"}
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 8_726_400  # the captured sample (about 101 days)


async def test_hard_expiry_only_on_the_opt_in_header(http: httpx.AsyncClient, shared: Sandbox) -> None:
    plain = await _refresh(http, shared, shared.intuit.consent().refresh_token)
    assert "x_refresh_token_hard_expires_in" not in plain.json()
    opted = await _refresh(
        http, shared, plain.json()["refresh_token"], **{"x-include-refresh-token-hard-expires-in": "true"}
    )
    hard = opted.json()["x_refresh_token_hard_expires_in"]
    assert 5 * 365 * DAY - 60 <= hard <= 5 * 366 * DAY  # the five-year cap, counted from the consent


async def test_each_refresh_rotates_and_the_previous_token_dies(http: httpx.AsyncClient, shared: Sandbox) -> None:
    # §13.3 default: a new refresh token every time, the old one dead at once (grace is an option)
    first = shared.intuit.consent().refresh_token
    second = (await _refresh(http, shared, first)).json()["refresh_token"]
    assert second != first
    _invalid_grant(await _refresh(http, shared, first))
    third = await _refresh(http, shared, second)
    assert third.status_code == 200 and third.json()["refresh_token"] not in (first, second)


async def test_refresh_lifetime_rolls_with_each_use(http: httpx.AsyncClient, shared: Sandbox) -> None:
    token = shared.intuit.consent().refresh_token
    for _ in range(3):  # 270 days in all, each refresh inside the 100-day window
        shared.clock.advance(90 * DAY)
        answer = await _refresh(http, shared, token)
        assert answer.status_code == 200, answer.text
        assert answer.json()["x_refresh_token_expires_in"] == 8_726_400  # the clock restarted
        token = answer.json()["refresh_token"]
    shared.clock.advance(8_726_400 + 1)  # unused past its window
    _invalid_grant(await _refresh(http, shared, token))


async def test_the_five_year_cap_ends_a_rolling_token(http: httpx.AsyncClient, shared: Sandbox) -> None:
    token = shared.intuit.consent().refresh_token
    refused = None
    for _ in range(25):  # 25 x 90 days > 5 years
        shared.clock.advance(90 * DAY)
        answer = await _refresh(http, shared, token, **{"x-include-refresh-token-hard-expires-in": "true"})
        if answer.status_code != 200:
            refused = answer
            break
        body = answer.json()
        assert body["x_refresh_token_expires_in"] <= body["x_refresh_token_hard_expires_in"]
        token = body["refresh_token"]
    assert refused is not None
    _invalid_grant(refused)


async def test_an_access_token_is_no_refresh_token(http: httpx.AsyncClient, shared: Sandbox) -> None:
    _invalid_grant(await _refresh(http, shared, shared.intuit.consent().access_token))


async def test_a_code_is_single_use_and_expires(http: httpx.AsyncClient, shared: Sandbox) -> None:
    code = await _code(http, shared)
    assert (await _exchange(http, shared, code)).status_code == 200
    _invalid_grant(await _exchange(http, shared, code))
    late = await _code(http, shared)
    shared.clock.advance(3600)
    _invalid_grant(await _exchange(http, shared, late))


async def test_a_replayed_code_revokes_what_it_produced(http: httpx.AsyncClient, shared: Sandbox) -> None:
    # §2.4 "Exchange the code once. Repeated exchanges can invalidate tokens."; RFC 6749 §4.1.2: the server
    # "SHOULD revoke (when possible) all tokens previously issued based on that authorization code"
    code = await _code(http, shared)
    tokens = (await _exchange(http, shared, code)).json()
    _invalid_grant(await _exchange(http, shared, code))
    _invalid_grant(await _refresh(http, shared, tokens["refresh_token"]))
    api = await http.get(
        f"/v3/company/{shared.realm_id}/companyinfo/1", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert api.status_code == 401


async def test_missing_or_wrong_client_is_invalid_client(http: httpx.AsyncClient, shared: Sandbox) -> None:
    refresh = shared.intuit.consent().refresh_token
    form = {"grant_type": "refresh_token", "refresh_token": refresh}
    for headers in ({}, _basic(shared, "not-the-secret")):
        answer = await http.post(TOKEN, data=form, headers=headers)
        assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client"
    assert (await _refresh(http, shared, refresh)).status_code == 200  # a refused client did not spend the token


async def test_missing_parameters_are_invalid_request(http: httpx.AsyncClient, shared: Sandbox) -> None:
    no_token = await http.post(TOKEN, data={"grant_type": "refresh_token"}, headers=_basic(shared))
    assert no_token.status_code == 400 and no_token.json()["error"] == "invalid_request"
    no_grant = await http.post(TOKEN, data={"refresh_token": "x"}, headers=_basic(shared))
    assert no_grant.status_code == 400 and no_grant.json()["error"] == "invalid_request"


async def test_revoking_an_access_token_disconnects_the_app(http: httpx.AsyncClient, shared: Sandbox) -> None:
    # §2.5 revoke: JSON {"token": ...} with Basic auth, 200; afterwards refresh gives invalid_grant
    issue = shared.intuit.consent()
    headers = _basic(shared) | {"Content-Type": "application/json"}
    refused = await http.post(REVOKE, json={"token": issue.access_token}, headers={"Accept": "application/json"})
    assert refused.status_code == 401  # client authentication is required
    answer = await http.post(REVOKE, json={"token": issue.access_token}, headers=headers)
    assert answer.status_code == 200
    _invalid_grant(await _refresh(http, shared, issue.refresh_token))
    api = await http.get(
        f"/v3/company/{shared.realm_id}/companyinfo/1", headers={"Authorization": f"Bearer {issue.access_token}"}
    )
    assert api.status_code == 401 and api.json()["fault"]["error"][0]["code"] == "3200"


async def test_an_expired_access_token_gets_401_and_a_refresh_fixes_it(
    http: httpx.AsyncClient, shared: Sandbox
) -> None:
    issue = shared.intuit.consent()
    shared.clock.advance(3600)
    url = f"/v3/company/{shared.realm_id}/companyinfo/1"
    expired = await http.get(url, headers={"Authorization": f"Bearer {issue.access_token}"})
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"] == 'Bearer realm="Intuit", error="invalid_token"'
    fresh = (await _refresh(http, shared, issue.refresh_token)).json()["access_token"]
    assert (await http.get(url, headers={"Authorization": f"Bearer {fresh}"})).status_code == 200


async def test_rotation_every_24_hours_is_an_option() -> None:
    # §2.5 "Intuit says the value changes roughly every 24 hours"; §13.3 "issue a new refresh token on refresh
    # (every time, or every N hours by test clock)"
    from dataclasses import replace

    from inolink_tui.sandbox.options import IntuitPolicy

    sandbox = make_sandbox(records=0, intuit=replace(IntuitPolicy(), refresh_rotation_seconds=DAY))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        first = sandbox.intuit.consent()
        sandbox.clock.advance(3600)
        same = (await _refresh(http, sandbox, first.refresh_token)).json()
        assert same["refresh_token"] == first.refresh_token and same["access_token"] != first.access_token
        assert same["x_refresh_token_expires_in"] == 8_726_400  # the window rolled all the same
        sandbox.clock.advance(DAY)
        rotated = (await _refresh(http, sandbox, first.refresh_token)).json()
        assert rotated["refresh_token"] != first.refresh_token
        _invalid_grant(await _refresh(http, sandbox, first.refresh_token))
        assert (await _refresh(http, sandbox, rotated["refresh_token"])).json()["refresh_token"] == rotated[
            "refresh_token"
        ]


async def test_a_token_without_the_accounting_scope_is_forbidden(http: httpx.AsyncClient, shared: Sandbox) -> None:
    # §2.4: realmId comes only with accounting or payment scopes; a token without the accounting scope gets 403,
    # Fault 3100 in the lower-case envelope (captured in github.com/IntuitDeveloper/QBOConceptsTutorial-PHP/
    # issues/13 "The access token does not have sufficient scope", and github.com/minimul/qbo_api/issues/138)
    url = f"/v3/company/{shared.realm_id}/companyinfo/1"
    openid = (await _exchange(http, shared, await _code(http, shared, "openid email"))).json()
    denied = await http.get(url, headers={"Authorization": f"Bearer {openid['access_token']}"})
    assert denied.status_code == 403 and denied.headers["intuit-tid"]
    error = denied.json()["fault"]["error"][0]
    assert error["code"] == "3100" and "statusCode=403" in error["message"]
    assert denied.json()["fault"]["type"] == "SERVICE"
    profile = await http.get(
        "/v1/openid_connect/userinfo", headers={"Authorization": f"Bearer {openid['access_token']}"}
    )
    assert profile.status_code == 200  # the token itself is good: only the scope is missing
    both = await _exchange(http, shared, await _code(http, shared, "com.intuit.quickbooks.accounting openid"))
    allowed = await http.get(url, headers={"Authorization": f"Bearer {both.json()['access_token']}"})
    assert allowed.status_code == 200
