"""Pushing one CRM record to QuickBooks (a Link Job of Source CRM).

Ordering that makes a crash at any point safe (the job is simply processed again):
- every QuickBooks create carries a requestid derived from the job, so a retry replays the first answer
  instead of creating a second record; transactions are also looked up by DocNumber before every create
  (engine/documents.py), since another engine may have created them;
- the record link (CRM id <-> QuickBooks id) is saved right after the QuickBooks write and before the CRM
  write-back, so the QuickBooks change feed never mistakes our own create for a new customer;
- the CRM write-back (which also releases the record claim) happens before the job is marked Success.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from inolink_tui.domain.conflicts import losing_fields, sent_fields
from inolink_tui.domain.enums import (
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
from inolink_tui.domain.events import JobCreated
from inolink_tui.domain.jobs import JobSuccess, LinkJob, NewJob
from inolink_tui.domain.links import RecordLink
from inolink_tui.domain.mapping import (
    MappingError,
    changed_fields,
    crm_to_transaction,
    customer_to_crm,
    item_to_crm,
    line_products,
    record_name,
    sparse_update,
)
from inolink_tui.domain.mapping.applied import with_applied
from inolink_tui.domain.mapping.customers import qbo_name
from inolink_tui.domain.mapping.records import PRIMARY_KEY, customer_of
from inolink_tui.domain.mapping.transactions import accounting_ref
from inolink_tui.engine import fit
from inolink_tui.engine.deferral import Deferred
from inolink_tui.engine.documents import earlier_document, request_id
from inolink_tui.engine.lifecycle import (
    CrmDeactivated,
    CrmDeleted,
    check_can_deactivate,
    unlink_deleted,
    without_deleted_suffix,
)
from inolink_tui.engine.lookups import Lookups
from inolink_tui.engine.money import dress, product_numbers
from inolink_tui.engine.ports import PortError
from inolink_tui.engine.sync_context import SyncContext, UsesContext, qbo_display_name, row_version

UNLINKED = RecordLinkStatus.UNLINKED


class Push(UsesContext[SyncContext]):
    """CRM -> QuickBooks: names (customers, products) created, linked or updated; transactions pushed once."""

    def __init__(self, ctx: SyncContext, lookups: Lookups) -> None:
        super().__init__(ctx)
        self.lookups = lookups

    async def crm_to_qbo(self, job: LinkJob) -> JobSuccess:
        """Send the CRM record's current state to QuickBooks; values QuickBooks would refuse fail it first."""
        et = job.entity_type
        row = await self.crm.get(et, job.crm_record_id)
        if row is None:
            if self.options.lifecycle.crm_deleted is CrmDeleted.UNLINK:
                unlinked = await unlink_deleted(self.store, job, now=self.clock())
                if unlinked is not None:
                    return unlinked
            raise PortError(ErrorClass.REFERENCE, f"the {et.value} no longer exists in CRM (deleted?)")
        if self.options.schema.row_is(row, UNLINKED):
            raise PortError(ErrorClass.VALIDATION, f"the {et.value} is Unlinked in CRM; promote it again to sync it")
        fit.preflight(et, row)  # a value QuickBooks would refuse fails the job before any request
        if self.ctx.claims is not None:
            row = await self.ctx.claims.claim(et, job.crm_record_id, row)
        link = await self.store.get_link(et, job.crm_record_id)
        if et.is_transaction:
            return await self._push_transaction(job, row, link)
        return await self._push_name(job, row, link)

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

    async def _match_existing(self, job: LinkJob, entity: str, name: str) -> dict[str, Any] | None:
        """An existing QuickBooks record under Name Matching, or None; ambiguity is a DUPLICATE error."""
        index = await self.lookups.index(entity)
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
            keep = self.options.lifecycle.crm_deactivated is CrmDeactivated.INACTIVATE and "statecode" in row
            if current is not None and current.get("Active") is False and not keep:
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
            new_body = await self.lookups.desired(job, row, create=True)
            result = await self.qbo.create(entity, new_body, request_id=await self._create_id(job))
            (await self.lookups.index(entity)).add(str(result["Id"]), qbo_display_name(entity, result))
            message = f"created QuickBooks {entity} {result['Id']}"
        else:
            desired = await self.lookups.desired(job, row, create=False)
            conflict = (
                job.operation is Operation.UPDATE
                and link is not None
                and link.qbo_sync_token is not None
                and str(current.get("SyncToken")) != link.qbo_sync_token
            )
            if conflict and self.options.deadlock_win is DeadlockWin.QUICKBOOKS:
                # QuickBooks wins: its values go to CRM; CRM's edit is kept in the job's history.
                built = customer_to_crm(et, current) if entity == "Customer" else item_to_crm(current)
                mapped = await self.lookups.custom.to_crm(et, entity, current, built, row)
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
                body = sparse_update(without_deleted_suffix(current), desired)
                if body is None:
                    result = current
                    message = f"linked to QuickBooks {entity} {current['Id']}; nothing to change"
                else:
                    check_can_deactivate(entity, current, body)
                    step = f"update-{current.get('SyncToken')}"
                    result = await self.qbo.update(entity, body, request_id=request_id(self.options.company, job, step))
                    message = f"updated QuickBooks {entity} {result['Id']}"
                if conflict:
                    losing = losing_fields(current, body)
                    payload = {
                        "conflict": {
                            "winner": DeadlockWin.CRM.value,
                            "losing_side": "QuickBooks",
                            "losing_values": losing,
                            "winning_values": sent_fields(body),
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
        ref = accounting_ref(et, result) if et.is_transaction else qbo_display_name(entity, result)
        name = record_name(et, row)
        link = RecordLink(
            entity_type=et,
            crm_id=job.crm_record_id,
            company=self.options.company,
            link_status=RecordLinkStatus.LINKED,
            qbo_entity=entity,
            qbo_id=qbo_id,
            crm_version=row_version(row),
            qbo_sync_token=str(result.get("SyncToken")) if result.get("SyncToken") is not None else None,
            record_name=name,
            updated_at=self.clock(),
        )
        await self.store.upsert_link(link)
        if not extra_columns:  # a push (QuickBooks winning a conflict writes CRM instead: shown as a pull would be)
            payload = with_applied(payload, self.lookups.custom.applied(et, row, result, to_quickbooks=True))
        else:
            after = {**row, **extra_columns}
            payload = with_applied(payload, self.lookups.custom.applied(et, after, result, to_quickbooks=False))
        wanted = {**self.options.schema.linked_columns(qbo_id, ref), **extra_columns}
        wanted.update(self.ctx.unclaim(job))
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
                service_items=await self.lookups.service_items(),
                product_names=names,
            )
        except MappingError as exc:
            raise PortError(ErrorClass.REFERENCE if exc.missing else ErrorClass.VALIDATION, str(exc)) from exc
        body = await self.lookups.custom.to_qbo(et, entity, row, body, create=True)
        keys = await product_numbers(self.crm, self.options.money, item_ids)
        body = await dress(self.qbo, self.lookups.money, self.options.money, body, row, product_keys=keys)
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
