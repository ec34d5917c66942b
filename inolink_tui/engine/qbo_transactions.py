"""The Link Jobs one QuickBooks CDC answer's transactions make (issue 16 item 1), all of Source Accounting:

- an invoice linked to a CRM invoice (promoted from CRM, or recorded from QuickBooks) that changed: one Invoice
  job refreshing its status, amount paid, balance and dates (`[sync] invoice_status`). These used to be written
  straight from the CDC answer; as jobs they are visible in the console, retried, and audited like the rest;
- an invoice, estimate, credit memo or sales receipt entered in QuickBooks for a linked customer: a Sales
  Transaction job (`"history"`) or an Invoice / Quote job creating the CRM record (`"record"`), by the `[sync]`
  switch of its type (domain/transaction_history.py; all off by default);
- a transaction kept as history and then deleted in QuickBooks: a Sales Transaction job removing its row;
- an invoice or estimate linked to a CRM invoice or quote and then deleted in QuickBooks: an Invoice / Quote job
  unlinking the CRM record and reporting it (engine/transaction_removal.py); a voided invoice is an update and
  gets the ordinary status job, which writes QuickBooks' zeroed amounts;
- a payment deleted in QuickBooks: a Payment job removing it from CRM or marking it void (engine/payment_removal.py).
  A voided payment is an ordinary update in CDC and gets the ordinary Payment job, which sees the void.

A state of an invoice CRM already shows (the LastUpdatedTime its last status job wrote) makes no job.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from inolink_tui.domain.enums import EntityType, Operation, RecordLinkStatus, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.transaction_history import (
    RECORD_TABLE,
    TRANSACTION_LABELS,
    TransactionSync,
    transaction_key,
    transaction_name,
)
from inolink_tui.engine.cursors import parse_time
from inolink_tui.engine.money_back import MONEY_NAMESPACE, MoneyAccounting, MoneyCrm
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.payment_jobs import removed_payment_job
from inolink_tui.engine.transaction_removal import REMOVABLE
from inolink_tui.store.base import JobStore

TRANSACTION_ENTITIES: tuple[str, ...] = tuple(TRANSACTION_LABELS)
"""Invoice, Estimate, CreditMemo, SalesReceipt."""


def history_row_id(company: str, entity: str, txn_id: str) -> str:
    """The Sales Transaction row's id, derived from the QuickBooks company, entity and Id: a rerun upserts it."""
    return str(uuid.uuid5(MONEY_NAMESPACE, f"{company}|SalesTransaction|{entity}|{txn_id}"))


def record_row_id(company: str, entity: str, txn_id: str) -> str:
    """The id of the CRM invoice or quote recorded from a QuickBooks transaction (a rerun finds the same row)."""
    return str(uuid.uuid5(MONEY_NAMESPACE, f"{company}|Record|{entity}|{txn_id}"))


def record_line_id(company: str, entity: str, txn_id: str, line: int) -> str:
    return str(uuid.uuid5(MONEY_NAMESPACE, f"{company}|RecordLine|{entity}|{txn_id}|{line}"))


def status_shown(link: RecordLink, txn: Mapping[str, Any]) -> bool:
    """Whether CRM already shows this state of the invoice: the status job records the QuickBooks
    LastUpdatedTime it wrote (`qbo_last_updated`), and CDC's overlap brings the same state again. Our own push
    (its SyncToken on the link) is not enough: the invoice it created still has no status in CRM."""
    when = parse_time((txn.get("MetaData") or {}).get("LastUpdatedTime"))
    return link.qbo_last_updated is not None and when is not None and when <= link.qbo_last_updated


def _job(
    et: EntityType,
    entity: str,
    txn: Mapping[str, Any],
    company: str,
    now: datetime,
    *,
    crm_id: str = "",
    name: str = "",
    operation: Operation = Operation.CREATE,
) -> NewJob:
    customer = txn.get("CustomerRef") or {}
    return NewJob(
        entity_type=et,
        source=Source.ACCOUNTING,
        crm_record_id=crm_id,
        record_name=(name or transaction_name(entity, txn, str(customer.get("name") or "")))[:200],
        company=company,
        operation=operation,
        submitted_by="QuickBooks",
        submitted_at=parse_time((txn.get("MetaData") or {}).get("LastUpdatedTime")) or now,
        qbo_entity=entity,
        qbo_id=str(txn["Id"]),
    )


def removed_linked(link: RecordLink) -> bool:
    """A CRM invoice or quote linked to a transaction QuickBooks reports deleted: it gets an unlinking job."""
    return link.entity_type in REMOVABLE and link.link_status is RecordLinkStatus.LINKED and bool(link.crm_id)


def _removed_job(link: RecordLink, entity: str, txn: Mapping[str, Any], company: str, now: datetime) -> NewJob:
    name = link.record_name or f"{TRANSACTION_LABELS[entity]} {txn['Id']}"
    return _job(
        link.entity_type,
        entity,
        txn,
        company,
        now,
        crm_id=link.crm_id,
        name=f"{name} (deleted in QuickBooks)",
        operation=Operation.UPDATE,
    )


