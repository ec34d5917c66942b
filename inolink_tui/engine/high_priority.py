"""The High Priority service (QuickBooks -> CRM): QuickBooks CDC since the cursor for Customer and Item, and
(engine/money_services.py) Invoice, Payment, CreditMemo, Estimate and SalesReceipt for money back to CRM.

Each change becomes a Link Job of Source Accounting (parents before sub-customers, so a sub-customer's job
can wait for its parent's), then the jobs are drained. A change carrying the SyncToken the record link
remembers is our own write coming back: skipped and counted as an echo. CDC has no paging, so a capped answer
is followed up in the same cycle from where each group stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import EntityType, Operation, RecordLinkStatus, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.domain.mapping import customer_entity_type
from inolink_tui.engine.cursors import CDC_CURSOR, CDC_ENTITIES, CDC_FLOOR, Cursors, parse_time
from inolink_tui.engine.money_services import MONEY_CDC_ENTITIES, money_back
from inolink_tui.engine.payment_jobs import payment_job
from inolink_tui.engine.qbo_transactions import transaction_jobs
from inolink_tui.engine.sync_context import CycleContext, CycleTally, UsesContext
from inolink_tui.engine.workers import DrainCounts, WorkerPool, drain_after_failure

log = logging.getLogger(__name__)

CDC_OVERLAP = timedelta(seconds=2)
CDC_MAX_LOOKBACK = timedelta(days=29)
CDC_PAGE_LIMIT = 1000
"""QuickBooks returns at most 1,000 objects per CDC answer and offers no paging."""
CDC_MAX_ROUNDS = 50


def _resume_point(entities: Mapping[str, list[dict[str, Any]]]) -> datetime | None:
    """The earliest of each group's latest LastUpdatedTime (groups come sorted by it)."""
    latest: list[datetime] = []
    for objects in entities.values():
        times = [t for o in objects if (t := parse_time((o.get("MetaData") or {}).get("LastUpdatedTime")))]
        if times:
            latest.append(max(times))
    return min(latest) if latest else None


