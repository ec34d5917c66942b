"""Reading both systems for `reconcile`, in bulk, and queueing the Link Jobs that repair what can be repaired.

Per entity: one CRM listing of the Linked rows, one of the To be Linked rows, and one QuickBooks query of the
active Customers or Items (paged by the connector: about one request per 1,000 records, far under QuickBooks'
500 requests a minute). Only a linked record missing from that active list is read on its own, to tell an
inactive record from a deleted one, so the number of single reads is the number of such drifts. Accounts and
contacts add one AgedReceivables report for both (their aging) and what the Low Priority service reads for their
sales and last transaction date (engine/customer_totals.py: a CustomerSales report, a CompanyInfo query and one
query each of Invoice, SalesReceipt, CreditMemo and Payment); invoices add one Invoice and one Payment query
(engine/reconcile_money.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from inolink_tui.domain.aging import Aging
from inolink_tui.domain.customer_totals import CustomerTotals
from inolink_tui.domain.enums import QBO_ENTITY_FOR, EntityType, Operation, RecordLinkStatus, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.domain.mapping import customer_entity_type, record_name
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.domain.reconcile import Drift, DriftKind, duplicates, field_drift
from inolink_tui.domain.reconcile_amounts import totals_drift
from inolink_tui.domain.reconcile_money import aging_drift
from inolink_tui.engine import fit
from inolink_tui.engine.customer_totals import TotalsReader, read_totals
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.payment_jobs import payment_job
from inolink_tui.engine.ports import AccountingPort
from inolink_tui.engine.qbo_transactions import history_row_id
from inolink_tui.engine.reconcile_money import aging_report, history_drifts, invoice_drifts, now_utc, payment_drifts
from inolink_tui.store.base import EnqueueResult, JobStore

CRM_INACTIVE = 1
"""Dataverse statecode of an inactive account, contact or product (0 is active)."""

NAMED: tuple[EntityType, ...] = (EntityType.ACCOUNT, EntityType.CONTACT, EntityType.PRODUCT)
"""The entities whose records reconcile compares field by field (customers and products)."""

COMPARED: tuple[EntityType, ...] = (*NAMED, EntityType.INVOICE)
"""Every entity reconcile takes: invoice compares the money (status and balance, payments and applications)."""

CUSTOMERS = (EntityType.ACCOUNT, EntityType.CONTACT)


class ReconcileCrm(Protocol):
    """The CRM reads reconcile needs (DataverseCrm has them; a test double may too)."""

    async def linked_rows(self, entity_type: EntityType) -> list[dict[str, Any]]: ...

    async def promoted(self, entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]: ...

    async def get_many(self, entity_type: EntityType, ids: Sequence[str]) -> list[dict[str, Any]]: ...

    async def column_values(self, entity_set: str, column: str) -> set[str]: ...


@dataclass(frozen=True, slots=True)
class _Qbo:
    active: dict[str, dict[str, Any]]


def _qbo_name(entity: str, record: Mapping[str, Any]) -> str:
    return str(record.get("DisplayName" if entity == "Customer" else "Name") or "")


async def reconcile(
    store: JobStore, crm: ReconcileCrm, qbo: AccountingPort, options: EngineOptions, entities: Sequence[EntityType]
) -> list[Drift]:
    """Every drift found for `entities`, in entity order, each entity's drifts sorted by kind then name."""
    now = now_utc()
    cache: dict[str, _Qbo] = {}
    rows: dict[EntityType, list[dict[str, Any]]] = {}
    customers_asked = any(et in CUSTOMERS for et in entities)
    aging = await aging_report(qbo, now) if customers_asked else {}
    totals = {}
    if customers_asked and isinstance(qbo, TotalsReader):
        totals = await read_totals(qbo, now.astimezone(options.timezone).date())
    drifts: list[Drift] = []
    for et in entities:
        if et not in NAMED:
            continue
        entity = QBO_ENTITY_FOR[et]
        if entity not in cache:
            cache[entity] = _Qbo({str(r["Id"]): r for r in await qbo.query(entity)})
        rows[et] = await crm.linked_rows(et)
        drifts += await _entity(store, crm, qbo, options, et, entity, cache[entity], rows[et], (aging, totals))
    if EntityType.INVOICE in entities:
        customers: dict[str, tuple[EntityType, str]] = {}
        for et in CUSTOMERS:
            for row in rows[et] if et in rows else await crm.linked_rows(et):
                if qbo_id := str(row.get(options.schema.accounting_id) or ""):
                    customers[qbo_id] = (et, str(row.get(PRIMARY_KEY[et]) or ""))
        # [sync] invoice_status / payments off: the engine writes none of it, so none of it is compared.
        money = await invoice_drifts(crm, qbo, options, now) if options.invoice_status else []
        money += await payment_drifts(crm, qbo, options, customers) if options.payments else []
        money += await history_drifts(crm, qbo, store, options, customers, now)
        order = list(DriftKind)
        drifts += sorted(money, key=lambda d: (order.index(d.kind), d.name.casefold(), d.field))
    return drifts


