"""Running the QuickBooks -> CRM transaction jobs engine/qbo_transactions.py queues (issue 16 item 1).

- Invoice job of a linked invoice: QuickBooks' status, amount paid, balance and dates onto the CRM invoice;
- Invoice / Quote job of a QuickBooks-entered transaction (`"record"`): a CRM invoice or quote with its lines
  (a linked product's line, or a write-in line with the QuickBooks description), linked to the transaction;
- Sales Transaction job (`"history"`): the history row under the account or contact, or its removal once the
  transaction is deleted in QuickBooks.

Each job reads the transaction again (not the feed's copy), as every Accounting job does. Every CRM row written
here has an id derived from the QuickBooks company and Ids and is written by upsert, so a rerun, or a run after
the engine was killed half-way, writes the same rows again and never a second invoice, quote or history row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Operation, RecordLinkStatus, Source
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.invoice_status import is_voided
from inolink_tui.domain.jobs import JobSuccess, LinkJob
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.mapping.money import CompanyMoney
from inolink_tui.domain.mapping.records import DETAIL_SET, PRIMARY_KEY
from inolink_tui.domain.transaction_history import (
    RECORD_TABLE,
    TRANSACTION_LABELS,
    CrmLine,
    history_columns,
    record_columns,
    sales_lines,
    transaction_name,
)
from inolink_tui.engine.cursors import parse_time
from inolink_tui.engine.deferral import Deferred
from inolink_tui.engine.fit import FittingCrm, FittingQbo
from inolink_tui.engine.money import MoneyLookups
from inolink_tui.engine.money_back import refresh_invoice
from inolink_tui.engine.money_services import MoneyBack, money_back
from inolink_tui.engine.payment_removal import RowsCrm
from inolink_tui.engine.ports import PortError
from inolink_tui.engine.qbo_transactions import history_row_id, record_line_id, record_row_id
from inolink_tui.engine.sync_context import SyncContext, UsesContext
from inolink_tui.engine.transaction_removal import REMOVABLE, unlink_deleted_transaction

_CUSTOMER_SET = {EntityType.ACCOUNT: "accounts", EntityType.CONTACT: "contacts"}


class TransactionPull(UsesContext[SyncContext]):
    """Runs an Accounting job of Entity Type Invoice, Quote or Sales Transaction."""

    def __init__(self, ctx: SyncContext, money: MoneyLookups) -> None:
        super().__init__(ctx)
        self.money = money
        """The cycle's QuickBooks Terms (and tax codes), read once per cycle, not once per invoice."""

    async def _term_names(self, txn: Mapping[str, Any]) -> CompanyMoney | None:
        return await self.money.company() if txn.get("SalesTermRef") else None

    def _ports(self) -> tuple[RowsCrm, MoneyBack]:
        # Rows here are built to fit the tables (domain/transaction_history.py), so the ports under the fitting
        # wrappers serve, as for payments (engine/payment_jobs.py).
        crm = self.crm.inner if isinstance(self.crm, FittingCrm) else self.crm
        qbo = self.qbo.inner if isinstance(self.qbo, FittingQbo) else self.qbo
        money = money_back(crm, qbo, self.store, self.options, self.clock)
        if money is None or not isinstance(crm, RowsCrm):
            raise PortError(ErrorClass.VALIDATION, "this CRM connection cannot write QuickBooks transactions")
        return crm, money

    async def run(self, job: LinkJob) -> JobSuccess:
        entity, tid = job.qbo_entity or "", job.accounting_id or ""
        if entity not in TRANSACTION_LABELS or not tid:
            raise PortError(ErrorClass.VALIDATION, "the job names no QuickBooks transaction")
        crm, money = self._ports()
        txn = await self.qbo.read(entity, tid)
        if job.entity_type is EntityType.SALES_TRANSACTION:
            return await self._history(job, crm, entity, tid, txn)
        if txn is None and job.entity_type in REMOVABLE:  # deleted in QuickBooks: its CRM record is unlinked
            return await unlink_deleted_transaction(
                crm, self.store, job, entity, tid, company=self.options.company, now=self.clock()
            )
        if txn is None:
            raise PortError(ErrorClass.REFERENCE, f"QuickBooks {entity} {tid} no longer exists")
        link = await self.store.find_link_by_qbo(entity, tid, self.options.company)
        if link is not None and link.crm_id and link.link_status is RecordLinkStatus.LINKED:
            if link.entity_type is EntityType.INVOICE:
                return await self._status(crm, money, link.crm_id, txn, link)
            return JobSuccess(
                accounting_id=tid,
                qbo_entity=entity,
                crm_record_id=link.crm_id,
                message=f"already linked to {link.entity_type.value} in CRM; nothing to do",
            )
        if job.crm_record_id and job.entity_type is EntityType.INVOICE:
            return await self._status(crm, money, job.crm_record_id, txn, None)
        if job.entity_type is not RECORD_TABLE.get(entity):
            raise PortError(ErrorClass.VALIDATION, f"a QuickBooks {entity} cannot become a CRM {job.entity_type.value}")
        return await self._record(job, crm, money, entity, txn)

    async def _customer(self, txn: dict[str, Any]) -> tuple[EntityType, str, str]:
        ref = txn.get("CustomerRef") or {}
        customer = str(ref.get("value") or "")
        link = await self.store.find_link_by_qbo("Customer", customer, self.options.company) if customer else None
        if link is None or not link.crm_id or link.link_status is not RecordLinkStatus.LINKED:
            raise PortError(
                ErrorClass.REFERENCE,
                f"QuickBooks customer {ref.get('name') or customer!r} is not linked to CRM; link it (or let its job "
                "run), then requeue this job",
            )
        return link.entity_type, link.crm_id, str(ref.get("name") or link.record_name)

    async def _status(
        self, crm: RowsCrm, money: MoneyBack, crm_id: str, invoice: dict[str, Any], link: RecordLink | None
    ) -> JobSuccess:
        row = await crm.get(EntityType.INVOICE, crm_id)
        if row is None:
            raise PortError(ErrorClass.REFERENCE, "the linked invoice no longer exists in CRM")
        today = self.clock().astimezone(self.options.timezone).date()
        written = await refresh_invoice(
            crm,
            money.qbo,
            row,
            invoice,
            today,
            money.remember,
            terms=self.options.money,
            term_names=await self._term_names(invoice),
        )
        if link is not None:
            link = await self.store.get_link(EntityType.INVOICE, crm_id) or link
            token = str(invoice.get("SyncToken")) if invoice.get("SyncToken") is not None else None
            shown = parse_time((invoice.get("MetaData") or {}).get("LastUpdatedTime"))
            await self.store.upsert_link(
                replace(link, qbo_sync_token=token, qbo_last_updated=shown, updated_at=self.clock())
            )
        done = "refreshed from QuickBooks" if written else "already up to date"
        voided = "voided in QuickBooks (every amount 0): " if is_voided(invoice) else ""
        return JobSuccess(
            accounting_id=str(invoice["Id"]),
            qbo_entity="Invoice",
            crm_record_id=crm_id,
            message=f"{voided}invoice status {done} (balance {invoice.get('Balance')} of {invoice.get('TotalAmt')})",
            operation=Operation.UPDATE,
        )

    async def _history(
        self, job: LinkJob, crm: RowsCrm, entity: str, tid: str, txn: dict[str, Any] | None
    ) -> JobSuccess:
        schema, company = crm.schema, self.options.company
        row_id = history_row_id(company, entity, tid)
        if txn is None:  # deleted in QuickBooks: its history row goes too
            gone = await crm.delete_row(schema.sales_transactions, row_id)
            return JobSuccess(
                accounting_id=tid,
                qbo_entity=entity,
                crm_record_id=row_id,
                message="deleted in QuickBooks: history row removed"
                if gone
                else "deleted in QuickBooks; CRM had no row",
                operation=Operation.UPDATE,
            )
        et, customer_id, customer_name = await self._customer(txn)
        today = self.clock().astimezone(self.options.timezone).date()
        columns = history_columns(schema, entity, txn, today, customer_name)
        lookup = schema.sales_transaction("accountid" if et is EntityType.ACCOUNT else "contactid")
        columns[f"{lookup}@odata.bind"] = f"/{_CUSTOMER_SET[et]}({customer_id})"
        created = await crm.upsert_row(schema.sales_transactions, row_id, columns)
        return JobSuccess(
            accounting_id=tid,
            qbo_entity=entity,
            crm_record_id=row_id,
            record_name=str(columns[schema.sales_transaction("name")]),
            message=f"{'recorded' if created else 'updated'} in CRM's transaction history under the {et.value.lower()}",
            operation=Operation.CREATE if created else Operation.UPDATE,
        )

    async def _wait_for_item_jobs(self, job: LinkJob, lines: list[CrmLine]) -> None:
        """An item entered in QuickBooks with the transaction has its own Accounting job queued (creating the CRM
        product): wait for it, so the line is the product's and not a write-in."""
        for line in lines:
            if not line.item_id or not line.item_name:
                continue
            if await self.store.find_link_by_qbo("Item", line.item_id, self.options.company) is not None:
                continue
            page = await self.store.page(
                JobFilter(
                    statuses=(LinkStatus.QUEUED,),
                    sources=(Source.ACCOUNTING,),
                    entity_types=(EntityType.PRODUCT,),
                    text=line.item_name,
                ),
                limit=20,
            )
            for other in page.jobs:
                if other.id != job.id and other.accounting_id == line.item_id:
                    raise Deferred(
                        f"waiting for job {other.id} linking the line's item {line.item_name!r}",
                        self.options.dependency_poll_seconds,
                        dependency=True,
                    )

    async def _record(
        self, job: LinkJob, crm: RowsCrm, money: MoneyBack, entity: str, txn: dict[str, Any]
    ) -> JobSuccess:
        """A CRM invoice or quote with its lines from a QuickBooks-entered transaction, linked to it."""
        schema, company, tid, et = crm.schema, self.options.company, str(txn["Id"]), job.entity_type
        customer_et, customer_id, customer_name = await self._customer(txn)
        await self._wait_for_item_jobs(job, sales_lines(txn))
        entity_set, key = schema.entity_set_for(et), PRIMARY_KEY[et]
        row_id = record_row_id(company, entity, tid)
        header = record_columns(schema, entity, txn, customer_name)
        header[f"customerid_{customer_et.value.lower()}@odata.bind"] = f"/{_CUSTOMER_SET[customer_et]}({customer_id})"
        created = await crm.upsert_row(entity_set, row_id, header)
        written_lines = write_ins = 0
        for line in sales_lines(txn):
            columns: dict[str, object] = {
                f"{key}@odata.bind": f"/{entity_set}({row_id})",
                "quantity": line.quantity,
                "priceperunit": line.price,
                "lineitemnumber": line.number,
            }
            product = await self.store.find_link_by_qbo("Item", line.item_id, company) if line.item_id else None
            if product is not None and product.crm_id and product.link_status is RecordLinkStatus.LINKED:
                columns["productid@odata.bind"] = f"/products({product.crm_id})"
                columns["isproductoverridden"] = False
                # A catalogue line carries a unit in Dynamics (its forms ask for one; the reference page leaves the
                # API's requirement unstated): the product's default unit, where the org keeps one.
                crm_product = await crm.get(EntityType.PRODUCT, product.crm_id)
                if crm_product and crm_product.get("_defaultuomid_value"):
                    columns["uomid@odata.bind"] = f"/uoms({crm_product['_defaultuomid_value']})"
            else:  # an item CRM does not know: a write-in line, as InoLink maps them the other way (1.7)
                columns["isproductoverridden"] = True
                columns["productdescription"] = line.description or f"QuickBooks item {line.item_id}"
                write_ins += 1
            await crm.upsert_row(DETAIL_SET[et], record_line_id(company, entity, tid, line.number), columns)
            written_lines += 1
        row = await crm.get(et, row_id)
        version = str(row["versionnumber"]) if row and row.get("versionnumber") is not None else None
        name = transaction_name(entity, txn, customer_name)
        await self.store.upsert_link(
            RecordLink(
                entity_type=et,
                crm_id=row_id,
                company=company,
                link_status=RecordLinkStatus.LINKED,
                qbo_entity=entity,
                qbo_id=tid,
                crm_version=version,
                qbo_sync_token=str(txn.get("SyncToken")),
                qbo_last_updated=parse_time((txn.get("MetaData") or {}).get("LastUpdatedTime")),
                record_name=name,
                updated_at=self.clock(),
            )
        )
        done = "created" if created else "updated"
        message = f"{done} {et.value.lower()} in CRM from QuickBooks with {written_lines} line(s)"
        if write_ins:
            message += f" ({write_ins} write-in: item not linked to a CRM product)"
        if et is EntityType.INVOICE and row is not None:
            today = self.clock().astimezone(self.options.timezone).date()
            names = await self._term_names(txn)
            if await refresh_invoice(
                crm, money.qbo, row, txn, today, money.remember, terms=self.options.money, term_names=names
            ):
                message += "; status and balance written"
        return JobSuccess(
            accounting_id=tid,
            qbo_entity=entity,
            crm_record_id=row_id,
            record_name=name,
            message=message,
            operation=Operation.CREATE if created else Operation.UPDATE,
        )
