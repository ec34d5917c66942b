"""A QuickBooks write's requestid, and the pre-create lookup: the document that already stands for a CRM record.

The lookup runs before every create, not only on retries: an engine with another database (or one killed between its
create and its write-back) may have created the document already, and its `requestid` differs from ours.
QuickBooks Online does not enforce unique DocNumbers by default, so without this lookup a second create
succeeds and duplicates the invoice (issue 12).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.jobs import LinkJob
from inolink_tui.engine.ports import AccountingPort
from inolink_tui.store.base import JobStore

_REQUEST_NS = uuid.UUID("5f0c1d4e-8a43-4c55-9a53-6b1f3e0c7a21")


def request_id(company: str, job: LinkJob, step: str) -> str:
    """A requestid (36 chars, QuickBooks allows 50) that is the same every time this job retries this write.

    Built from the store's per-job request id when it has one (unique across databases), else from
    the job's identity, plus the step, since one job may make more than one write.
    """
    base = job.request_id or f"{company}|{job.entity_type.value}|{job.crm_record_id}|{job.id}"
    return str(uuid.uuid5(_REQUEST_NS, f"{base}|{step}"))


async def earlier_document(
    qbo: AccountingPort, store: JobStore, company: str, job: LinkJob, entity: str, body: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A document with the same number for the same customer, not linked here to another CRM record."""
    number = body.get("DocNumber")
    if not number:
        return None
    customer = str(body["CustomerRef"]["value"])
    for doc in await qbo.query(entity, [("DocNumber", "=", str(number))]):
        if str((doc.get("CustomerRef") or {}).get("value")) == customer:
            other = await store.find_link_by_qbo(entity, str(doc["Id"]), company)
            if other is None or other.crm_id.lower() == job.crm_record_id.lower():
                return doc
    return None