class HighPriority(UsesContext[CycleContext]):
    """One High Priority cycle: read the CDC feed, enqueue what changed, drain."""

    def __init__(self, ctx: CycleContext, cursors: Cursors, pool: WorkerPool) -> None:
        super().__init__(ctx)
        self.cursors = cursors
        self.pool = pool

    async def run(self, tally: CycleTally) -> DrainCounts:
        try:
            await self._scan(tally)
        except Exception as exc:
            if not tally.enqueued or self.ctx.stopping.is_set():
                raise
            # A later CDC round or the money write-back broke after jobs were queued: they still run in this cycle
            # (not left Queued, never attempted, until the next one); then the cycle reports the error.
            wait = self.options.once_wait_seconds
            raise await drain_after_failure(self.pool, exc, wait_seconds=wait, stop=self.ctx.stopping) from exc
        return await self.pool.drain(wait_seconds=self.options.once_wait_seconds, stop=self.ctx.stopping)

    async def _scan(self, tally: CycleTally) -> None:
        """Read the CDC feed round by round and enqueue what changed (and record the money it brings)."""
        await self.cursors.prime()
        since = parse_time(await self.store.get_cursor(CDC_CURSOR)) or self.clock()
        floor = max(
            self.clock() - CDC_MAX_LOOKBACK,
            parse_time(await self.store.get_cursor(CDC_FLOOR)) or since - CDC_OVERLAP,
        )
        asked = max(since - CDC_OVERLAP, floor)
        seen: set[tuple[str, str, str]] = set()
        for _ in range(CDC_MAX_ROUNDS):
            money = money_back(self.crm, self.qbo, self.store, self.options, self.clock)
            asked_for = [*CDC_ENTITIES, *(MONEY_CDC_ENTITIES if money is not None else ())]
            result = await self.qbo.cdc(asked_for, asked)
            await self._enqueue_cdc(result.entities, tally)
            if money is not None:
                now = self.clock()
                payments = money.payments_to_record(result.entities)
                tally.enqueued += await self.ctx.enqueue([payment_job(p, self.options.company, now) for p in payments])
                # Invoice status, QuickBooks-entered transactions and deleted payments: Link Jobs too.
                more = await transaction_jobs(money.crm, self.store, self.options, result.entities, now)
                tally.enqueued += await self.ctx.enqueue(more)
            total = sum(len(v) for v in result.entities.values())
            keys = {(e, str(o.get("Id")), str(o.get("SyncToken"))) for e, objs in result.entities.items() for o in objs}
            fresh = bool(keys - seen)
            seen |= keys
            if total < CDC_PAGE_LIMIT:
                await self.store.set_cursor(CDC_CURSOR, result.time.isoformat())
                break
            # A full answer may be cut short (CDC has no paging): continue from the oldest of the
            # groups' newest changes, so no group skips what it did not return.
            resume = _resume_point(result.entities)
            if resume is None or not fresh:
                log.warning("QuickBooks CDC returned %d objects without moving forward; continuing next cycle", total)
                await self.store.set_cursor(CDC_CURSOR, result.time.isoformat())
                break
            await self.store.set_cursor(CDC_CURSOR, resume.isoformat())
            # QuickBooks times have whole seconds: step back one so nothing sharing that second is lost.
            asked = resume - timedelta(seconds=1)

    async def _enqueue_cdc(self, entities: Mapping[str, list[dict[str, Any]]], tally: CycleTally) -> None:
        # Parents before sub-customers, so a sub-customer's job can wait for its parent's job.
        parents: dict[str, NewJob] = {}
        firsts: list[NewJob] = []
        subs: list[tuple[str, NewJob]] = []
        for entity in CDC_ENTITIES:
            for obj in entities.get(entity, []):
                if obj.get("status") == "Deleted":
                    continue
                new, echo = await self._accounting_job(entity, obj)
                tally.echoes += echo
                if new is None:
                    continue
                parent = (obj.get("ParentRef") or {}).get("value") if entity == "Customer" else None
                if parent:
                    subs.append((str(parent), new))
                else:
                    firsts.append(new)
                    if entity == "Customer":
                        parents[str(obj["Id"])] = new
        tally.enqueued += await self.ctx.enqueue(firsts)
        later: list[NewJob] = []
        for parent_id, new in subs:
            depends = None
            if parent_id in parents:
                # Enqueue is idempotent: asking again returns the parent's open job id.
                again = await self.store.enqueue([parents[parent_id]], now=self.clock())
                depends = (again.existing or again.created or (None,))[0]
            later.append(replace(new, depends_on=depends))
        tally.enqueued += await self.ctx.enqueue(later)

    async def _accounting_job(self, entity: str, obj: Mapping[str, Any]) -> tuple[NewJob | None, int]:
        qbo_id = str(obj["Id"])
        token = str(obj.get("SyncToken")) if obj.get("SyncToken") is not None else None
        name = str(obj.get("DisplayName") or obj.get("Name") or "")
        link = await self.store.find_link_by_qbo(entity, qbo_id, self.options.company)
        submitted = parse_time((obj.get("MetaData") or {}).get("LastUpdatedTime")) or self.clock()
        if link is not None:
            if link.link_status is RecordLinkStatus.UNLINKED:
                return None, 0
            if link.is_echo_from_qbo(token):
                return None, 1
            et, crm_id, operation = link.entity_type, link.crm_id, Operation.UPDATE
        else:
            if not self.options.create_from_quickbooks or obj.get("Active") is False:
                return None, 0
            et = customer_entity_type(obj) if entity == "Customer" else EntityType.PRODUCT
            crm_id, operation = "", Operation.CREATE
        return (
            NewJob(
                entity_type=et,
                source=Source.ACCOUNTING,
                crm_record_id=crm_id,
                record_name=name,
                company=self.options.company,
                operation=operation,
                submitted_by="QuickBooks",
                submitted_at=submitted,
                qbo_entity=entity,
                qbo_id=qbo_id,
            ),
            0,
        )
