"""The org's metadata is read at once, not one table after another: it is on every engine's start path.

One after another, the 24 metadata reads of the start-up schema check took about a second against the local
sandbox (a round trip each), and several seconds against a real org, on every start and restart of the daemon.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.domain.crm_requirements import Kind, requirements
from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA
from inolink_tui.domain.crm_setup_plan import AttributeState, TableState
from inolink_tui.domain.errors import ErrorFacts, Service
from inolink_tui.engine.crm_setup import read_org

REQ = requirements(DEFAULT_SCHEMA)
PICKLISTS = {(c.table, c.logical_name) for c in REQ.columns if c.kind is Kind.PICKLIST}


class SlowOrg:
    """Every table exists with its picklist columns; each read takes a round trip; in-flight reads are counted."""

    def __init__(self, fail: str | None = None) -> None:
        self.in_flight = 0
        self.most = 0
        self.ended: list[str] = []
        self.fail = fail

    async def _trip(self, what: str) -> None:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.02)
            if what == self.fail:
                raise ConnectorError(ErrorFacts(Service.DATAVERSE, 503, "unavailable", f"{what}: HTTP 503"))
        finally:
            self.in_flight -= 1
            self.ended.append(what)

    async def table(self, logical_name: str) -> TableState | None:
        await self._trip(logical_name)
        attributes = {name: AttributeState(name, "Picklist") for table, name in PICKLISTS if table == logical_name}
        return TableState(logical_name, f"{logical_name}s", True, attributes)

    async def options(self, table: str, attribute: str) -> dict[int, str]:
        await self._trip(f"{table}.{attribute}")
        return {100000000: f"{table}.{attribute}"}


async def test_tables_then_choice_options_are_each_read_at_once() -> None:
    org = SlowOrg()
    found: Any = await read_org(org, REQ)  # type: ignore[arg-type]
    assert set(found) == set(REQ.all_tables())
    for table, name in PICKLISTS:
        assert found[table].attributes[name].options == {100000000: f"{table}.{name}"}, (table, name)
    assert org.most >= len(REQ.all_tables()), f"at most {org.most} reads in flight"


async def test_a_failed_read_is_raised_after_every_other_read_has_ended() -> None:
    org = SlowOrg(fail=REQ.all_tables()[0])
    with pytest.raises(ConnectorError, match="HTTP 503"):
        await read_org(org, REQ)  # type: ignore[arg-type]
    assert org.in_flight == 0 and len(org.ended) == len(REQ.all_tables())
