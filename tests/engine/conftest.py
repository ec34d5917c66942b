from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.events import Event
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.runtime import Engine
from inolink_tui.store import open_store
from inolink_tui.store.base import JobStore
from tests.engine.fakes import FakeClock, FakeCrm, FakeQbo
from tests.fakes.memstore import MemoryStore

OPTIONS = EngineOptions(
    company="9130",
    workers=3,
    dependency_poll_seconds=0.01,
    once_wait_seconds=3.0,
    backoff_base_seconds=0.01,
    max_attempts=3,
)


@dataclass
class World:
    clock: FakeClock
    crm: FakeCrm
    qbo: FakeQbo
    store: JobStore
    engine: Engine
    events: list[Event]

    def rebuild(self, **overrides: Any) -> Engine:
        """A fresh engine over the same systems and store (a restart, or other options)."""
        self.engine = Engine(
            self.store, self.crm, self.qbo, replace(self.engine.options, **overrides), clock=self.clock
        )
        self.engine.bus.on(self.events.append)
        return self.engine

    async def all_jobs(self) -> list[LinkJob]:
        page = await self.store.page(JobFilter(), JobSort("id", descending=False), limit=1_000_000)
        return list(page.jobs)

    async def jobs(self, **match: Any) -> list[LinkJob]:
        return [j for j in await self.all_jobs() if all(getattr(j, k) == v for k, v in match.items())]

    def account(self, name: str, *, promote: bool = True, user: str = "u-admin", **cols: Any) -> str:
        rid = self.crm.add(EntityType.ACCOUNT, name=name, **cols)
        if promote:
            self.crm.promote(EntityType.ACCOUNT, rid, user=user)
        return rid


@pytest.fixture(params=["memory", "sqlite"])
async def world(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[World]:
    """The same scenarios against the in-memory store and the real SQLite store."""
    clock = FakeClock()
    crm, qbo = FakeCrm(clock), FakeQbo(clock)
    store: JobStore = MemoryStore() if request.param == "memory" else await open_store(tmp_path / "jobs.db")
    events: list[Event] = []
    engine = Engine(store, crm, qbo, OPTIONS, clock=clock)
    engine.bus.on(events.append)
    yield World(clock, crm, qbo, store, engine, events)
    await store.close()
