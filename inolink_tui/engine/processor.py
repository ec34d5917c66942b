"""Processing one Link Job against the two systems.

Ordering rules that make a crash at any point safe (the job is simply processed again):
- every QuickBooks create carries a requestid derived from the job, so a retry replays the first
  answer instead of creating a second record;
- the record link (CRM id <-> QuickBooks id) is saved right after the QuickBooks write and before
  the CRM write-back, so the QuickBooks change feed never mistakes our own create for a new customer;
- the CRM write-back happens before the job is marked Success, so a Success job always means
  "linked in both systems".
Echo suppression: after each write the link keeps the CRM row version and QuickBooks SyncToken we
produced; a change carrying exactly that version is our own write coming back, not a user's edit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from inolink_tui.domain.conflicts import reapply_of
from inolink_tui.domain.enums import (
    CRM_ENTITY_SET_FOR,
    CRM_LOGICAL_NAME_FOR,
    QBO_ENTITY_FOR,
    AttemptOutcome,
    DeadlockWin,
    EntityType,
    ErrorClass,
    LinkStatus,
    Operation,
    RecordLinkStatus,
    Source,
)
from inolink_tui.domain.events import AuthProblem, EventBus, JobChanged, JobCreated
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import JobSuccess, LinkJob, NewJob, utcnow
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.mapping import (
    ItemAccounts,
    MappingError,
    NameIndex,
    ServiceItems,
    changed_fields,
    crm_to_customer,
    crm_to_item,
    crm_to_transaction,
    customer_entity_type,
    customer_to_crm,
    item_to_crm,
    line_products,
    record_name,
    sparse_update,
)
from inolink_tui.domain.mapping.customers import qbo_name
from inolink_tui.domain.mapping.records import PRIMARY_KEY, customer_of
from inolink_tui.domain.mapping.transactions import accounting_ref
from inolink_tui.engine import fit
from inolink_tui.engine.claims import RecordClaims
from inolink_tui.engine.deferral import Deferred, overdue_wait
from inolink_tui.engine.documents import earlier_document, request_id
from inolink_tui.engine.failures import failure_from
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.ports import AccountingPort, CrmPort, PortError
from inolink_tui.engine.reapply import run_reapply
from inolink_tui.store.base import JobStore, LeaseLostError

log = logging.getLogger(__name__)
UNLINKED = RecordLinkStatus.UNLINKED


class Outcome(Enum):
    SUCCESS = "success"
    ERROR = "error"
    RETRY = "retry"
    DEFERRED = "deferred"
    BLOCKED = "blocked"
    """Deferred behind a job of the other direction, which this drain cannot run."""
    LOST = "lost"


def _version(row: Mapping[str, Any]) -> str | None:
    value = row.get("versionnumber")
    return str(value) if value is not None else None


def _qbo_name(entity: str, body: Mapping[str, Any]) -> str:
    return str(body.get("DisplayName") if entity == "Customer" else body.get("Name") or "")


def _sent(body: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields a sparse update wrote (Deadlock Win's kept values), without the update's own keys."""
    return {k: v for k, v in (body or {}).items() if k not in ("Id", "SyncToken", "sparse")}


def _bind(entity_type: EntityType, crm_id: str) -> str:
    return f"/{CRM_ENTITY_SET_FOR[entity_type]}({crm_id})"