async def transaction_jobs(
    crm: MoneyCrm,
    store: JobStore,
    options: EngineOptions,
    entities: Mapping[str, Sequence[Mapping[str, Any]]],
    now: datetime,
) -> list[NewJob]:
    """The jobs of one CDC answer's Invoice, Estimate, CreditMemo, SalesReceipt and deleted Payment objects."""
    company, policy = options.company, options.transactions
    jobs: list[NewJob] = []
    crm_invoices: dict[str, str] | None = None
    for entity in TRANSACTION_ENTITIES:
        mode = policy.mode(entity)
        for txn in entities.get(entity) or []:
            if not txn.get("Id"):
                continue
            tid, deleted = str(txn["Id"]), txn.get("status") == "Deleted"
            link = await store.find_link_by_qbo(entity, tid, company)
            if link is not None:
                if deleted and removed_linked(link):  # its CRM invoice or quote is unlinked and reported
                    jobs.append(_removed_job(link, entity, txn, company, now))
                    continue
                # Promoted from CRM or recorded from QuickBooks: only an invoice's status comes back.
                if (
                    entity == "Invoice"
                    and not deleted
                    and options.invoice_status
                    and link.entity_type is EntityType.INVOICE
                    and link.link_status is RecordLinkStatus.LINKED
                    and link.crm_id
                    and not status_shown(link, txn)
                ):
                    jobs.append(
                        _job(
                            EntityType.INVOICE,
                            entity,
                            txn,
                            company,
                            now,
                            crm_id=link.crm_id,
                            name=link.record_name,
                            operation=Operation.UPDATE,
                        )
                    )
                continue
            if entity == "Invoice" and options.invoice_status:
                if crm_invoices is None:  # linked in CRM without a link in this store (InoLink's, a new database)
                    rows = await crm.linked_with(EntityType.INVOICE, [])
                    crm_invoices = {str(r[crm.schema.accounting_id]): str(r["invoiceid"]) for r in rows}
                if tid in crm_invoices:
                    crm_link = RecordLink(
                        entity_type=EntityType.INVOICE,
                        crm_id=crm_invoices[tid],
                        company=company,
                        link_status=RecordLinkStatus.LINKED,
                        qbo_entity=entity,
                        qbo_id=tid,
                    )
                    if deleted:
                        jobs.append(_removed_job(crm_link, entity, txn, company, now))
                    else:
                        jobs.append(
                            _job(
                                EntityType.INVOICE,
                                entity,
                                txn,
                                company,
                                now,
                                crm_id=crm_link.crm_id,
                                operation=Operation.UPDATE,
                            )
                        )
                    continue
            if mode is TransactionSync.OFF:
                continue
            if deleted:
                if mode is TransactionSync.HISTORY:  # its history row (if one was written) goes
                    jobs.append(
                        _job(
                            EntityType.SALES_TRANSACTION,
                            entity,
                            txn,
                            company,
                            now,
                            crm_id=history_row_id(company, entity, tid),
                            name=f"{TRANSACTION_LABELS[entity]} {tid} (deleted in QuickBooks)",
                            operation=Operation.UPDATE,
                        )
                    )
                continue
            customer = str((txn.get("CustomerRef") or {}).get("value") or "")
            customer_link = await store.find_link_by_qbo("Customer", customer, company) if customer else None
            if (
                customer_link is None
                or not customer_link.crm_id
                or customer_link.link_status is not RecordLinkStatus.LINKED
            ):
                continue  # only linked customers' transactions reach CRM
            if mode is TransactionSync.HISTORY:
                jobs.append(
                    _job(
                        EntityType.SALES_TRANSACTION,
                        entity,
                        txn,
                        company,
                        now,
                        crm_id=history_row_id(company, entity, tid),
                    )
                )
            elif entity in RECORD_TABLE:
                jobs.append(_job(RECORD_TABLE[entity], entity, txn, company, now))
    if options.payments:
        for payment in entities.get("Payment") or []:
            if payment.get("status") == "Deleted" and payment.get("Id"):
                when = parse_time((payment.get("MetaData") or {}).get("LastUpdatedTime"))
                jobs.append(removed_payment_job(str(payment["Id"]), company, now, when))
    return jobs


async def missing_transactions(
    crm: MoneyCrm, qbo: MoneyAccounting, store: JobStore, options: EngineOptions, now: datetime
) -> list[NewJob]:
    """The Low Priority service's backfill: transactions of the switched-on types that CRM lacks, for customers
    linked after CDC reported them (or a switch turned on later). One paged query per switched-on type and one
    CRM read of the recorded keys; a "record" transaction counts as there once it is linked."""
    policy, found = options.transactions, {}
    recorded: set[str] | None = None
    for entity in TRANSACTION_ENTITIES:
        mode = policy.mode(entity)
        if mode is TransactionSync.OFF:
            continue
        txns = await qbo.query(entity)
        if mode is TransactionSync.HISTORY:
            if recorded is None:
                recorded = await crm.column_values(crm.schema.sales_transactions, crm.schema.transaction_key)
            txns = [t for t in txns if transaction_key(entity, str(t.get("Id"))) not in recorded]
        found[entity] = txns
    if not found:
        return []
    # Invoice status and deleted payments are the High Priority service's: only the transactions themselves here.
    return await transaction_jobs(crm, store, replace(options, invoice_status=False, payments=False), found, now)
