"""Token handling rules of the QuickBooks provider, with intuit-oauth replaced by a fake (no server)."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import pytest
import requests
from intuitlib.exceptions import AuthClientError

from inolink_tui.connectors import qbo_auth
from inolink_tui.connectors.errors import AuthError, ReauthorizationRequired, TransportError
from inolink_tui.connectors.events import AuthProblem, AuthRestored
from inolink_tui.connectors.qbo_auth import QuickBooksTokenProvider
from inolink_tui.connectors.settings import QuickBooksClientSettings
from tests.connectors.conftest import MemoryTokenStore

KEY = "quickbooks:123"


def oauth_error(status: int, body: bytes) -> AuthClientError:
    response = requests.Response()
    response.status_code = status
    response._content = body
    return AuthClientError(response)


class FakeAuthClient:
    """Stands in for intuit-oauth: rotates the refresh token on every refresh, like the real service."""

    instances: ClassVar[list[FakeAuthClient]] = []
    valid: ClassVar[set[str]] = {"rt-0"}
    fail_with: ClassVar[Exception | None] = None
    order: ClassVar[list[str]] = []

    def __init__(self, *args: Any, timeout: float, **kwargs: Any) -> None:
        self.timeout = timeout
        self.refreshes = 0
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.expires_in: int | None = None
        self.x_refresh_token_expires_in: int | None = None
        FakeAuthClient.instances.append(self)

    def refresh(self, refresh_token: str) -> None:
        FakeAuthClient.order.append("refresh")
        if FakeAuthClient.fail_with is not None:
            raise FakeAuthClient.fail_with
        if refresh_token not in FakeAuthClient.valid:
            raise oauth_error(400, b'{"error_description":"Token invalid","error":"invalid_grant"}')
        self.refreshes += 1
        FakeAuthClient.valid = {f"rt-{len(FakeAuthClient.order)}"}
        self.refresh_token = next(iter(FakeAuthClient.valid))
        self.access_token = f"at-{len(FakeAuthClient.order)}"
        self.expires_in = 3600
        self.x_refresh_token_expires_in = 8726400


@pytest.fixture(autouse=True)
def fake_intuit(monkeypatch: pytest.MonkeyPatch) -> None:
    FakeAuthClient.instances = []
    FakeAuthClient.valid = {"rt-0"}
    FakeAuthClient.fail_with = None
    FakeAuthClient.order = []
    monkeypatch.setattr(qbo_auth, "TimeoutAuthClient", FakeAuthClient)
    monkeypatch.setattr(qbo_auth, "STORE_RECHECK_SECONDS", 0.0)


class OrderedStore(MemoryTokenStore):
    def save(self, key: str, value: dict[str, Any]) -> None:
        FakeAuthClient.order.append(f"save:{value['access_token']}")
        super().save(key, value)


def settings() -> QuickBooksClientSettings:
    return QuickBooksClientSettings(
        environment="http://127.0.0.1:1/disc", client_id="c", client_secret="s", realm_id="123"
    )


async def test_refresh_saves_the_rotated_token_before_handing_out_the_access_token() -> None:
    store = OrderedStore({KEY: {"refresh_token": "rt-0", "realm_id": "123"}})
    provider = QuickBooksTokenProvider(settings(), store)
    token = await provider.access_token()
    assert token == "at-1"
    assert FakeAuthClient.order == ["refresh", "save:at-1"]
    saved = store.data[KEY]
    assert saved["refresh_token"] == "rt-1" and saved["access_token"] == "at-1"
    assert provider.access_expires_at is not None and provider.refresh_expires_at is not None
    assert (provider.refresh_expires_at - provider.access_expires_at).days > 90
    assert await provider.access_token() == "at-1"  # cached while valid
    assert FakeAuthClient.instances[0].timeout == 30.0


async def test_a_failed_save_never_hands_out_the_new_token_and_is_retried() -> None:
    store = MemoryTokenStore({KEY: {"refresh_token": "rt-0", "realm_id": "123"}})
    store.fail_saves = True
    provider = QuickBooksTokenProvider(settings(), store)
    with pytest.raises(AuthError, match="could not save"):
        await provider.access_token()
    store.fail_saves = False
    assert await provider.access_token() == "at-1"  # saved now, without a second refresh
    assert FakeAuthClient.order == ["refresh"]
    assert store.data[KEY]["refresh_token"] == "rt-1"


async def test_invalid_grant_pauses_with_one_event_and_no_more_requests() -> None:
    events: list[object] = []
    store = MemoryTokenStore({KEY: {"refresh_token": "revoked", "realm_id": "123"}})
    provider = QuickBooksTokenProvider(settings(), store, events=events.append)
    for _ in range(5):
        with pytest.raises(ReauthorizationRequired):
            await provider.access_token()
    assert FakeAuthClient.order == ["refresh"]  # one refused refresh, then fail-fast
    assert [type(e) for e in events] == [AuthProblem]
    assert provider.needs_reauthorization
    # someone runs `auth quickbooks`: new tokens appear in the store
    store.data[KEY] = {"refresh_token": "rt-0", "realm_id": "123"}
    assert await provider.access_token() == "at-2"
    assert isinstance(events[-1], AuthRestored) and not provider.needs_reauthorization


async def test_missing_tokens_need_authorization() -> None:
    provider = QuickBooksTokenProvider(settings(), MemoryTokenStore())
    with pytest.raises(ReauthorizationRequired, match="no QuickBooks tokens"):
        await provider.access_token()


async def test_newer_tokens_saved_by_another_process_are_adopted() -> None:
    store = MemoryTokenStore({KEY: {"refresh_token": "rt-0", "realm_id": "123"}})
    provider = QuickBooksTokenProvider(settings(), store)
    await provider.access_token()
    other = QuickBooksTokenProvider(settings(), store)
    await other.refresh()  # rotates rt-1 -> rt-2 and saves
    await provider.invalidate("at-1")
    assert await provider.access_token() == other.tokens.access_token  # type: ignore[union-attr]
    assert FakeAuthClient.order.count("refresh") == 2  # adopted, not refreshed with the dead rt-1


async def test_invalidate_forces_a_refresh_only_for_the_current_token() -> None:
    store = MemoryTokenStore({KEY: {"refresh_token": "rt-0", "realm_id": "123"}})
    provider = QuickBooksTokenProvider(settings(), store)
    first = await provider.access_token()
    await provider.invalidate("some-older-token")
    assert await provider.access_token() == first
    await provider.invalidate(first)
    assert await provider.access_token() != first


async def test_other_oauth_errors_and_network_failures_are_typed() -> None:
    store = MemoryTokenStore({KEY: {"refresh_token": "rt-0", "realm_id": "123"}})
    provider = QuickBooksTokenProvider(settings(), store)
    FakeAuthClient.fail_with = oauth_error(401, b'{"error":"invalid_client"}')
    with pytest.raises(AuthError) as info:
        await provider.access_token()
    assert info.value.code == "invalid_client" and not isinstance(info.value, ReauthorizationRequired)
    FakeAuthClient.fail_with = requests.ConnectTimeout("slow")
    with pytest.raises(TransportError):
        await provider.access_token()
    FakeAuthClient.fail_with = None
    assert await provider.access_token()


def test_tokens_json_round_trip() -> None:
    tokens = qbo_auth.QuickBooksTokens.from_json(
        {"refresh_token": "r", "access_expires_at": "2026-01-01T00:00:00+00:00", "updated_at": "garbage"}, "9"
    )
    assert tokens is not None and tokens.realm_id == "9" and tokens.updated_at is None
    assert qbo_auth.QuickBooksTokens.from_json(tokens.to_json(), "9") == tokens
    assert qbo_auth.QuickBooksTokens.from_json({"refresh_token": ""}, "9") is None


async def test_concurrent_callers_share_one_refresh() -> None:
    store = MemoryTokenStore({KEY: {"refresh_token": "rt-0", "realm_id": "123"}})
    provider = QuickBooksTokenProvider(settings(), store)
    tokens = await asyncio.gather(*(provider.access_token() for _ in range(20)))
    assert set(tokens) == {"at-1"}
    assert FakeAuthClient.order == ["refresh"]  # a second refresh with rt-0 would have been refused
    await asyncio.gather(*(provider.invalidate("at-1") for _ in range(5)))
    tokens = await asyncio.gather(*(provider.access_token() for _ in range(20)))
    assert set(tokens) == {"at-2"} and FakeAuthClient.order == ["refresh", "refresh"]
