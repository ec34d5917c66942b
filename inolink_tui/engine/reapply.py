"""Running a re-apply Link Job: write a Deadlock Win conflict's losing values to the side that lost.

The job carries the values (domain/conflicts.py builds it). This writes one side only and leaves the record link's
versions as they were, so the write is not taken for our own echo: the ordinary sync of the other direction then
sees a real change and carries the values across (CRM -> QuickBooks or QuickBooks -> CRM), with no conflict,
because the other side has not changed since the last sync.
"""

from __future__ import annotations

from typing import Any

from inolink_tui.domain.conflicts import QUICKBOOKS_SIDE, Reapply
from inolink_tui.domain.enums import QBO_ENTITY_FOR, ErrorClass, Operation, RecordLinkStatus
from inolink_tui.domain.jobs import JobSuccess, LinkJob
from inolink_tui.engine.documents import request_id
from inolink_tui.engine.ports import AccountingPort, CrmPort, PortError
from inolink_tui.store.base import JobStore

_QBO_KEYS = ("Id", "SyncToken", "sparse")


async def run_reapply(
    request: Reapply, job: LinkJob, *, crm: CrmPort, qbo: AccountingPort, store: JobStore, company: str
) -> JobSuccess:
    """Write `request.values` to the losing side of `job`'s linked record; the job's result says what changed."""
    et = job.entity_type
    link = await store.get_link(et, job.crm_record_id)
    if link is None or not link.qbo_id or link.link_status is RecordLinkStatus.UNLINKED:
        raise PortError(ErrorClass.REFERENCE, f"the {et.value} is no longer linked; nothing to re-apply to")
    entity = link.qbo_entity or job.qbo_entity or QBO_ENTITY_FOR[et]
    values = {k: v for k, v in request.values.items() if k not in _QBO_KEYS}
    before: dict[str, Any]
    if request.losing_side == QUICKBOOKS_SIDE:
        current = await qbo.read(entity, link.qbo_id)
        if current is None:
            raise PortError(ErrorClass.REFERENCE, f"QuickBooks {entity} {link.qbo_id} no longer exists")
        before = {k: current.get(k) for k in values}
        body = {"Id": current["Id"], "SyncToken": current.get("SyncToken"), "sparse": True, **values}
        step = f"reapply-{current.get('SyncToken')}"
        await qbo.update(entity, body, request_id=request_id(company, job, step))
        message = f"re-applied {len(values)} QuickBooks value(s) from job {request.from_job} to {entity} {link.qbo_id}"
    else:
        row = await crm.get(et, link.crm_id)
        if row is None:
            raise PortError(ErrorClass.REFERENCE, f"the linked {et.value} no longer exists in CRM")
        before = {k: row.get(k) for k in values}
        await crm.update(et, link.crm_id, values)
        message = f"re-applied {len(values)} CRM value(s) from job {request.from_job} to the {et.value}"
    return JobSuccess(
        accounting_id=link.qbo_id,
        qbo_entity=entity,
        crm_record_id=link.crm_id,
        record_name=job.record_name,
        message=message,
        payload={
            "reapply": {
                "losing_side": request.losing_side,
                "values": dict(request.values),
                "from_job": request.from_job,
            },
            "before": before,
            "after": values,
        },
        operation=Operation.UPDATE,
    )
