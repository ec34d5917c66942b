"""doctor's token findings read the QuickBooks provider's expiries (by its type, not by attribute probing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from inolink_tui.connectors.qbo_auth import QuickBooksTokenProvider, QuickBooksTokens
from inolink_tui.connectors.settings import QuickBooksClientSettings
from inolink_tui.domain.jobs import utcnow
from inolink_tui.engine.doctor import _tokens
from tests.connectors.conftest import MemoryTokenStore


@dataclass
class StubClient:
    token_provider: object


def _settings() -> QuickBooksClientSettings:
    return QuickBooksClientSettings(
        environment="http://127.0.0.1:1/disc", client_id="c", client_secret="s", realm_id="123"
    )


async def test_expiring_refresh_token_and_consent_are_problems_with_fixes() -> None:
    settings = _settings()
    now = utcnow()
    saved = QuickBooksTokens(
        "rt",
        "123",
        refresh_expires_at=now + timedelta(days=3, hours=1),
        refresh_hard_expires_at=now + timedelta(days=30, hours=1),
    )
    provider = QuickBooksTokenProvider(settings, MemoryTokenStore({settings.token_key: saved.to_json()}))
    await provider.load()
    refresh, consent = _tokens(StubClient(provider))  # type: ignore[arg-type]
    assert not refresh.ok and "refresh token valid for 3 more days" in refresh.message
    assert not consent.ok and "the consent ends in 30 days" in consent.message
    assert "auth quickbooks" in consent.fix


async def test_tokens_far_from_expiry_are_fine_and_none_saved_says_nothing() -> None:
    settings = _settings()
    now = utcnow()
    saved = QuickBooksTokens(
        "rt", "123", refresh_expires_at=now + timedelta(days=90), refresh_hard_expires_at=now + timedelta(days=1000)
    )
    provider = QuickBooksTokenProvider(settings, MemoryTokenStore({settings.token_key: saved.to_json()}))
    await provider.load()
    assert [f.ok for f in _tokens(StubClient(provider))] == [True, True]  # type: ignore[arg-type]
    empty = QuickBooksTokenProvider(settings, MemoryTokenStore())
    assert _tokens(StubClient(empty)) == []  # type: ignore[arg-type]


def test_a_provider_without_expiries_gives_no_finding() -> None:
    class StaticToken:
        async def access_token(self) -> str:
            return "t"

        async def invalidate(self, token: str) -> None:
            pass

    assert _tokens(StubClient(StaticToken())) == []  # type: ignore[arg-type]