async def _entity(
    store: JobStore,
    crm: ReconcileCrm,
    qbo: AccountingPort,
    options: EngineOptions,
    et: EntityType,
    entity: str,
    qbo_data: _Qbo,
    rows: list[dict[str, Any]],
    money: tuple[Mapping[str, Aging], Mapping[str, CustomerTotals]],
) -> list[Drift]:
    schema = options.schema
    key = PRIMARY_KEY[et]
    found: list[Drift] = []
    for row in rows:
        crm_id, name = str(row.get(key) or ""), record_name(et, row)
        qbo_id = str(row.get(schema.accounting_id) or "")
        crm_inactive = row.get("statecode") == CRM_INACTIVE
        current = qbo_data.active.get(qbo_id)
        if current is None:
            single = await qbo.read(entity, qbo_id) if qbo_id else None
            if single is not None and crm_inactive:
                continue  # inactive on both sides: the sync carried it over, nothing differs
            kind = DriftKind.GONE if single is None else DriftKind.INACTIVE
            what = "no longer exists" if single is None else "is inactive"
            found.append(
                Drift(kind, et, name, crm_id, qbo_id, side="QuickBooks", detail=f"the QuickBooks {entity} {what}")
            )
            continue
        if crm_inactive:
            found.append(
                Drift(DriftKind.INACTIVE, et, name, crm_id, qbo_id, side="CRM", detail="the CRM record is inactive")
            )
        mapped = fit.crm_columns(et, entity, current)
        found += field_drift(et, name, crm_id, qbo_id, row, mapped)
        if et in CUSTOMERS:
            found += aging_drift(schema, et, name, crm_id, qbo_id, row, money[0])
            found += totals_drift(schema, et, name, crm_id, qbo_id, row, money[1])
    linked_ids = {str(row.get(key) or "").lower() for row in rows}
    lost = [k for k in await store.links(et, options.company) if k.link_status is RecordLinkStatus.LINKED]
    lost = [k for k in lost if k.crm_id.lower() not in linked_ids]
    if lost:
        # One bulk read of the links CRM no longer lists as Linked: those it does not return are deleted.
        there = {str(r.get(key) or "").lower() for r in await crm.get_many(et, [k.crm_id for k in lost])}
        for k in lost:
            if k.crm_id.lower() not in there:
                found.append(
                    Drift(
                        DriftKind.GONE,
                        et,
                        k.record_name,
                        k.crm_id,
                        k.qbo_id or "",
                        side="CRM",
                        detail="the CRM record no longer exists (QuickBooks keeps its record)",
                    )
                )
    for row in await crm.promoted(et):
        crm_id = str(row.get(key) or "")
        if await store.open_job_for(et, crm_id, Source.CRM) is None:
            found.append(
                Drift(
                    DriftKind.PROMOTED_NO_JOB,
                    et,
                    record_name(et, row),
                    crm_id,
                    fixable=True,
                    detail="To be Linked with no Queued job: a CRM -> QuickBooks job links it",
                )
            )
    found += duplicates(et, "CRM", ((str(r.get(key) or ""), record_name(et, r)) for r in rows))
    found += duplicates(et, "QuickBooks", _qbo_names(et, entity, qbo_data.active.values()))
    order = list(DriftKind)
    return sorted(found, key=lambda d: (order.index(d.kind), d.name.casefold(), d.field))


def _qbo_names(et: EntityType, entity: str, records: Iterable[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """QuickBooks names of the records this entity type maps to (Customers split into accounts and contacts)."""
    return [
        (str(r["Id"]), _qbo_name(entity, r)) for r in records if entity != "Customer" or customer_entity_type(r) is et
    ]


def history_job(d: Drift, company: str, actor: str) -> NewJob:
    """The Sales Transaction Link Job that rewrites a history row from QuickBooks (or removes it: deleted)."""
    return NewJob(
        entity_type=EntityType.SALES_TRANSACTION,
        source=Source.ACCOUNTING,
        crm_record_id=history_row_id(company, d.fix_transaction, d.qbo_id),
        record_name=d.name,
        company=company,
        operation=Operation.CREATE if d.side == "CRM" else Operation.UPDATE,
        submitted_by=actor,
        qbo_entity=d.fix_transaction,
        qbo_id=d.qbo_id,
    )


def repair_jobs(drifts: Iterable[Drift], company: str, actor: str) -> list[NewJob]:
    """One ordinary Link Job per record with a fixable drift: a QuickBooks -> CRM update for drifted fields, a
    CRM -> QuickBooks create for a promoted record without a job, a Payment job for a payment's money drifts, a
    Sales Transaction job for a history row's drifts."""
    jobs: dict[tuple[EntityType, str, Source], NewJob] = {}
    for d in drifts:
        if not d.fixable:
            continue
        if d.fix_transaction:
            job = history_job(d, company, actor)
            jobs.setdefault((job.entity_type, job.crm_record_id, job.source), job)
            continue
        if d.fix_payment:
            job = replace(payment_job({"Id": d.fix_payment}, company, now_utc()), submitted_by=actor)
            jobs.setdefault((job.entity_type, job.crm_record_id, job.source), job)
            continue
        if d.kind is DriftKind.FIELD:
            source, operation = Source.ACCOUNTING, Operation.UPDATE
        else:
            source, operation = Source.CRM, Operation.CREATE
        jobs.setdefault(
            (d.entity_type, d.crm_id, source),
            NewJob(
                entity_type=d.entity_type,
                source=source,
                crm_record_id=d.crm_id,
                record_name=d.name,
                company=company,
                operation=operation,
                submitted_by=actor,
                qbo_entity=QBO_ENTITY_FOR[d.entity_type] if d.qbo_id else None,
                qbo_id=d.qbo_id or None,
            ),
        )
    return list(jobs.values())


async def queue_repairs(store: JobStore, drifts: Sequence[Drift], company: str, actor: str) -> EnqueueResult:
    """Queue the repair jobs and write one audit row saying how many."""
    jobs = repair_jobs(drifts, company, actor)
    result = await store.enqueue(jobs) if jobs else EnqueueResult()
    detail = f"reconcile --fix: {len(result.created)} job(s) queued, {len(result.existing)} already open"
    await store.record_audit(actor, "reconcile-fix", detail, len(result.created))
    return result
