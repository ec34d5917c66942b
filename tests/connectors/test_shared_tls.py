"""Both API clients of a process share one TLS context (issue 18 item 3): httpx builds one per AsyncClient, and
loading the CA bundle is about 18 ms of CPU each, before the daemon's first cycle."""

from __future__ import annotations

import ssl

import pytest

from inolink_tui.connectors import transport
from inolink_tui.connectors.quickbooks import QuickBooksClient
from inolink_tui.connectors.settings import QuickBooksClientSettings
from tests.connectors.conftest import FakeClock, StaticTokens
from tests.connectors.test_dataverse_client import make_client


async def test_the_clients_build_one_verifying_context_between_them(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counting(*args: object, **kwargs: object) -> ssl.SSLContext:
        context = real(*args, **kwargs)  # type: ignore[arg-type]
        made.append(context)
        return context

    monkeypatch.setattr(ssl, "create_default_context", counting)  # where httpx makes every verifying context
    transport.shared_tls.cache_clear()
    try:
        settings = QuickBooksClientSettings("sandbox", "id", "secret", "123", api_base_url="https://qbo.example")
        async with make_client(FakeClock(), StaticTokens()), QuickBooksClient(settings, tokens=StaticTokens()):
            pass
        async with make_client(FakeClock(), StaticTokens()):
            pass
    finally:
        transport.shared_tls.cache_clear()
    assert len(made) == 1
    assert made[0].verify_mode is ssl.CERT_REQUIRED and made[0].check_hostname
