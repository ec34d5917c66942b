"""Closing an API client closes its token source too when that holds resources (typed: `ClosableTokens`)."""

from __future__ import annotations

from inolink_tui.connectors.transport import ClosableTokens
from tests.connectors.conftest import FakeClock, StaticTokens
from tests.connectors.test_dataverse_client import make_client


class ClosingTokens(StaticTokens):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


async def test_a_token_source_with_close_is_closed_with_the_client() -> None:
    tokens = ClosingTokens()
    assert isinstance(tokens, ClosableTokens)
    async with make_client(FakeClock(), tokens):
        pass
    assert tokens.closed == 1


async def test_a_token_source_without_close_is_left_alone() -> None:
    tokens = StaticTokens()
    assert not isinstance(tokens, ClosableTokens)
    async with make_client(FakeClock(), tokens):
        pass
