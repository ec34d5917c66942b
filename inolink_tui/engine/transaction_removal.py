"""A QuickBooks invoice or estimate linked to a CRM invoice or quote, deleted in QuickBooks (issue 16 item 1).

CDC reports the deletion as a tombstone (`status` "Deleted", "Deleted entities return a Deleted value for the
status field": developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/
change-data-capture); engine/qbo_transactions.py queues one Link Job of Source Accounting for the linked CRM
record, and engine/transaction_pull.py lands here when its read finds the transaction gone.

The CRM record is unlinked, as engine/lifecycle.py unlinks a record deleted in CRM: its record Link Status
becomes Unlinked (in CRM and in the store), nothing in CRM is deleted. The Accounting ID is kept on purpose:
it says which QuickBooks transaction the record was linked to, and every lookup of linked rows filters on
Link Status Linked (engine/adapters.py `linked_with`, the status refreshes, reconcile), so a kept id is never
taken for a live link. A voided invoice is not deleted: QuickBooks keeps it with every amount 0 and "Voided"
before its PrivateNote (developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
#void-an-invoice; the sandbox does the same, sandbox/quickbooks/rules/effects.py `voided_copy`), CDC returns it
as an update, and its ordinary status job writes those amounts (engine/transaction_pull.py): balance 0 and the
status Canceled (domain/invoice_status.py, from the zero total and the "Voided" memo; the message says "voided").

Idempotent: a record already Unlinked is left as it is and the job still ends Success with the same report.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from inolink_tui.domain.enums import EntityType, ErrorClass, Operation, RecordLinkStatus
from inolink_tui.domain.jobs import JobSuccess, LinkJob
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.domain.transaction_history import TRANSACTION_LABELS
from inolink_tui.engine.payment_removal import RowsCrm
from inolink_tui.engine.ports import PortError
from inolink_tui.store.base import JobStore

REMOVABLE: frozenset[EntityType] = frozenset({EntityType.INVOICE, EntityType.QUOTE})
"""The CRM records a QuickBooks transaction is linked to (an invoice, a quote)."""


def deleted_message(et: EntityType, entity: str, tid: str, *, had_row: bool) -> str:
    """The job's report: what happened in QuickBooks, what was done in CRM, and what was not."""
    what = f"QuickBooks {TRANSACTION_LABELS.get(entity, entity).lower()} {tid}"
    record = f"the CRM {et.value.lower()}"
    if not had_row:
        return f"{what} was deleted in QuickBooks; {record} no longer exists either, link ended"
    return (
        f"{what} was deleted in QuickBooks: {record} is now Unlinked (kept with its Accounting ID; nothing "
        "deleted in CRM; delete or cancel it there if it is no longer wanted)"
    )


async def unlink_deleted_transaction(
    crm: RowsCrm, store: JobStore, job: LinkJob, entity: str, tid: str, *, company: str, now: datetime
) -> JobSuccess:
    """Mark the CRM invoice or quote of a deleted QuickBooks transaction Unlinked, in CRM and in the store."""
    et = job.entity_type
    if et not in REMOVABLE:
        raise PortError(ErrorClass.VALIDATION, f"a CRM {et.value} is not linked to a QuickBooks {entity}")
    link = await store.find_link_by_qbo(entity, tid, company)
    crm_id = job.crm_record_id or (link.crm_id if link is not None else "")
    if not crm_id:
        raise PortError(ErrorClass.REFERENCE, f"QuickBooks {entity} {tid} no longer exists; nothing in CRM is linked")
    schema = crm.schema
    row = await crm.get(et, crm_id)
    unlinked = schema.option(RecordLinkStatus.UNLINKED)
    if row is not None and row.get(schema.link_status) != unlinked:
        await crm.update(et, str(row.get(PRIMARY_KEY[et]) or crm_id), {schema.link_status: unlinked})
    if link is not None and link.link_status is not RecordLinkStatus.UNLINKED:
        await store.upsert_link(replace(link, link_status=RecordLinkStatus.UNLINKED, updated_at=now))
    return JobSuccess(
        accounting_id=tid,
        qbo_entity=entity,
        crm_record_id=crm_id,
        record_name=job.record_name,
        message=deleted_message(et, entity, tid, had_row=row is not None),
        operation=Operation.UPDATE,
    )
