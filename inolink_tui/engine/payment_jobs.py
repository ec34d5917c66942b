"""Payments received in QuickBooks as ordinary Link Jobs (Entity Type Payment, Source Accounting), issue 16.

The High Priority service queues one job per payment CDC reports, the Low Priority service one per payment
QuickBooks has and CRM lacks (a customer linked after its payment was reported); the worker pool runs them like
any other job, so an operator sees, filters (`entity:payment`), requeues and audits them.

Running a job twice, or again after the engine was killed half-way, records the payment once: the job's CRM
record id is the payment row's name-based id (engine/money_back.py `payment_row_id`), and the row and its
applications are written by upsert on that id. The job reads the payment again from QuickBooks (not the feed's
copy), as every Accounting job does, and refreshes the status of the linked invoices it paid.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Operation, Source
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.invoice_status import is_voided
from inolink_tui.domain.jobs import JobSuccess, LinkJob, NewJob
from inolink_tui.domain.payments import applications, payment_name
from inolink_tui.engine.cursors import parse_time
from inolink_tui.engine.deferral import Deferred
from inolink_tui.engine.fit import FittingCrm, FittingQbo
from inolink_tui.engine.money_back import payment_row_id
from inolink_tui.engine.money_services import MoneyBack, money_back
from inolink_tui.engine.payment_removal import RowsCrm, prune_applications, refresh_invoices_by_id, remove_payment
from inolink_tui.engine.ports import PortError
from inolink_tui.engine.sync_context import SyncContext, UsesContext


def removed_payment_job(payment_id: str, company: str, now: datetime, when: datetime | None) -> NewJob:
    """The Link Job that removes (or marks void) a payment QuickBooks' CDC reported deleted."""
    return NewJob(
        entity_type=EntityType.PAYMENT,
        source=Source.ACCOUNTING,
        crm_record_id=payment_row_id(company, payment_id),
        record_name=f"Payment {payment_id} (deleted in QuickBooks)",
        company=company,
        operation=Operation.UPDATE,
        submitted_by="QuickBooks",
        submitted_at=when or now,
        qbo_entity="Payment",
        qbo_id=payment_id,
    )


def payment_job(payment: Mapping[str, Any], company: str, now: datetime) -> NewJob:
    """The Link Job that records one QuickBooks payment in CRM."""
    pid = str(payment["Id"])
    customer = payment.get("CustomerRef") or {}
    return NewJob(
        entity_type=EntityType.PAYMENT,
        source=Source.ACCOUNTING,
        crm_record_id=payment_row_id(company, pid),
        record_name=payment_name(payment, str(customer.get("name") or ""))[:200],
        company=company,
        operation=Operation.CREATE,
        submitted_by="QuickBooks",
        submitted_at=parse_time((payment.get("MetaData") or {}).get("LastUpdatedTime")) or now,
        qbo_entity="Payment",
        qbo_id=pid,
    )


class PaymentPull(UsesContext[SyncContext]):
    """Runs a Payment job: the payment row, its applications, and the status of the invoices it paid."""

    async def record(self, job: LinkJob) -> JobSuccess:
        pid = job.accounting_id
        if not pid:
            raise PortError(ErrorClass.VALIDATION, "the job has no QuickBooks payment id")
        # Payment columns are fitted where they are built (domain/payments.py), so the ports under the fitting
        # wrappers serve: those are what can upsert a payment row and read reports.
        crm = self.crm.inner if isinstance(self.crm, FittingCrm) else self.crm
        qbo = self.qbo.inner if isinstance(self.qbo, FittingQbo) else self.qbo
        money = money_back(crm, qbo, self.store, self.options, self.clock)
        if money is None:
            raise PortError(ErrorClass.VALIDATION, "this CRM connection cannot record payments (no payment table)")
        payment = await self.qbo.read("Payment", pid)
        if payment is None or is_voided(payment):
            if payment is not None and self.options.transactions.keeps_removed_payment(deleted=False):
                await money.record_payment(payment)  # as QuickBooks keeps it (amount 0), even if CRM never had it
            return await self._removed(job, crm, money, deleted=payment is None)
        result = await money.record_payment(payment)
        if isinstance(crm, RowsCrm):  # applications the payment no longer has (edited in QuickBooks) go
            _, invoices = await prune_applications(
                crm, self.options.company, pid, {a.invoice_id for a in applications(payment)}
            )
            today = self.clock().astimezone(self.options.timezone).date()
            await refresh_invoices_by_id(crm, money.qbo, invoices, today, money.remember)
        customer = payment.get("CustomerRef") or {}
        name = payment_name(payment, str(customer.get("name") or ""))[:200]
        if result.payments_waiting:
            await self._wait_for_customer_job(job, str(customer.get("value") or ""), str(customer.get("name") or ""))
            raise PortError(
                ErrorClass.REFERENCE,
                f"QuickBooks customer {customer.get('name') or customer.get('value')!r} is not linked to CRM; "
                "link it (or let its job run), then requeue this job",
            )
        done = "recorded" if result.payments_created else "updated"
        message = f"payment {done} in CRM with {result.applications} invoice application(s)"
        if result.invoices_updated:
            message += f"; {result.invoices_updated} invoice status(es) refreshed"
        return JobSuccess(
            accounting_id=pid,
            qbo_entity="Payment",
            crm_record_id=payment_row_id(self.options.company, pid),
            record_name=name,
            message=message,
            operation=Operation.CREATE if result.payments_created else Operation.UPDATE,
        )

    async def _removed(self, job: LinkJob, crm: object, money: MoneyBack, *, deleted: bool) -> JobSuccess:
        """The payment was deleted or voided in QuickBooks: remove it from CRM or mark it void (engine/
        payment_removal.py), by `[sync] removed_payments`."""
        pid = str(job.accounting_id)
        if not isinstance(crm, RowsCrm):
            raise PortError(ErrorClass.VALIDATION, "this CRM connection cannot remove payments")
        now = self.clock()
        removal = await remove_payment(
            crm,
            money.qbo,
            self.options.company,
            pid,
            keep_marked=self.options.transactions.keeps_removed_payment(deleted),
            now=now,
            today=now.astimezone(self.options.timezone).date(),
            remember=money.remember,
        )
        return JobSuccess(
            accounting_id=pid,
            qbo_entity="Payment",
            crm_record_id=payment_row_id(self.options.company, pid),
            record_name=job.record_name,
            message=f"{'deleted' if deleted else 'voided'} in QuickBooks: {removal.message}",
            operation=Operation.UPDATE,
        )

    async def _wait_for_customer_job(self, job: LinkJob, customer_id: str, customer_name: str) -> None:
        """A customer created in the same CDC answer has its own Accounting job queued: wait for it."""
        if not customer_id or not customer_name:
            return
        page = await self.store.page(
            JobFilter(
                statuses=(LinkStatus.QUEUED,),
                sources=(Source.ACCOUNTING,),
                entity_types=(EntityType.ACCOUNT, EntityType.CONTACT),
                text=customer_name,
            ),
            limit=20,
        )
        for other in page.jobs:
            if other.id != job.id and other.accounting_id == customer_id:
                raise Deferred(
                    f"waiting for job {other.id} linking the payment's customer {customer_name!r}",
                    self.options.dependency_poll_seconds,
                    dependency=True,
                )
