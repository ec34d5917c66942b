"""Live mode's CRM probe against the sandbox over HTTP (one stack for the module): the six tables' change tracking is
one `$batch`, one request as Dataverse counts it; a change in any table is seen; an expired delta link in one part
is read again on its own; a batch refused whole makes the probe read table by table."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from urllib.parse import quote

import pytest
import pytest_asyncio

from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.errors import DataverseError
from inolink_tui.connectors.settings import dataverse_settings_from
from inolink_tui.domain.enums import CRM_ENTITY_SET_FOR, EntityType
from inolink_tui.domain.errors import ErrorFacts, Service
from inolink_tui.engine.adapters import DataverseCrm
from inolink_tui.engine.cursors import NAMES_FIRST, crm_cursor_name
from inolink_tui.engine.live_probe import CrmProbe, ProbeRead
from inolink_tui.engine.options import EngineOptions
from tests.engine.sandbox_stack import Stack, stack

pytestmark = [pytest.mark.timeout(120), pytest.mark.asyncio(loop_scope="module")]
EDIT = {
    EntityType.ACCOUNT: {"telephone1": "(650) 555-0199"},
    EntityType.CONTACT: {"lastname": "Probed"},
    EntityType.PRODUCT: {"name": "Probed Widget"},
    EntityType.QUOTE: {"name": "Probed Quote"},
    EntityType.ORDER: {"name": "Probed Order"},
    EntityType.INVOICE: {"name": "Probed Invoice"},
}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def s(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with stack(Path(tmp_path_factory.mktemp("probe")), records=4) as s:
        yield s


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crm(s: Stack) -> AsyncIterator[DataverseCrm]:
    client = DataverseClient(dataverse_settings_from(s.settings.crm))
    try:
        yield DataverseCrm(client, EngineOptions.from_settings(s.settings).schema)
    finally:
        await client.aclose()


async def _primed(s: Stack, crm: DataverseCrm) -> CrmProbe:
    """A probe reading from fresh scan cursors (as a cycle leaves them)."""
    for et in NAMES_FIRST:
        started = await crm.changes(et, None)
        await s.store.set_cursor(crm_cursor_name(et), started.cursor)
    return CrmProbe(crm, s.store)


def _dataverse_requests(s: Stack) -> list[str]:
    return [f"{r.method} {r.path}" for r in s.handle.sandbox.stats.log if r.api == "dataverse"]


async def test_a_quiet_probe_reads_the_six_tables_in_one_request(s: Stack, crm: DataverseCrm) -> None:
    probe = await _primed(s, crm)
    assert probe.batched is crm
    s.handle.sandbox.stats.reset()
    assert await probe.changed() is False
    assert await probe.changed() is False  # and again from the links the first look returned
    assert _dataverse_requests(s) == ["POST /api/data/v9.2/$batch"] * 2


@pytest.mark.parametrize("entity_type", NAMES_FIRST, ids=lambda et: et.name.lower())
async def test_a_change_in_any_table_is_found(s: Stack, crm: DataverseCrm, entity_type: EntityType) -> None:
    probe = await _primed(s, crm)
    assert await probe.changed() is False
    entity_set = CRM_ENTITY_SET_FOR[entity_type]
    row = s.dv.rows(entity_set)[0]
    s.dv.update_row(entity_set, str(row[s.dv.tables[entity_set].primary_key]), EDIT[entity_type])
    s.handle.sandbox.stats.reset()
    assert await probe.changed() is True
    assert _dataverse_requests(s) == ["POST /api/data/v9.2/$batch"]


def _expire(link: str) -> str:
    return re.sub(r"\$deltatoken=[^&]+", "$deltatoken=" + quote("1!01/01/2000 00:00:00", safe=""), link)


async def test_an_expired_delta_link_in_one_part_is_read_again_alone(s: Stack, crm: DataverseCrm) -> None:
    probe = await _primed(s, crm)
    name = crm_cursor_name(EntityType.CONTACT)
    expired = _expire(str(await s.store.get_cursor(name)))
    await s.store.set_cursor(name, expired)
    s.handle.sandbox.stats.reset()
    assert await probe.changed() is False, "the other five tables were read, and the contacts restarted"
    requests = _dataverse_requests(s)
    assert requests[0] == "POST /api/data/v9.2/$batch"
    assert all(r.startswith("GET /api/data/v9.2/contacts") for r in requests[1:]) and len(requests) >= 2
    # The contacts now read from a fresh link: the next look is one batch again, and sees a contact's change.
    contact = s.dv.rows("contacts")[0]
    s.dv.update_row("contacts", str(contact["contactid"]), {"lastname": "Renamed After Expiry"})
    s.handle.sandbox.stats.reset()
    assert await probe.changed() is True
    assert _dataverse_requests(s) == ["POST /api/data/v9.2/$batch"]


class _RefusingCrm(DataverseCrm):
    """Dataverse refusing change tracking inside a batch (the docs do not promise it)."""

    async def probe_changes(self, cursors: Mapping[EntityType, str]) -> dict[EntityType, ProbeRead]:
        raise DataverseError(ErrorFacts(Service.DATAVERSE, 400, "0x80060888", "not supported in a batch"))


async def test_a_batch_refused_whole_makes_the_probe_read_table_by_table(s: Stack, crm: DataverseCrm) -> None:
    await _primed(s, crm)
    probe = CrmProbe(_RefusingCrm(crm.client, crm.schema), s.store)
    s.handle.sandbox.stats.reset()
    assert await probe.changed() is False
    assert probe.batched is None, "batching stops for good"
    gets = _dataverse_requests(s)
    assert len(gets) == 6 and all(g.startswith("GET ") for g in gets)
