"""The cursors the services keep in the store, and where they start on a fresh database.

Shared by the CRM -> QuickBooks scan (one change cursor per Entity Type), High Priority (the QuickBooks CDC
cursor and its floor) and the runtime (each service's last run, to catch up a missed run after a restart).
Priming starts the change feeds at "now" and adopts the links CRM already records, so a new database neither
replays all history nor takes linked records for new ones.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import QBO_ENTITY_FOR, SYNCED_ENTITY_TYPES, EntityType, RecordLinkStatus
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.mapping import record_name
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.engine.concurrent import together
from inolink_tui.engine.ports import CdcResult
from inolink_tui.engine.sync_context import CycleContext, UsesContext

log = logging.getLogger(__name__)

NAMES_FIRST: tuple[EntityType, ...] = tuple(sorted(SYNCED_ENTITY_TYPES, key=lambda et: et.is_transaction))
"""Customers and products are enqueued before the transactions that need them."""
TWO_WAY: tuple[EntityType, ...] = (EntityType.ACCOUNT, EntityType.CONTACT, EntityType.PRODUCT)
CDC_CURSOR = "qbo_cdc"
CDC_FLOOR = "qbo_cdc_floor"
"""Where the feed was started: the overlap never reaches back before it (history is not replayed)."""
CDC_ENTITIES: tuple[str, ...] = ("Customer", "Item")


def last_run_cursor(service: str) -> str:
    """Where a service's last successful cycle start is kept, so a restart can catch up a missed run."""
    return f"service_last_run:{service}"


def crm_cursor_name(entity_type: EntityType) -> str:
    return f"crm_changes:{entity_type.value}"


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


class Cursors(UsesContext[CycleContext]):
    """Priming the change feeds on a fresh database."""

    async def prime(self) -> None:
        """Start the change feeds at "now" on a fresh database instead of replaying all history.

        The reads go out together, in two waves (on a fresh database they were a dozen round trips one after
        another before the first cycle): first every feed's "now" (CRM change tokens, QuickBooks CDC), then the
        links CRM records. Tokens first, so a record changed between the two reads is seen as a change after
        its adoption rather than missed; the store is then written in NAMES_FIRST order, each type's links
        before its cursor, so a start stopped half way primes the rest next time.
        """
        fresh = [et for et in NAMES_FIRST if await self.store.get_cursor(crm_cursor_name(et)) is None]
        cdc_fresh = await self.store.get_cursor(CDC_CURSOR) is None
        if not fresh and not cdc_fresh:
            return
        cdc = asyncio.ensure_future(self._cdc_now()) if cdc_fresh else None
        try:
            changes = await together([self.crm.changes(et, None) for et in fresh])
            cdc_result = await cdc if cdc is not None else None
        except BaseException:
            if cdc is not None:
                cdc.cancel()
                await asyncio.gather(cdc, return_exceptions=True)
            raise
        adopting = [et for et in fresh if et in TWO_WAY]
        linked = dict(zip(adopting, await together([self.crm.linked(et) for et in adopting]), strict=True))
        for et, found in zip(fresh, changes, strict=True):
            if et in linked:
                await self._adopt(et, linked[et])
            await self.store.set_cursor(crm_cursor_name(et), found.cursor)
        if cdc_result is not None:
            await self.store.set_cursor(CDC_FLOOR, cdc_result.time.isoformat())
            await self.store.set_cursor(CDC_CURSOR, cdc_result.time.isoformat())

    async def _cdc_now(self) -> CdcResult:
        return await self.qbo.cdc(list(CDC_ENTITIES), self.clock() - timedelta(seconds=1))

    async def adopt_links(self, et: EntityType) -> int:
        """Take over links CRM already records (Linked with an Accounting ID) into a fresh database.

        Without this, records linked before this engine ran (by InoLink, or an earlier database)
        would be invisible to change detection until they were promoted again.
        """
        return await self._adopt(et, await self.crm.linked(et))

    async def _adopt(self, et: EntityType, rows: Sequence[Mapping[str, Any]]) -> int:
        adopted = 0
        for row in rows:
            rid = str(row[PRIMARY_KEY[et]])
            qbo_id = str(row.get(self.options.schema.accounting_id) or "")
            if not qbo_id or await self.store.get_link(et, rid) is not None:
                continue
            version = row.get("versionnumber")
            await self.store.upsert_link(
                RecordLink(
                    entity_type=et,
                    crm_id=rid,
                    company=self.options.company,
                    link_status=RecordLinkStatus.LINKED,
                    qbo_entity=QBO_ENTITY_FOR[et],
                    qbo_id=qbo_id,
                    crm_version=str(version) if version is not None else None,
                    record_name=record_name(et, row),
                    updated_at=self.clock(),
                )
            )
            adopted += 1
        if adopted:
            log.info("adopted %d existing %s link(s) recorded in CRM", adopted, et.value)
        return adopted
