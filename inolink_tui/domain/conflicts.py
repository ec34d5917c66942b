"""Deadlock Win conflicts as data: what a job's payload says was discarded, and the job that re-applies it.

When both sides changed a record since the last sync, Deadlock Win keeps one side's values and the engine records
the other side's in the job's payload: `{"conflict": {"winner", "losing_side", "losing_values", "winning_values"}}`
(`winning_values`, what the record now holds, only in jobs run since it was recorded).

Re-applying the losing values goes through an ordinary Link Job whose payload carries them (`{"reapply": ...}`):
- QuickBooks lost: a CRM -> QuickBooks job (Source CRM) that writes the values to the linked QuickBooks record; the
  change then reaches CRM by the ordinary QuickBooks -> CRM sync.
- CRM lost: a direct CRM update job (Source Accounting, the direction that writes into CRM) that writes the values
  to the linked CRM record; the change then reaches QuickBooks by the ordinary CRM -> QuickBooks sync.
Either way one side is written by one job, and the other side follows through the normal services, so Deadlock Win
and the record links stay the single path by which the two systems agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inolink_tui.domain.enums import Operation, Source
from inolink_tui.domain.jobs import LinkJob, NewJob

CRM_SIDE = "CRM"
QUICKBOOKS_SIDE = "QuickBooks"
_SIDES = (CRM_SIDE, QUICKBOOKS_SIDE)


@dataclass(frozen=True, slots=True)
class ConflictField:
    """One field both sides changed: the discarded value and, when recorded, the kept one."""

    field: str
    losing: Any
    winning: Any
    winning_known: bool


@dataclass(frozen=True, slots=True)
class Conflict:
    """What Deadlock Win decided in one job."""

    winner: str
    losing_side: str
    losing_values: Mapping[str, Any]
    winning_values: Mapping[str, Any] | None

    @property
    def fields(self) -> list[ConflictField]:
        """Field by field, sorted by name: the loser's value beside the winner's (the record's value now)."""
        won = field_values(self.winning_values or {})
        lost = field_values(self.losing_values)
        keys = sorted(set(lost) | set(won))
        return [ConflictField(k, lost.get(k), won.get(k), self.winning_values is not None and k in won) for k in keys]


def conflict_of(payload: Mapping[str, Any] | None) -> Conflict | None:
    """The conflict a job's payload records, or None (no payload, no conflict, or a shape we do not know)."""
    raw = payload.get("conflict") if payload else None
    if not isinstance(raw, Mapping):
        return None
    losing_side, losing = raw.get("losing_side"), raw.get("losing_values")
    if losing_side not in _SIDES or not isinstance(losing, Mapping):
        return None
    winning = raw.get("winning_values")
    winner = raw.get("winner")
    return Conflict(
        winner=str(winner) if winner is not None else (CRM_SIDE if losing_side == QUICKBOOKS_SIDE else QUICKBOOKS_SIDE),
        losing_side=str(losing_side),
        losing_values=dict(losing),
        winning_values=dict(winning) if isinstance(winning, Mapping) else None,
    )


class ReapplyRefused(ValueError):
    """The job's losing values cannot be re-applied; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class Reapply:
    """A job's request to write a conflict's losing values to the side that lost."""

    losing_side: str
    values: Mapping[str, Any]
    from_job: int


def reapply_job(job: LinkJob, actor: str) -> NewJob:
    """The Link Job that re-applies `job`'s losing values (see the module's docstring for the direction)."""
    conflict = conflict_of(job.payload)
    if conflict is None:
        raise ReapplyRefused(f"job {job.id} records no Deadlock Win conflict")
    if not conflict.losing_values:
        raise ReapplyRefused(f"job {job.id}: Deadlock Win discarded no field values, nothing to re-apply")
    if not job.crm_record_id or not job.accounting_id:
        raise ReapplyRefused(f"job {job.id} names no linked record on both sides")
    qbo_lost = conflict.losing_side == QUICKBOOKS_SIDE
    return NewJob(
        entity_type=job.entity_type,
        source=Source.CRM if qbo_lost else Source.ACCOUNTING,
        crm_record_id=job.crm_record_id,
        record_name=job.record_name,
        company=job.company,
        operation=Operation.UPDATE,
        submitted_by=actor,
        qbo_entity=job.qbo_entity,
        qbo_id=job.accounting_id,
        payload={
            "reapply": {
                "losing_side": conflict.losing_side,
                "values": dict(conflict.losing_values),
                "from_job": job.id,
            }
        },
    )


def reapply_of(job: LinkJob) -> Reapply | None:
    """The re-apply request a queued job carries, or None for an ordinary job."""
    raw = job.payload.get("reapply") if job.payload else None
    if not isinstance(raw, Mapping):
        return None
    side, values, origin = raw.get("losing_side"), raw.get("values"), raw.get("from_job")
    if side not in _SIDES or not isinstance(values, Mapping) or not isinstance(origin, int):
        return None
    return Reapply(losing_side=str(side), values=dict(values), from_job=origin)


def losing_fields(current: Mapping[str, Any], body: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the record held in the fields an update overwrote: per field, custom fields per DefinitionId (the entries
    the update replaced, an emptied one for a field the record did not hold), so re-applying them restores exactly
    those fields and leaves the record's other custom fields alone."""
    out: dict[str, Any] = {}
    for key, value in sent_fields(body).items():
        if key != "CustomField":
            out[key] = current.get(key)
            continue
        held = {str(e.get("DefinitionId")): e for e in current.get("CustomField") or [] if isinstance(e, Mapping)}
        out[key] = [
            dict(
                held.get(str(e.get("DefinitionId")))
                or {"DefinitionId": e.get("DefinitionId"), "Type": e.get("Type", "StringType"), "StringValue": ""}
            )
            for e in value
            if isinstance(e, Mapping)
        ]
    return out


def field_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Field -> value with QuickBooks custom fields one field each (`CustomField:Region`), for showing a conflict
    field by field; entries without a Name are shown by DefinitionId."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "CustomField" and isinstance(value, list):
            for entry in value:
                if isinstance(entry, Mapping):
                    name = entry.get("Name") or entry.get("DefinitionId")
                    out[f"CustomField:{name}"] = entry.get("StringValue", entry.get("NumberValue"))
        else:
            out[key] = value
    return out


def sent_fields(body: Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields a sparse update wrote (Deadlock Win's kept values), without the update's own keys."""
    return {k: v for k, v in (body or {}).items() if k not in ("Id", "SyncToken", "sparse")}
