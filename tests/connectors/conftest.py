"""Fakes shared by the connector tests: a clock that jumps instead of sleeping, a token store in memory."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest


class FakeClock:
    """Monotonic time that advances only when someone sleeps (or a test calls `advance`)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MemoryTokenStore:
    def __init__(self, initial: dict[str, dict[str, Any]] | None = None) -> None:
        self.data: dict[str, dict[str, Any]] = copy.deepcopy(initial or {})
        self.saves: list[dict[str, Any]] = []
        self.fail_saves = False

    def load(self, key: str) -> dict[str, Any] | None:
        value = self.data.get(key)
        return copy.deepcopy(value) if value is not None else None

    def save(self, key: str, value: dict[str, Any]) -> None:
        if self.fail_saves:
            raise OSError("disk full")
        self.data[key] = copy.deepcopy(value)
        self.saves.append(copy.deepcopy(value))


class StaticTokens:
    """A TokenSource handing out numbered tokens; `invalidate` moves to the next one."""

    def __init__(self) -> None:
        self.generation = 1
        self.invalidated: list[str] = []

    async def access_token(self) -> str:
        return f"token-{self.generation}"

    async def invalidate(self, token: str) -> None:
        self.invalidated.append(token)
        if token == f"token-{self.generation}":
            self.generation += 1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def tokens() -> StaticTokens:
    return StaticTokens()
