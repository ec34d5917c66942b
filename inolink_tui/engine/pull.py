"""Pulling one QuickBooks change into CRM (a Link Job of Source Accounting).

A linked record is updated (Deadlock Win settles a change on both sides, the losing values kept in the job's
history); an unlinked one is linked to the CRM record of the same name, or created in CRM. A change carrying
the SyncToken we produced never gets here: the High Priority scan drops it as an echo.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from inolink_tui.domain.conflicts import losing_fields, sent_fields
from inolink_tui.domain.enums import (
    CRM_ENTITY_SET_FOR,
    CRM_LOGICAL_NAME_FOR,
    QBO_ENTITY_FOR,
    DeadlockWin,
    EntityType,
    ErrorClass,
    Operation,
    RecordLinkStatus,
)
from inolink_tui.domain.jobs import JobSuccess, LinkJob
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.mapping import changed_fields, customer_entity_type, record_name, sparse_update
from inolink_tui.domain.mapping.applied import with_applied
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.engine import fit
from inolink_tui.engine.currency import crm_currency
from inolink_tui.engine.customer_types import account_category
from inolink_tui.engine.documents import request_id
from inolink_tui.engine.lifecycle import active_note, crm_columns_for_active, without_deleted_suffix
from inolink_tui.engine.lookups import Lookups
from inolink_tui.engine.own_create import wait_for_own_create
from inolink_tui.engine.payment_jobs import PaymentPull
from inolink_tui.engine.ports import PortError
from inolink_tui.engine.primary_contact import ContactPull, pull_primary_contact
from inolink_tui.engine.pulled_link import linked_record
from inolink_tui.engine.sync_context import SyncContext, UsesContext, qbo_display_name, row_version
from inolink_tui.engine.terms import customer_terms
from inolink_tui.engine.transaction_pull import TransactionPull

UNLINKED = RecordLinkStatus.UNLINKED


def _bind(entity_type: EntityType, crm_id: str) -> str:
    return f"/{CRM_ENTITY_SET_FOR[entity_type]}({crm_id})"


class Pull(UsesContext[SyncContext]):
    """QuickBooks -> CRM: customers and items updated in, linked to, or created in CRM."""

    def __init__(self, ctx: SyncContext, lookups: Lookups) -> None:
        super().__init__(ctx)
        self.lookups = lookups

    async def qbo_to_crm(self, job: LinkJob) -> JobSuccess:
        """Apply the QuickBooks record's current state (read again, not the feed's copy) to CRM."""
        if job.entity_type is EntityType.PAYMENT:
            return await PaymentPull(self.ctx).record(job)
        if job.entity_type is EntityType.SALES_TRANSACTION or job.entity_type.is_transaction:
            return await TransactionPull(self.ctx, self.lookups.money).run(job)
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
        crm_changed = link.crm_version is not None and row_version(row) != link.crm_version
        built = fit.crm_columns(et, entity, without_deleted_suffix(current))
        built.update(await customer_terms(self.lookups.money, self.options.money, entity, current))
        built.update(await account_category(self.lookups.money, self.options.customers, et, current))
        mapped = fit.crm_values(et, await self.lookups.custom.to_crm(et, entity, current, built, row))
        activity = crm_columns_for_active(self.options.lifecycle, current, row)
        mapped.update(activity)
        payload: dict[str, Any] | None = None
        token = str(current.get("SyncToken")) if current.get("SyncToken") is not None else None
        if crm_changed and self.options.deadlock_win is DeadlockWin.CRM:
            # CRM wins: its values go to QuickBooks; QuickBooks' edit is kept in the job's history.
            desired = await self.lookups.desired(
                replace(job, entity_type=et, crm_record_id=link.crm_id), row, create=False
            )
            body = sparse_update(without_deleted_suffix(current), desired)
            losing = losing_fields(current, body)
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
                    "winning_values": sent_fields(body),
                }
            }
            message = "conflict: both sides changed; CRM won (Deadlock Win), QuickBooks values replaced"
            version = row_version(row)
        else:
            columns = changed_fields(row, mapped)
            person = await self._primary_contact(et, current, link.crm_id, row)
            columns.update(person.account_columns)
            if crm_changed:
                payload = {
                    "conflict": {
                        "winner": "QuickBooks",
                        "losing_side": "CRM",
                        "losing_values": {k: row.get(k) for k in columns},
                        "winning_values": dict(columns),
                    }
                }
            version = row_version(row)
            if columns:
                written = await self.crm.update(et, link.crm_id, columns)
                version = written.version or version
            message = f"updated {et.value} in CRM ({len(columns)} fields)" if columns else "no field changed"
            if activity and columns:
                message += "; " + active_note(entity, current, activity)
            if person.note:
                message += "; " + person.note
            if crm_changed:
                message = "conflict: both sides changed; QuickBooks won (Deadlock Win), " + message
        await self.store.upsert_link(replace(link, crm_version=version, qbo_sync_token=token, updated_at=self.clock()))
        if payload is not None and payload["conflict"]["winner"] == "CRM":
            payload = with_applied(payload, self.lookups.custom.applied(et, row, current, to_quickbooks=True))
        else:
            after = {**row, **changed_fields(row, mapped)}
            payload = with_applied(payload, self.lookups.custom.applied(et, after, current, to_quickbooks=False))
        return JobSuccess(
            accounting_id=str(current["Id"]),
            qbo_entity=entity,
            crm_record_id=link.crm_id,
            record_name=record_name(et, row),
            message=message,
            payload=payload,
            operation=Operation.UPDATE,
        )

    async def _primary_contact(
        self, et: EntityType, customer: dict[str, Any], account_id: str, account: dict[str, Any] | None
    ) -> ContactPull:
        return await pull_primary_contact(
            self.crm, self.store, self.options.customers, et, customer, account_id, account
        )

    async def _pull_create(self, job: LinkJob, entity: str, current: dict[str, Any]) -> JobSuccess:
        et = customer_entity_type(current) if entity == "Customer" else EntityType.PRODUCT
        built = fit.crm_columns(et, entity, current, for_create=True)
        built.update(await customer_terms(self.lookups.money, self.options.money, entity, current))
        built.update(await account_category(self.lookups.money, self.options.customers, et, current))
        columns = fit.crm_values(et, await self.lookups.custom.to_crm(et, entity, current, built, None, create=True))
        name = qbo_display_name(entity, current)
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
        # Our own CRM -> QuickBooks create, its link not saved yet (a webhook is that quick): wait, never create.
        poll = self.options.dependency_poll_seconds
        await wait_for_own_create(self.store, job, et, {name, lookup_name}, clock=self.clock, poll=poll)
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
            written_version = row_version(existing[0])
            if changes:
                written = await self.crm.update(et, crm_id, changes)
                written_version = written.version or written_version
            message = f"linked to the existing {et.value} in CRM"
            operation = Operation.LINK
        else:
            if et is EntityType.PRODUCT:
                columns.update(await self.lookups.custom.product_unit_columns())
            if entity == "Customer":  # a new record only: an existing one keeps its currency
                columns.update(await crm_currency(self.lookups.currencies, current))
            written = await self.crm.create(et, columns)
            crm_id, written_version = written.id, written.version
            message = f"created {et.value} in CRM"
            operation = Operation.CREATE
        person = await self._primary_contact(et, current, crm_id, existing[0] if existing else None)
        if person.account_columns:
            written_version = (await self.crm.update(et, crm_id, person.account_columns)).version or written_version
        if person.note:
            notes.append(person.note)
        if notes:
            message += "; " + "; ".join(notes)
        await self.store.upsert_link(
            linked_record(
                et,
                crm_id,
                self.options.company,
                entity,
                current,
                crm_version=written_version,
                name=name,
                now=self.clock(),
            )
        )
        return JobSuccess(
            accounting_id=str(current["Id"]),
            qbo_entity=entity,
            crm_record_id=crm_id,
            record_name=name,
            message=message,
            operation=operation,
            payload=with_applied(None, self.lookups.custom.applied(et, columns, current, to_quickbooks=False)),
        )
