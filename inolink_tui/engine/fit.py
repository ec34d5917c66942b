"""Nothing leaves the engine that the target service would refuse: every write is fitted to its field rules.

The ports are wrapped so each create and update passes through `domain.limits` on its way out, whatever
code path built it: values that can be shortened without losing their meaning are cut and noted, values
that cannot fail the job with a VALIDATION error naming the field, its limit and the value (a
`FieldLimitError`, which is a `MappingError`). The notes of the running job are collected in a context
variable (each worker runs its job in its own task) and added to the job's message and payload, so the
inspector shows what was cut. `preflight` checks a CRM record's name fields before any QuickBooks request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.jobs import JobSuccess
from inolink_tui.domain.limits import Truncation, fit_crm, fit_qbo
from inolink_tui.domain.mapping import ItemAccounts, crm_to_customer, crm_to_item, customer_to_crm, item_to_crm
from inolink_tui.engine.ports import AccountingPort, CdcResult, CrmChanges, CrmPort, Written

_cut: ContextVar[list[Truncation] | None] = ContextVar("inolink_truncations", default=None)
_said: ContextVar[list[str] | None] = ContextVar("inolink_job_notes", default=None)


def start_collecting() -> None:
    """A fresh list of truncations (and notes) for the job this task is about to run."""
    _cut.set([])
    _said.set([])


def note_for_job(text: str) -> None:
    """Something the job left out on purpose (e.g. a Preferred Vendor QuickBooks lacks), added to its message."""
    said = _said.get()
    if said is not None and text not in said:
        said.append(text)


def _note(truncations: Sequence[Truncation]) -> None:
    collected = _cut.get()
    if collected is not None:
        collected.extend(truncations)


def with_truncations(success: JobSuccess) -> JobSuccess:
    """The job's outcome with what was cut to fit (message for people, payload for the inspector)."""
    collected = _cut.get() or []
    said = _said.get() or []
    if said:
        text = "; ".join(said)
        success = replace(success, message=f"{success.message}; {text}" if success.message else text)
    if not collected:
        return success
    unique = list(dict.fromkeys(collected))
    text = "; ".join(t.describe() for t in unique)
    message = f"{success.message}; {text}" if success.message else text
    payload = {**(success.payload or {}), "truncated": [t.to_json() for t in unique]}
    return replace(success, message=message, payload=payload)


def preflight(entity_type: EntityType, row: Mapping[str, Any]) -> None:
    """Refuse a customer or product QuickBooks would refuse, before any request (transactions: at the write)."""
    if entity_type is EntityType.PRODUCT:
        fit_qbo("Item", crm_to_item(row, ItemAccounts(), for_create=False))
    elif entity_type in (EntityType.ACCOUNT, EntityType.CONTACT):
        fit_qbo("Customer", crm_to_customer(entity_type, row))


def crm_values(entity_type: EntityType, columns: Mapping[str, Any]) -> dict[str, Any]:
    """The columns fitted to Dataverse (cuts noted for the job); mapped values are fitted before diffing too."""
    fitted = fit_crm(entity_type, columns)
    _note(fitted.truncations)
    return fitted.values


def qbo_values(entity: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """The body fitted to QuickBooks (cuts noted for the job); desired states are fitted before diffing too."""
    fitted = fit_qbo(entity, body)
    _note(fitted.truncations)
    return fitted.values


def crm_columns(
    entity_type: EntityType, entity: str, current: Mapping[str, Any], *, for_create: bool = False
) -> dict[str, Any]:
    """CRM columns for a QuickBooks Customer or Item, fitted before they are compared with the row."""
    mapped = (
        customer_to_crm(entity_type, current) if entity == "Customer" else item_to_crm(current, for_create=for_create)
    )
    return crm_values(entity_type, mapped)


class FittingCrm:
    """A CrmPort whose writes are fitted to Dataverse's column lengths first."""

    def __init__(self, inner: CrmPort) -> None:
        self.inner = inner

    async def promoted(self, entity_type: EntityType, *, limit: int = 5000) -> list[dict[str, Any]]:
        return await self.inner.promoted(entity_type, limit=limit)

    async def get(self, entity_type: EntityType, record_id: str) -> dict[str, Any] | None:
        return await self.inner.get(entity_type, record_id)

    async def get_many(self, entity_type: EntityType, ids: Sequence[str]) -> list[dict[str, Any]]:
        return await self.inner.get_many(entity_type, ids)

    async def lines(self, entity_type: EntityType, record_id: str) -> list[dict[str, Any]]:
        return await self.inner.lines(entity_type, record_id)

    async def find_by_name(self, entity_type: EntityType, name: str) -> list[dict[str, Any]]:
        return await self.inner.find_by_name(entity_type, name)

    async def update(self, entity_type: EntityType, record_id: str, columns: Mapping[str, Any]) -> Written:
        return await self.inner.update(entity_type, record_id, crm_values(entity_type, columns))

    async def update_many(
        self, entity_type: EntityType, changes: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[Written]:
        return await self.inner.update_many(
            entity_type, [(rid, crm_values(entity_type, cols)) for rid, cols in changes]
        )

    async def create(self, entity_type: EntityType, columns: Mapping[str, Any]) -> Written:
        return await self.inner.create(entity_type, crm_values(entity_type, columns))

    async def changes(self, entity_type: EntityType, cursor: str | None) -> CrmChanges:
        return await self.inner.changes(entity_type, cursor)

    async def linked(self, entity_type: EntityType) -> list[dict[str, Any]]:
        return await self.inner.linked(entity_type)

    async def user_names(self, user_ids: Sequence[str]) -> dict[str, str]:
        return await self.inner.user_names(user_ids)

    async def upsert_link_jobs(self, rows: Sequence[Mapping[str, Any]]) -> None:
        await self.inner.upsert_link_jobs(rows)

    async def requeued_link_jobs(self) -> list[tuple[int, str]]:
        return await self.inner.requeued_link_jobs()


class FittingQbo:
    """An AccountingPort whose creates and updates are fitted to QuickBooks' documented field rules first."""

    def __init__(self, inner: AccountingPort) -> None:
        self.inner = inner

    async def find_by_names(self, entity: str, names: Sequence[str]) -> list[dict[str, Any]]:
        return await self.inner.find_by_names(entity, names)

    async def all_names(self, entity: str) -> list[tuple[str, str]]:
        return await self.inner.all_names(entity)

    async def read(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        return await self.inner.read(entity, entity_id)

    async def create(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        return await self.inner.create(entity, qbo_values(entity, body), request_id=request_id)

    async def update(self, entity: str, body: Mapping[str, Any], *, request_id: str) -> dict[str, Any]:
        return await self.inner.update(entity, qbo_values(entity, body), request_id=request_id)

    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]:
        return await self.inner.query(entity, where)

    async def cdc(self, entities: Sequence[str], changed_since: datetime) -> CdcResult:
        return await self.inner.cdc(entities, changed_since)
