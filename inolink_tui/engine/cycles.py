"""The three InoLink services as cycles: find work, enqueue it as Link Jobs, drain the queue.

- CRM to QuickBooks: records promoted ('To be Linked') and linked names changed in CRM since the
  last cycle (transactions are pushed once: a later edit is reported, not pushed);
- High Priority (QuickBooks -> CRM): QuickBooks CDC since the cursor for Customer and Item;
- Low Priority: open balance and overdue buckets written to linked CRM accounts.
Our own writes coming back through either change feed are recognised by the row version / SyncToken
the record link remembers, and skipped (counted as echoes).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA
from inolink_tui.domain.enums import (
    QBO_ENTITY_FOR,
    EntityType,
    Operation,
    RecordLinkStatus,
    Source,
)
from inolink_tui.domain.events import CycleFinished, CycleStarted, EventBus, JobCreated, RecordNotice
from inolink_tui.domain.jobs import NewJob, utcnow
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.mapping import customer_entity_type, record_name
from inolink_tui.domain.mapping.records import PRIMARY_KEY, customer_of
from inolink_tui.engine.mirror import JobMirror
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LOW_PRIORITY, EngineOptions
from inolink_tui.engine.ports import AccountingPort, CrmPort
from inolink_tui.engine.processor import Outcome, Processor
from inolink_tui.engine.workers import DrainCounts, WorkerPool
from inolink_tui.store.base import JobStore

log = logging.getLogger(__name__)

NAMES_FIRST: tuple[EntityType, ...] = (
    EntityType.ACCOUNT,
    EntityType.CONTACT,
    EntityType.PRODUCT,
    EntityType.QUOTE,
    EntityType.ORDER,
    EntityType.INVOICE,
)
"""Customers and products are enqueued before the transactions that need them."""
TWO_WAY: tuple[EntityType, ...] = (EntityType.ACCOUNT, EntityType.CONTACT, EntityType.PRODUCT)
CDC_CURSOR = "qbo_cdc"
CDC_FLOOR = "qbo_cdc_floor"
"""Where the feed was started: the overlap never reaches back before it (history is not replayed)."""
CDC_ENTITIES: tuple[str, ...] = ("Customer", "Item")
CDC_OVERLAP = timedelta(seconds=2)
CDC_MAX_LOOKBACK = timedelta(days=29)
CDC_PAGE_LIMIT = 1000
"""QuickBooks returns at most 1,000 objects per CDC answer and offers no paging."""
CDC_MAX_ROUNDS = 50
BALANCE_COLUMNS: tuple[str, ...] = DEFAULT_SCHEMA.balance_columns
"""Open balance, overdue 1-30, 31-60, 61-90 and over 90 days: the order `balances` fills them in."""


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


@dataclass
class CycleTally:
    enqueued: int = 0
    echoes: int = 0
    records_updated: int = 0


def balances(
    invoices: Sequence[Mapping[str, Any]], today: date, columns: Sequence[str] = BALANCE_COLUMNS
) -> dict[str, dict[str, float]]:
    """Open balance and overdue buckets (1-30, 31-60, 61-90, over 90 days past due) per customer id, keyed by
    the `columns` that hold them (in BALANCE_COLUMNS order)."""
    open_balance, late_1_30, late_31_60, late_61_90, late_over_90 = columns
    out: dict[str, dict[str, Decimal]] = {}
    for inv in invoices:
        ref = inv.get("CustomerRef") or {}
        customer = str(ref.get("value", "")) if isinstance(ref, Mapping) else ""
        if not customer:
            continue
        balance = Decimal(str(inv.get("Balance") or 0))
        if balance <= 0:
            continue
        bucket = out.setdefault(customer, dict.fromkeys(columns, Decimal(0)))
        bucket[open_balance] += balance
        due = parse_time(f"{inv['DueDate']}T00:00:00+00:00") if inv.get("DueDate") else None
        late = (today - due.date()).days if due else 0
        if late <= 0:
            continue
        column = late_1_30 if late <= 30 else late_31_60 if late <= 60 else late_61_90 if late <= 90 else late_over_90
        bucket[column] += balance
    return {k: {c: float(v) for c, v in cols.items()} for k, cols in out.items()}


async def _finish_or_cancel(task: asyncio.Task[DrainCounts]) -> None:
    """After the scan failed: let the drain finish the jobs already queued (it is not the drain's fault); when
    the cycle itself is being cancelled, cancel the drain too (its jobs keep their leases and run again)."""
    current = asyncio.current_task()
    if current is not None and current.cancelling():
        task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        if current is not None and current.cancelling():
            raise
    except Exception as exc:
        log.warning("the early drain failed too: %s", exc)


def _resume_point(entities: Mapping[str, list[dict[str, Any]]]) -> datetime | None:
    """The earliest of each group's latest LastUpdatedTime (groups come sorted by it)."""
    latest: list[datetime] = []
    for objects in entities.values():
        times = [t for o in objects if (t := parse_time((o.get("MetaData") or {}).get("LastUpdatedTime")))]
        if times:
            latest.append(max(times))
    return min(latest) if latest else None


class Cycles:
    def __init__(
        self,
        store: JobStore,
        crm: CrmPort,
        qbo: AccountingPort,
        options: EngineOptions,
        bus: EventBus,
        processor: Processor,
        mirror: JobMirror,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.crm = crm
        self.qbo = qbo
        self.options = options
        self.bus = bus
        self.processor = processor
        self.mirror = mirror
        self.clock = clock
        self.crm_pool = WorkerPool(
            store,
            processor,
            name="crm-to-qbo",
            sources=(Source.CRM,),
            size=options.workers,
            lease_seconds=options.lease_seconds,
            clock=clock,
        )
        self.qbo_pool = WorkerPool(
            store,
            processor,
            name="qbo-to-crm",
            sources=(Source.ACCOUNTING,),
            size=options.workers,
            lease_seconds=options.lease_seconds,
            clock=clock,
        )
        self.error_jobs: set[int] = set()
        self.stopping = asyncio.Event()
        """Set on shutdown: workers finish the job in hand and claim no more."""

    # --- shared --------------------------------------------------------------------------------
    async def _enqueue(self, jobs: list[NewJob]) -> int:
        """Enqueue (the store drops duplicates of open jobs) and announce the jobs actually created."""
        if not jobs:
            return 0
        result = await self.store.enqueue(jobs, now=self.clock())
        for job in await self.store.get_many(list(result.created)):
            self.bus.publish(
                JobCreated(job_id=job.id, entity_type=job.entity_type, source=job.source, record_name=job.record_name)
            )
        return len(result.created)

    async def _run(self, service: str, body: Callable[[CycleTally], Awaitable[DrainCounts]]) -> CycleFinished:
        started = time.monotonic()
        started_at = self.clock()
        self.bus.publish(CycleStarted(service=service))
        self.processor.new_cycle()
        tally = CycleTally()
        counts = DrainCounts()
        error: str | None = None
        try:
            counts = await body(tally)
        except Exception as exc:
            log.exception("%s cycle failed", service)
            error = str(exc) or type(exc).__name__
        try:
            await self.mirror.flush()
        except Exception as exc:
            log.warning("could not mirror jobs to CRM: %s", exc)
        self.error_jobs |= counts.error_jobs
        if error is None:
            try:
                await self.store.set_cursor(last_run_cursor(service), started_at.isoformat())
            except Exception as exc:
                log.warning("could not record the %s run: %s", service, exc)
        finished = CycleFinished(
            service=service,
            duration_seconds=time.monotonic() - started,
            enqueued=tally.enqueued,
            succeeded=counts.outcomes[Outcome.SUCCESS],
            failed=counts.outcomes[Outcome.ERROR],
            retried=counts.outcomes[Outcome.RETRY],
            skipped_echoes=tally.echoes,
            records_updated=tally.records_updated,
            error=error,
        )
        self.bus.publish(finished)
        return finished

    async def prime_cursors(self) -> None:
        """Start the change feeds at "now" on a fresh database instead of replaying all history."""
        for et in NAMES_FIRST:
            name = crm_cursor_name(et)
            if await self.store.get_cursor(name) is None:
                if et in TWO_WAY:
                    await self.adopt_links(et)
                changes = await self.crm.changes(et, None)
                await self.store.set_cursor(name, changes.cursor)
        if await self.store.get_cursor(CDC_CURSOR) is None:
            result = await self.qbo.cdc(list(CDC_ENTITIES), self.clock() - timedelta(seconds=1))
            await self.store.set_cursor(CDC_FLOOR, result.time.isoformat())
            await self.store.set_cursor(CDC_CURSOR, result.time.isoformat())

    async def adopt_links(self, et: EntityType) -> int:
        """Take over links CRM already records (Linked with an Accounting ID) into a fresh database.

        Without this, records linked before this engine ran (by InoLink, or an earlier database)
        would be invisible to change detection until they were promoted again.
        """
        adopted = 0
        for row in await self.crm.linked(et):
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

    # --- CRM -> QuickBooks ------------------------------------------------------------------
    async def crm_to_quickbooks(self) -> CycleFinished:
        return await self._run(CRM_TO_QUICKBOOKS, self._crm_to_quickbooks)

    async def _crm_to_quickbooks(self, tally: CycleTally) -> DrainCounts:
        try:
            await self.mirror.flush()
            await self.mirror.requeue_from_crm()
        except Exception as exc:
            log.warning("could not read requeues from CRM: %s", exc)
        await self.prime_cursors()
        # Work starts as soon as the first records are queued, while the rest of CRM is still read: a bulk load
        # otherwise leaves QuickBooks' request budget idle for the whole scan. Names are read before transactions,
        # so a transaction's customer job is always queued before the transaction itself can run.
        early: asyncio.Task[DrainCounts] | None = None
        try:
            for et in NAMES_FIRST:
                tally.enqueued += await self._enqueue_promoted(et)
                if early is None and tally.enqueued:
                    early = asyncio.create_task(self._drain_crm(), name="crm-to-quickbooks-early-drain")
            for et in NAMES_FIRST:
                enqueued, echoes = await self._enqueue_crm_changes(et)
                tally.enqueued += enqueued
                tally.echoes += echoes
        except BaseException:
            if early is not None:
                await _finish_or_cancel(early)
            raise
        counts = await early if early is not None else DrainCounts()
        # What was queued after the early drain ran dry.
        return counts.merged(await self._drain_crm())

    async def _drain_crm(self) -> DrainCounts:
        return await self.crm_pool.drain(wait_seconds=self.options.once_wait_seconds, stop=self.stopping)

    async def _submitters(self, rows: list[dict[str, Any]], column: str) -> dict[str, str]:
        ids = sorted({str(r[column]) for r in rows if r.get(column)})
        return await self.crm.user_names(ids) if ids else {}

    async def _enqueue_promoted(self, et: EntityType) -> int:
        rows = await self.crm.promoted(et)
        if not rows:
            return 0
        schema = self.options.schema
        users = await self._submitters(rows, schema.promoted_by_value)
        jobs: list[NewJob] = []
        for row in rows:
            rid = str(row[PRIMARY_KEY[et]])
            depends: int | None = None
            if et.is_transaction and (customer := customer_of(row)) is not None:
                open_job = await self.store.open_job_for(customer[0], customer[1], Source.CRM)
                depends = open_job.id if open_job else None
            link = await self.store.get_link(et, rid)
            jobs.append(
                NewJob(
                    entity_type=et,
                    source=Source.CRM,
                    crm_record_id=rid,
                    record_name=record_name(et, row),
                    company=self.options.company,
                    operation=Operation.UPDATE if link and link.qbo_id else Operation.CREATE,
                    submitted_by=users.get(str(row.get(schema.promoted_by_value) or ""), "CRM"),
                    submitted_at=parse_time(row.get(schema.promoted_on)) or self.clock(),
                    qbo_entity=QBO_ENTITY_FOR[et],
                    depends_on=depends,
                )
            )
        return await self._enqueue(jobs)

    async def _enqueue_crm_changes(self, et: EntityType) -> tuple[int, int]:
        name = crm_cursor_name(et)
        changes = await self.crm.changes(et, await self.store.get_cursor(name))
        users = await self._submitters(changes.rows, "_modifiedby_value")
        jobs: list[NewJob] = []
        echoes = 0
        for row in changes.rows:
            rid = str(row[PRIMARY_KEY[et]])
            status = self.options.schema.status_of(row.get(self.options.schema.link_status))
            link = await self.store.get_link(et, rid)
            if link is None:
                continue
            version = str(row["versionnumber"]) if row.get("versionnumber") is not None else None
            if status is RecordLinkStatus.UNLINKED:
                if link.link_status is not RecordLinkStatus.UNLINKED:
                    await self.store.upsert_link(
                        replace(link, link_status=RecordLinkStatus.UNLINKED, crm_version=version)
                    )
                continue
            if status is not RecordLinkStatus.LINKED or link.link_status is not RecordLinkStatus.LINKED:
                continue
            if link.is_echo_from_crm(version):
                echoes += 1
                continue
            if et.is_transaction:
                message = (
                    f"{et.value} {record_name(et, row)!r} was edited in CRM after it was promoted; "
                    "QuickBooks transactions are pushed once, so the edit was not sent"
                )
                log.warning(message)
                self.bus.publish(
                    RecordNotice(entity_type=et, crm_record_id=rid, record_name=record_name(et, row), message=message)
                )
                await self.store.upsert_link(replace(link, crm_version=version))
                continue
            jobs.append(
                NewJob(
                    entity_type=et,
                    source=Source.CRM,
                    crm_record_id=rid,
                    record_name=record_name(et, row),
                    company=self.options.company,
                    operation=Operation.UPDATE,
                    submitted_by=users.get(str(row.get("_modifiedby_value") or ""), "CRM"),
                    submitted_at=parse_time(row.get("modifiedon")) or self.clock(),
                    qbo_entity=QBO_ENTITY_FOR[et],
                    qbo_id=link.qbo_id,
                )
            )
        enqueued = await self._enqueue(jobs)
        await self.store.set_cursor(name, changes.cursor)
        return enqueued, echoes

    # --- QuickBooks -> CRM (High Priority) ----------------------------------------------------
    async def high_priority(self) -> CycleFinished:
        return await self._run(HIGH_PRIORITY, self._high_priority)

    async def _high_priority(self, tally: CycleTally) -> DrainCounts:
        await self.prime_cursors()
        since = parse_time(await self.store.get_cursor(CDC_CURSOR)) or self.clock()
        floor = max(
            self.clock() - CDC_MAX_LOOKBACK,
            parse_time(await self.store.get_cursor(CDC_FLOOR)) or since - CDC_OVERLAP,
        )
        asked = max(since - CDC_OVERLAP, floor)
        seen: set[tuple[str, str, str]] = set()
        for _ in range(CDC_MAX_ROUNDS):
            result = await self.qbo.cdc(list(CDC_ENTITIES), asked)
            await self._enqueue_cdc(result.entities, tally)
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
        return await self.qbo_pool.drain(wait_seconds=self.options.once_wait_seconds, stop=self.stopping)

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
        tally.enqueued += await self._enqueue(firsts)
        later: list[NewJob] = []
        for parent_id, new in subs:
            depends = None
            if parent_id in parents:
                # Enqueue is idempotent: asking again returns the parent's open job id.
                again = await self.store.enqueue([parents[parent_id]], now=self.clock())
                depends = (again.existing or again.created or (None,))[0]
            later.append(replace(new, depends_on=depends))
        tally.enqueued += await self._enqueue(later)

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

    # --- Low Priority: balances ------------------------------------------------------------------
    async def low_priority(self) -> CycleFinished:
        return await self._run(LOW_PRIORITY, self._low_priority)

    async def _low_priority(self, tally: CycleTally) -> DrainCounts:
        accounts = await self.crm.linked(EntityType.ACCOUNT)
        invoices = await self.qbo.query("Invoice", [("Balance", ">", 0)])
        today = self.clock().astimezone(self.options.timezone).date()
        schema = self.options.schema
        per_customer = balances(invoices, today, schema.balance_columns)
        zero = dict.fromkeys(schema.balance_columns, 0.0)
        now = self.clock().isoformat()
        changes: list[tuple[str, dict[str, Any]]] = []
        for row in accounts:
            qbo_id = str(row.get(schema.accounting_id) or "")
            if not qbo_id:
                continue
            wanted = per_customer.get(qbo_id, zero)
            if all(float(row.get(c) or 0) == v for c, v in wanted.items()) and row.get(schema.balance_updated_on):
                continue
            changes.append((str(row[PRIMARY_KEY[EntityType.ACCOUNT]]), {**wanted, schema.balance_updated_on: now}))
        for start in range(0, len(changes), self.options.batch_size):
            chunk = changes[start : start + self.options.batch_size]
            for written in await self.crm.update_many(EntityType.ACCOUNT, chunk):
                link = await self.store.get_link(EntityType.ACCOUNT, written.id)
                if link is not None:
                    # Balance columns are ours: remember the version so this write is not seen as an edit.
                    await self.store.upsert_link(replace(link, crm_version=written.version))
        log.info("balances: %d of %d linked accounts updated", len(changes), len(accounts))
        tally.records_updated = len(changes)
        return DrainCounts()
