from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.events import Event
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.runtime import Engine
from tests.engine.fakes import FakeClock, FakeCrm, FakeQbo
from tests.engine.memstore import MemStore

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
    store: MemStore
    engine: Engine
    events: list[Event]

    def rebuild(self, **overrides: Any) -> Engine:
        """A fresh engine over the same systems and store (a restart, or other options)."""
        self.engine = Engine(
            self.store, self.crm, self.qbo, replace(self.engine.options, **overrides), clock=self.clock
        )
        self.engine.bus.on(self.events.append)
        return self.engine

    def jobs(self, **match: Any) -> list[Any]:
        return [j for j in self.store.jobs.values() if all(getattr(j, k) == v for k, v in match.items())]

    def account(self, name: str, *, promote: bool = True, user: str = "u-admin", **cols: Any) -> str:
        rid = self.crm.add(EntityType.ACCOUNT, name=name, **cols)
        if promote:
            self.crm.promote(EntityType.ACCOUNT, rid, user=user)
        return rid


@pytest.fixture
def world() -> World:
    clock = FakeClock()
    crm, qbo, store = FakeCrm(clock), FakeQbo(clock), MemStore()
    events: list[Event] = []
    engine = Engine(store, crm, qbo, OPTIONS, clock=clock)
    engine.bus.on(events.append)
    return World(clock, crm, qbo, store, engine, events)
