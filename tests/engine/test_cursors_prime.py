"""Priming a fresh database: the feeds' "now" and CRM's recorded links read in two concurrent waves (issue 18
item 3: the daemon's first cycle paid a dozen round trips one after another), tokens before links."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.engine.cursors import CDC_CURSOR, NAMES_FIRST, TWO_WAY, crm_cursor_name
from tests.engine.conftest import World
from tests.engine.fakes import LINKED


class InFlight:
    """Wraps reads: logs each start and end, and the most reads outstanding at once."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0
        self.log: list[str] = []

    def wrap(self, name: str, read: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapped(*args: Any) -> Any:
            self.now += 1
            self.most = max(self.most, self.now)
            self.log.append(f"start {name}")
            try:
                for _ in range(3):  # a round trip: let every other ready read start meanwhile
                    await asyncio.sleep(0)
                return await read(*args)
            finally:
                self.now -= 1
                self.log.append(f"end {name}")

        return wrapped


async def test_a_fresh_database_is_primed_in_two_concurrent_waves(world: World) -> None:
    rid = world.crm.add(EntityType.ACCOUNT, name="Old Friend", ino_linkstatus=LINKED, ino_accountingid="77")
    flight = InFlight()
    world.crm.changes = flight.wrap("changes", world.crm.changes)  # type: ignore[method-assign]
    world.crm.linked = flight.wrap("linked", world.crm.linked)  # type: ignore[method-assign]
    world.qbo.cdc = flight.wrap("cdc", world.qbo.cdc)  # type: ignore[method-assign]

    await world.engine.cycles.prime_cursors()

    starts = [entry for entry in flight.log if entry.startswith("start")]
    assert starts.count("start changes") == len(NAMES_FIRST) and starts.count("start linked") == len(TWO_WAY)
    assert flight.most >= len(NAMES_FIRST)  # the tokens (and the CDC read) at once, not one after another
    first_link = flight.log.index("start linked")
    assert all(entry != "start changes" for entry in flight.log[first_link:])  # every token before any link read
    assert "end changes" in flight.log[:first_link]
    link = await world.store.get_link(EntityType.ACCOUNT, rid)
    assert link is not None and link.qbo_id == "77"
    for et in NAMES_FIRST:
        assert await world.store.get_cursor(crm_cursor_name(et)) is not None
    assert await world.store.get_cursor(CDC_CURSOR) is not None

    flight.log.clear()
    await world.engine.cycles.prime_cursors()
    assert flight.log == []  # primed once: a later start reads nothing