@dataclass
class CycleCache:
    """Per-cycle lookups shared by all workers: QuickBooks name indexes, service items, accounts.

    Reset at every cycle start so a rename in QuickBooks is seen by the next cycle (e.g. after an
    operator fixes a duplicate name and requeues).
    """

    indexes: dict[str, NameIndex] = field(default_factory=dict)
    service_items: ServiceItems | None = None
    accounts: ItemAccounts | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Workers wait for the one that is loading a lookup instead of each loading it again."""


class Processor:
    """Runs one claimed job to Success, Error, a retry, or a deferral, and reports it on the bus."""

    def __init__(
        self,
        store: JobStore,
        crm: CrmPort,
        qbo: AccountingPort,
        options: EngineOptions,
        bus: EventBus,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.store = store
        self.crm: CrmPort = fit.FittingCrm(crm)
        self.qbo: AccountingPort = fit.FittingQbo(qbo)
        self.options = options
        self.bus = bus
        self.clock = clock
        self.cache = CycleCache()
        self.auth_failed: str | None = None
        """Set when a system refused our credentials this cycle: every other job would fail the same way."""
        self.claims: RecordClaims | None = None
        """With the guard: each CRM record is claimed before it is pushed (engine/claims.py)."""

    def new_cycle(self) -> None:
        self.cache = CycleCache()
        self.auth_failed = None

    async def _wait_for_older_job(self, job: LinkJob) -> None:
        """Keep a record's jobs in order across directions: an older open job of the other side goes first.

        The store never leases two jobs of one record at once and keeps one open job per direction;
        this closes the remaining gap, a newer job of one direction overtaking an older one of the other.
        """
        if not job.crm_record_id:
            return
        other = Source.ACCOUNTING if job.source is Source.CRM else Source.CRM
        older = await self.store.open_job_for(job.entity_type, job.crm_record_id, other)
        if older is not None and older.id < job.id:
            raise Deferred(
                f"waiting for the older job {older.id} of the same record ({older.source.value} source)",
                self.options.dependency_poll_seconds,
                dependency=True,
                other_service=True,
            )

    def _unclaim(self, job: LinkJob) -> dict[str, Any]:
        return self.claims.unclaim(job.entity_type, job.crm_record_id) if self.claims else {}

    def _still_authorised(self) -> None:
        """After waiting for a lookup another worker was loading: stop if that load was refused."""
        if self.auth_failed is not None:
            raise Deferred(f"waiting for credentials: {self.auth_failed}", 60.0)

    # --- entry point -----------------------------------------------------------------------
    async def process(self, job: LinkJob, worker: str) -> Outcome:
        started = time.monotonic()
        fit.start_collecting()
        if self.auth_failed is not None:
            return await self._defer(job, worker, Deferred(f"waiting for credentials: {self.auth_failed}", 60.0))
        try:
            await self._wait_for_older_job(job)
            reapply = reapply_of(job)
            if reapply is not None:  # a Deadlock Win loser's values, re-applied from the console
                success = await run_reapply(
                    reapply, job, crm=self.crm, qbo=self.qbo, store=self.store, company=self.options.company
                )
            elif job.source is Source.CRM:
                success = await self._crm_to_qbo(job)
            else:
                success = await self._qbo_to_crm(job)
        except Deferred as wait:
            return await self._defer(job, worker, wait)
        except LeaseLostError:
            log.warning("job %s: lease lost while processing; another worker owns it now", job.id)
            return Outcome.LOST
        except Exception as exc:
            if getattr(exc, "error_class", None) is ErrorClass.AUTH:
                if self.auth_failed is None:
                    self.bus.publish(AuthProblem(system=_system_of(exc), message=str(exc)))
                self.auth_failed = str(exc)
                return await self._defer(job, worker, Deferred(f"waiting for credentials: {exc}", 60.0))
            if not isinstance(exc, PortError | MappingError) and getattr(exc, "error_class", None) is None:
                log.exception("job %s: unexpected failure", job.id)
            return await self._fail(job, worker, exc, started)
        ms = int((time.monotonic() - started) * 1000)
        success = fit.with_truncations(success)  # what was cut to fit goes into the job's history
        try:
            done = await self.store.complete(job.id, worker, success, duration_ms=ms, now=self.clock())
        except LeaseLostError:
            log.warning("job %s: finished but the lease was lost; the next owner will find it linked", job.id)
            return Outcome.LOST
        self.bus.publish(JobChanged(job_id=job.id, link_status=done.link_status, change="completed"))
        return Outcome.SUCCESS

    async def _defer(self, job: LinkJob, worker: str, wait: Deferred) -> Outcome:
        overdue = await overdue_wait(self.store, job, wait, now=self.clock(), limit=self.options.dependency_max_wait)
        if overdue is not None:
            return await self._fail(job, worker, overdue, time.monotonic())
        until = self.clock() + timedelta(seconds=wait.seconds)
        try:
            await self.store.defer(job.id, worker, until=until, reason=str(wait), now=self.clock())
        except LeaseLostError:
            return Outcome.LOST
        self.bus.publish(JobChanged(job_id=job.id, link_status=LinkStatus.QUEUED, change="deferred"))
        return Outcome.BLOCKED if wait.other_service else Outcome.DEFERRED

    async def _fail(self, job: LinkJob, worker: str, exc: BaseException, started: float) -> Outcome:
        failure = failure_from(
            exc, now=self.clock(), attempt=job.processed_count + 1, backoff_base=self.options.backoff_base_seconds
        )
        ms = int((time.monotonic() - started) * 1000)
        try:
            after = await self.store.fail(
                job.id, worker, failure, max_attempts=self.options.max_attempts, duration_ms=ms, now=self.clock()
            )
        except LeaseLostError:
            return Outcome.LOST
        if after.link_status is LinkStatus.ERROR:
            if job.source is Source.CRM and job.crm_record_id:
                await self._mark_record_error(job)
            self.bus.publish(
                JobChanged(
                    job_id=job.id,
                    link_status=LinkStatus.ERROR,
                    change="failed",
                    error_description=failure.description,
                )
            )
            return Outcome.ERROR
        self.bus.publish(JobChanged(job_id=job.id, link_status=after.link_status, change="retry"))
        return Outcome.RETRY

    async def _mark_record_error(self, job: LinkJob) -> None:
        """Record Link Status -> Error, best effort: the job already carries the explanation."""
        try:
            columns = {**self.options.schema.status_columns(RecordLinkStatus.ERROR), **self._unclaim(job)}
            written = await self.crm.update(job.entity_type, job.crm_record_id, columns)
        except Exception as exc:
            log.warning("job %s: could not set the CRM record's Link Status to Error: %s", job.id, exc)
            return
        link = await self.store.get_link(job.entity_type, job.crm_record_id)
        if link is not None:
            await self.store.upsert_link(
                replace(link, link_status=RecordLinkStatus.ERROR, crm_version=written.version, updated_at=self.clock())
            )

    async def _create_id(self, job: LinkJob) -> str:
        """The requestid of this job's create.

        Retries after a transient failure reuse it (the first try may have created the record and
        lost the answer). Once a job has ended in Error and a person requeued it, QuickBooks would
        replay that error for the same id, so each such round gets a fresh one; the name or
        document-number lookup before creating keeps that from duplicating anything.
        """
        rounds = 0
        if job.processed_count:
            rounds = sum(1 for a in await self.store.attempts(job.id) if a.outcome is AttemptOutcome.ERROR)
        return request_id(self.options.company, job, "create" if rounds == 0 else f"create-{rounds}")

    # --- CRM -> QuickBooks -----------------------------------------------------------------
    async def _crm_to_qbo(self, job: LinkJob) -> JobSuccess:
        et = job.entity_type
        row = await self.crm.get(et, job.crm_record_id)
        if row is None:
            raise PortError(ErrorClass.REFERENCE, f"the {et.value} no longer exists in CRM (deleted?)")
        if self.options.schema.row_is(row, UNLINKED):
            raise PortError(ErrorClass.VALIDATION, f"the {et.value} is Unlinked in CRM; promote it again to sync it")
        fit.preflight(et, row)  # a value QuickBooks would refuse fails the job before any request
        if self.claims is not None:
            row = await self.claims.claim(et, job.crm_record_id, row)
        link = await self.store.get_link(et, job.crm_record_id)
        if et.is_transaction:
            return await self._push_transaction(job, row, link)
        return await self._push_name(job, row, link)

    async def _index(self, entity: str) -> NameIndex:
        cache = self.cache
        async with cache.lock:
            self._still_authorised()
            index = cache.indexes.get(entity)
            if index is None:
                index = NameIndex()
                for key, name in await self.qbo.all_names(entity):
                    index.add(key, name)
                cache.indexes[entity] = index
        return index

    async def _accounts(self) -> ItemAccounts:
        """Accounts for new items: configured ones, else QuickBooks' standard ones found by type.

        Income: "Sales of Product Income" (or the first Income account); Expense: the first Cost
        of Goods Sold account; Asset (inventory items): the Other Current Asset account of subtype
        Inventory. One query reads the chart of accounts once per cycle.
        """
        async with self.cache.lock:
            self._still_authorised()
            return await self._load_accounts()

    async def _load_accounts(self) -> ItemAccounts:
        if self.cache.accounts is None:
            o = self.options
            chart: list[dict[str, Any]] = []
            if None in (o.income_account, o.expense_account, o.asset_account):
                chart = await self.qbo.query("Account")

            def pick(kind: str, subtype: str | None) -> str | None:
                rows = [a for a in chart if a.get("AccountType") == kind]
                preferred = [a for a in rows if subtype and a.get("AccountSubType") == subtype]
                chosen = preferred or rows
                return str(chosen[0]["Id"]) if chosen else None

            self.cache.accounts = ItemAccounts(
                o.income_account or pick("Income", "SalesOfProductIncome"),
                o.expense_account or pick("Cost of Goods Sold", None),
                o.asset_account or pick("Other Current Asset", "Inventory"),
            )
        return self.cache.accounts

    async def _service_items(self) -> ServiceItems:
        async with self.cache.lock:
            self._still_authorised()
            return await self._load_service_items()

    async def _load_service_items(self) -> ServiceItems:
        if self.cache.service_items is None:
            o = self.options
            found = await self.qbo.find_by_names("Item", [o.write_in_item, o.discount_item, o.shipping_item])
            by_name = {str(i.get("Name", "")).casefold(): str(i["Id"]) for i in found}
            self.cache.service_items = ServiceItems(
                by_name.get(o.write_in_item.casefold()),
                by_name.get(o.discount_item.casefold()),
                by_name.get(o.shipping_item.casefold()),
            )
        return self.cache.service_items

    async def _desired(self, job: LinkJob, row: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
        et = job.entity_type
        if et is EntityType.PRODUCT:
            accounts = await self._accounts() if create else ItemAccounts()
            return fit.qbo_values("Item", crm_to_item(row, accounts, for_create=create, today=self.clock().date()))
        parent_qbo: str | None = None
        if et is EntityType.ACCOUNT and (parent := row.get("_parentaccountid_value")):
            parent_link = await self.store.get_link(EntityType.ACCOUNT, str(parent))
            parent_qbo = parent_link.qbo_id if parent_link and parent_link.qbo_id else None
        return fit.qbo_values("Customer", crm_to_customer(et, row, parent_qbo_id=parent_qbo))

    async def _match_existing(self, job: LinkJob, entity: str, name: str) -> dict[str, Any] | None:
        """An existing QuickBooks record under Name Matching, or None; ambiguity is a DUPLICATE error."""
        index = await self._index(entity)
        match = index.lookup(name, self.options.name_matching)
        if match is None:
            return None
        noun = "customers" if entity == "Customer" else "items"
        if match.ambiguous:
            listed = ", ".join(f"{index.name_of(k)!r} (Id {k})" for k in match.best[:5])
            raise PortError(
                ErrorClass.DUPLICATE,
                f"several QuickBooks {noun} match {name!r} under {self.options.name_matching.value} name "
                f"matching: {listed}; rename or deactivate the extra ones in QuickBooks, then requeue this job",
            )
        qbo_id = match.best[0]
        other = await self.store.find_link_by_qbo(entity, qbo_id, self.options.company)
        if (
            other is not None
            and other.crm_id.lower() != job.crm_record_id.lower()
            and other.link_status is RecordLinkStatus.LINKED
        ):
            raise PortError(
                ErrorClass.DUPLICATE,
                f"QuickBooks {entity.lower()} {index.name_of(qbo_id)!r} (Id {qbo_id}) is already linked to "
                f"{other.entity_type.value} {other.record_name!r}; rename one of the two records, then requeue "
                "this job",
            )
        current = await self.qbo.read(entity, qbo_id)
        if current is None or current.get("Active") is False:
            index.remove(qbo_id)
            return None
        return current

    async def _push_name(self, job: LinkJob, row: Mapping[str, Any], link: RecordLink | None) -> JobSuccess:
        et = job.entity_type
        entity = QBO_ENTITY_FOR[et]
        name = record_name(et, row)
        current: dict[str, Any] | None = None
        if link is not None and link.qbo_id and link.link_status is not RecordLinkStatus.UNLINKED:
            current = await self.qbo.read(entity, link.qbo_id)
            if current is not None and current.get("Active") is False:
                current = None
        operation: Operation | None = None
        if current is None:
            current = await self._match_existing(job, entity, qbo_name(name))
            if current is not None and job.operation is Operation.CREATE:
                operation = Operation.LINK  # the record was already in QuickBooks: linked, not created
        payload: dict[str, Any] | None = None
        crm_columns: dict[str, Any] = {}
        message: str
        if current is None:
            new_body = await self._desired(job, row, create=True)
            result = await self.qbo.create(entity, new_body, request_id=await self._create_id(job))
            (await self._index(entity)).add(str(result["Id"]), _qbo_name(entity, result))
            message = f"created QuickBooks {entity} {result['Id']}"
        else:
            desired = await self._desired(job, row, create=False)
            conflict = (
                job.operation is Operation.UPDATE
                and link is not None
                and link.qbo_sync_token is not None
                and str(current.get("SyncToken")) != link.qbo_sync_token
            )
            if conflict and self.options.deadlock_win is DeadlockWin.QUICKBOOKS:
                # QuickBooks wins: its values go to CRM; CRM's edit is kept in the job's history.
                mapped = customer_to_crm(et, current) if entity == "Customer" else item_to_crm(current)
                crm_columns = changed_fields(row, mapped)
                payload = {
                    "conflict": {
                        "winner": DeadlockWin.QUICKBOOKS.value,
                        "losing_side": "CRM",
                        "losing_values": {k: row.get(k) for k in crm_columns},
                        "winning_values": dict(crm_columns),
                    }
                }
                result = current
                message = "conflict: both sides changed; QuickBooks won (Deadlock Win), CRM values replaced"
            else:
                body = sparse_update(current, desired)
                if body is None:
                    result = current
                    message = f"linked to QuickBooks {entity} {current['Id']}; nothing to change"
                else:
                    step = f"update-{current.get('SyncToken')}"
                    result = await self.qbo.update(entity, body, request_id=request_id(self.options.company, job, step))
                    message = f"updated QuickBooks {entity} {result['Id']}"
                if conflict:
                    losing = {k: current.get(k) for k in (body or {}) if k not in ("Id", "SyncToken", "sparse")}
                    payload = {
                        "conflict": {
                            "winner": DeadlockWin.CRM.value,
                            "losing_side": "QuickBooks",
                            "losing_values": losing,
                            "winning_values": _sent(body),
                        }
                    }
                    message = "conflict: both sides changed; CRM won (Deadlock Win), " + message
        return replace(
            await self._link_back(job, row, entity, result, crm_columns, message, payload), operation=operation
        )

    async def _link_back(
        self,
        job: LinkJob,
        row: Mapping[str, Any],
        entity: str,
        result: Mapping[str, Any],
        extra_columns: Mapping[str, Any],
        message: str,
        payload: dict[str, Any] | None,
    ) -> JobSuccess:
        """Save the link, then write Link Status, Accounting ID and Ref back to CRM."""
        et = job.entity_type
        qbo_id = str(result["Id"])
        ref = accounting_ref(et, result) if et.is_transaction else _qbo_name(entity, result)
        name = record_name(et, row)
        link = RecordLink(
            entity_type=et,
            crm_id=job.crm_record_id,
            company=self.options.company,
            link_status=RecordLinkStatus.LINKED,
            qbo_entity=entity,
            qbo_id=qbo_id,
            crm_version=_version(row),
            qbo_sync_token=str(result.get("SyncToken")) if result.get("SyncToken") is not None else None,
            record_name=name,
            updated_at=self.clock(),
        )
        await self.store.upsert_link(link)
        wanted = {**self.options.schema.linked_columns(qbo_id, ref), **extra_columns}
        wanted.update(self._unclaim(job))
        columns = changed_fields(row, wanted)
        if columns:
            written = await self.crm.update(et, job.crm_record_id, columns)
            await self.store.upsert_link(replace(link, crm_version=written.version or link.crm_version))
        return JobSuccess(accounting_id=qbo_id, qbo_entity=entity, record_name=name, message=message, payload=payload)

    async def _push_transaction(self, job: LinkJob, row: Mapping[str, Any], link: RecordLink | None) -> JobSuccess:
        et = job.entity_type
        entity = QBO_ENTITY_FOR[et]
        if link is not None and link.qbo_id and link.link_status is RecordLinkStatus.LINKED:
            existing = await self.qbo.read(entity, link.qbo_id)
            if existing is not None:
                return await self._link_back(
                    job, row, entity, existing, {}, "already in QuickBooks; transactions are pushed once", None
                )
        customer = customer_of(row)
        if customer is None:
            raise PortError(ErrorClass.VALIDATION, f"the {et.value} has no customer; set one in CRM, then requeue")
        customer_qbo = await self._dependency_qbo_id(job, *customer, auto_create=True)
        lines = await self.crm.lines(et, job.crm_record_id)
        item_ids: dict[str, str] = {}
        missing: list[str] = []
        for pid in line_products(lines):
            plink = await self.store.get_link(EntityType.PRODUCT, pid)
            if plink is not None and plink.qbo_id and plink.link_status is RecordLinkStatus.LINKED:
                item_ids[pid] = plink.qbo_id
            else:
                open_job = await self.store.open_job_for(EntityType.PRODUCT, pid, Source.CRM)
                if open_job is not None:
                    raise Deferred(
                        f"waiting for Product job {open_job.id}", self.options.dependency_poll_seconds, dependency=True
                    )
                missing.append(pid)
        names: dict[str, str] = {}
        if missing:
            names = {
                str(r[PRIMARY_KEY[EntityType.PRODUCT]]).lower(): record_name(EntityType.PRODUCT, r)
                for r in await self.crm.get_many(EntityType.PRODUCT, missing)
            }
        try:
            body = crm_to_transaction(
                et,
                row,
                lines,
                customer_qbo_id=customer_qbo,
                item_ids=item_ids,
                service_items=await self._service_items(),
                product_names=names,
            )
        except MappingError as exc:
            raise PortError(ErrorClass.REFERENCE if exc.missing else ErrorClass.VALIDATION, str(exc)) from exc
        # Looked up on every attempt, not only retries: another engine (another database) may have created it.
        created = await earlier_document(self.qbo, self.store, self.options.company, job, entity, body)
        if created is None:
            created = await self.qbo.create(entity, body, request_id=await self._create_id(job))
        what = "an Invoice (QuickBooks Online has no sales orders)" if et is EntityType.ORDER else entity
        return await self._link_back(job, row, entity, created, {}, f"created {what} {created['Id']}", None)

    async def _dependency_qbo_id(self, job: LinkJob, et: EntityType, crm_id: str, *, auto_create: bool) -> str:
        """The QuickBooks id of the transaction's customer; waits for or creates its job when needed."""
        link = await self.store.get_link(et, crm_id)
        if link is not None and link.qbo_id and link.link_status is RecordLinkStatus.LINKED:
            return link.qbo_id
        open_job = await self.store.open_job_for(et, crm_id, Source.CRM)
        if open_job is not None:
            raise Deferred(
                f"waiting for {et.value} job {open_job.id}", self.options.dependency_poll_seconds, dependency=True
            )
        customer_row = await self.crm.get(et, crm_id)
        name = record_name(et, customer_row) if customer_row else crm_id
        if customer_row is None:
            raise PortError(ErrorClass.REFERENCE, f"the customer {et.value} {crm_id} no longer exists in CRM")
        previous = await self.store.jobs_for_record(et, crm_id, limit=1)
        if previous and previous[0].link_status is LinkStatus.ERROR and previous[0].source is Source.CRM:
            raise PortError(
                ErrorClass.REFERENCE,
                f"customer {name!r} could not be linked (job {previous[0].id}: {previous[0].error_first_line}); "
                "fix and requeue that job, then requeue this one",
            )
        if not (auto_create and self.options.auto_create_missing_customer):
            raise PortError(
                ErrorClass.REFERENCE,
                f"customer {name!r} is not linked to QuickBooks and Auto Create Missing Customer is off; "
                "promote the customer, then requeue this job",
            )
        result = await self.store.enqueue(
            [
                NewJob(
                    entity_type=et,
                    source=Source.CRM,
                    crm_record_id=crm_id,
                    record_name=name,
                    company=self.options.company,
                    operation=Operation.CREATE,
                    submitted_by=job.submitted_by,
                    submitted_at=self.clock(),
                    qbo_entity=QBO_ENTITY_FOR[et],
                )
            ],
            now=self.clock(),
        )
        for new_id in result.created:
            self.bus.publish(JobCreated(job_id=new_id, entity_type=et, source=Source.CRM, record_name=name))
        waiting_on = (result.created or result.existing or (0,))[0]
        raise Deferred(f"waiting for {et.value} job {waiting_on} (missing customer promoted first)", 0.0)

    # --- QuickBooks -> CRM -----------------------------------------------------------------
    async def _qbo_to_crm(self, job: LinkJob) -> JobSuccess:
        entity = job.qbo_entity or QBO_ENTITY_FOR[job.entity_type]
        qbo_id = job.accounting_id
        if not qbo_id:
            raise PortError(ErrorClass.VALIDATION, "the job has no QuickBooks id")
        current = await self.qbo.read(entity, qbo_id)
        if current is None:
            raise PortError(ErrorClass.REFERENCE, f"QuickBooks {entity} {qbo_id} no longer exists")
        link = await self.store.find_link_by_qbo(entity, qbo_id, self.options.company)
        if link is None and job.crm_record_id:
            link = await self.store.get_link(job.entity_type, job.crm_record_id)
        if link is not None and link.crm_id:
            return await self._pull_update(job, entity, current, link)
        return await self._pull_create(job, entity, current)

    def _crm_columns(
        self, et: EntityType, entity: str, current: Mapping[str, Any], *, for_create: bool = False
    ) -> dict[str, Any]:
        return fit.crm_columns(et, entity, current, for_create=for_create)

    async def _pull_update(self, job: LinkJob, entity: str, current: dict[str, Any], link: RecordLink) -> JobSuccess:
        et = link.entity_type
        row = await self.crm.get(et, link.crm_id)
        if row is None:
            raise PortError(ErrorClass.REFERENCE, f"the linked {et.value} no longer exists in CRM")
        if self.options.schema.row_is(row, UNLINKED) or link.link_status is UNLINKED:
            return JobSuccess(
                accounting_id=str(current["Id"]),
                crm_record_id=link.crm_id,
                record_name=record_name(et, row),
                message="the CRM record is Unlinked; the QuickBooks change was not applied",
            )
        crm_changed = link.crm_version is not None and _version(row) != link.crm_version
        mapped = self._crm_columns(et, entity, current)
        payload: dict[str, Any] | None = None
        token = str(current.get("SyncToken")) if current.get("SyncToken") is not None else None
        if crm_changed and self.options.deadlock_win is DeadlockWin.CRM:
            # CRM wins: its values go to QuickBooks; QuickBooks' edit is kept in the job's history.
            desired = await self._desired(replace(job, entity_type=et, crm_record_id=link.crm_id), row, create=False)
            body = sparse_update(current, desired)
            losing = {k: current.get(k) for k in (body or {}) if k not in ("Id", "SyncToken", "sparse")}
            if body is not None:
                current = await self.qbo.update(
                    entity, body, request_id=request_id(self.options.company, job, f"update-{token}")
                )
                token = str(current.get("SyncToken"))
            payload = {
                "conflict": {
                    "winner": "CRM",
                    "losing_side": "QuickBooks",
                    "losing_values": losing,
                    "winning_values": _sent(body),
                }
            }
            message = "conflict: both sides changed; CRM won (Deadlock Win), QuickBooks values replaced"
            version = _version(row)
        else:
            columns = changed_fields(row, mapped)
            if crm_changed:
                payload = {
                    "conflict": {
                        "winner": "QuickBooks",
                        "losing_side": "CRM",
                        "losing_values": {k: row.get(k) for k in columns},
                        "winning_values": dict(columns),
                    }
                }
            version = _version(row)
            if columns:
                written = await self.crm.update(et, link.crm_id, columns)
                version = written.version or version
            message = f"updated {et.value} in CRM ({len(columns)} fields)" if columns else "no field changed"
            if crm_changed:
                message = "conflict: both sides changed; QuickBooks won (Deadlock Win), " + message
        await self.store.upsert_link(replace(link, crm_version=version, qbo_sync_token=token, updated_at=self.clock()))
        return JobSuccess(
            accounting_id=str(current["Id"]),
            qbo_entity=entity,
            crm_record_id=link.crm_id,
            record_name=record_name(et, row),
            message=message,
            payload=payload,
            operation=Operation.UPDATE,
        )

    async def _wait_for_crm_job_named(self, job: LinkJob, et: EntityType, names: set[str]) -> None:
        """An unlinked QuickBooks record may be one an older CRM job created just before its process died (the
        link was not saved yet): that job's retry finds it again by its requestid and links it, and this job then
        becomes an update. Going first would instead link by name, or report namesakes, on a guess."""
        folded = {n.casefold() for n in names if n}
        for name in folded:
            page = await self.store.page(
                JobFilter(statuses=(LinkStatus.QUEUED,), sources=(Source.CRM,), entity_types=(et,), text=name),
                limit=20,
            )
            for other in page.jobs:
                if (
                    other.id < job.id
                    and {other.record_name.casefold(), qbo_name(other.record_name).casefold()} & folded
                ):
                    raise Deferred(
                        f"waiting for the older CRM job {other.id} of {other.record_name!r}: it may have created "
                        "this QuickBooks record",
                        self.options.dependency_poll_seconds,
                        dependency=True,
                        other_service=True,
                    )

    async def _pull_create(self, job: LinkJob, entity: str, current: dict[str, Any]) -> JobSuccess:
        et = customer_entity_type(current) if entity == "Customer" else EntityType.PRODUCT
        columns = self._crm_columns(et, entity, current, for_create=True)
        name = _qbo_name(entity, current)
        notes: list[str] = []
        if et is EntityType.ACCOUNT and (parent := current.get("ParentRef")):
            parent_link = await self.store.find_link_by_qbo("Customer", str(parent.get("value")), self.options.company)
            if parent_link is not None and parent_link.entity_type is EntityType.ACCOUNT:
                columns["parentaccountid@odata.bind"] = _bind(EntityType.ACCOUNT, parent_link.crm_id)
            else:
                notes.append("its parent customer is not linked, so Parent Account was left empty")
            name = name.rpartition(":")[2] or name
            columns["name"] = str(current.get("CompanyName") or name)
        schema = self.options.schema
        columns.update(schema.linked_columns(str(current["Id"]), name))
        lookup_name = str(columns.get("name") or name) if et is not EntityType.CONTACT else name
        await self._wait_for_crm_job_named(job, et, {name, lookup_name})
        existing = [r for r in await self.crm.find_by_name(et, lookup_name) if not schema.row_is(r, UNLINKED)]
        if len(existing) > 1:
            raise PortError(
                ErrorClass.DUPLICATE,
                f"{len(existing)} CRM {CRM_LOGICAL_NAME_FOR[et]}s are named {lookup_name!r}; merge or rename them, "
                "then requeue this job",
            )
        if existing:
            crm_id = str(existing[0][PRIMARY_KEY[et]])
            other = await self.store.get_link(et, crm_id)
            if (
                other is not None
                and other.qbo_id
                and other.qbo_id != str(current["Id"])
                and (other.link_status is RecordLinkStatus.LINKED)
            ):
                raise PortError(
                    ErrorClass.DUPLICATE,
                    f"CRM {et.value} {lookup_name!r} is already linked to QuickBooks {entity} {other.qbo_id}; "
                    "rename one of the two QuickBooks records, then requeue this job",
                )
            if not current.get("Sku"):
                columns.pop("productnumber", None)  # keep the existing product's number (CRM's key)
            changes = changed_fields(existing[0], columns)
            written_version = _version(existing[0])
            if changes:
                written = await self.crm.update(et, crm_id, changes)
                written_version = written.version or written_version
            message = f"linked to the existing {et.value} in CRM"
            operation = Operation.LINK
        else:
            written = await self.crm.create(et, columns)
            crm_id, written_version = written.id, written.version
            message = f"created {et.value} in CRM"
            operation = Operation.CREATE
        if notes:
            message += "; " + "; ".join(notes)
        await self.store.upsert_link(
            RecordLink(
                entity_type=et,
                crm_id=crm_id,
                company=self.options.company,
                link_status=RecordLinkStatus.LINKED,
                qbo_entity=entity,
                qbo_id=str(current["Id"]),
                crm_version=written_version,
                qbo_sync_token=str(current.get("SyncToken")),
                record_name=name,
                updated_at=self.clock(),
            )
        )
        return JobSuccess(
            accounting_id=str(current["Id"]),
            qbo_entity=entity,
            crm_record_id=crm_id,
            record_name=name,
            message=message,
            operation=operation,
        )


def _system_of(exc: BaseException) -> str:
    service = getattr(exc, "service", None)
    return str(getattr(service, "value", service) or "unknown")
