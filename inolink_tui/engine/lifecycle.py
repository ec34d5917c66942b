"""Inactive and deleted records, both ways (issue 16 item 3), each by a `[sync]` setting.

- QuickBooks -> CRM: a linked Customer or Item made inactive (`Active` false, seen by CDC) deactivates the
  linked CRM record (`statecode` 1 / `statuscode` 2: Inactive for accounts and contacts, Retired for products)
  or sets a Yes/No column, by `[sync] quickbooks_inactive = "deactivate" | "flag" | "ignore"`; made active
  again, the record is activated again (or the flag cleared).
- CRM -> QuickBooks: a linked record deactivated in CRM makes the QuickBooks record inactive (a sparse update
  `Active` false; QuickBooks' name lists are made inactive, never deleted: developer.intuit.com .../customer,
  "Active: If true, this entity is currently enabled for use by QuickBooks"), by
  `[sync] crm_deactivated = "inactivate" | "ignore"`. QuickBooks refuses a customer with an open balance
  ("Delete List Has Balance Error"): the job ends in Error with what to do, before any request.
- CRM deleted: a linked record Dataverse change tracking reports as removed is unlinked (the link ends, the
  QuickBooks record stays as it is) and reported by a Link Job, by `[sync] crm_deleted = "unlink" | "ignore"`.
  Accounting data is never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Protocol

from inolink_tui.domain.enums import QBO_ENTITY_FOR, EntityType, ErrorClass, Operation, RecordLinkStatus, Source
from inolink_tui.domain.jobs import JobSuccess, LinkJob, NewJob
from inolink_tui.domain.links import RecordLink
from inolink_tui.engine.ports import PortError
from inolink_tui.store.base import JobStore

DELETED_SUFFIX = " (deleted)"
"""QuickBooks renames an inactive name-list record "<name> (deleted)" (freeing the name; as the sandbox models it,
reference §13.9); CRM keeps the plain name."""
NAME_FIELDS = ("DisplayName", "Name", "FullyQualifiedName")
STATE_ACTIVE = {"statecode": 0, "statuscode": 1}
STATE_INACTIVE = {"statecode": 1, "statuscode": 2}
"""Account / Contact: Active (1) and Inactive (2); Product: Active (1) and Retired (2) (the stock status reasons)."""


class QuickBooksInactive(StrEnum):
    DEACTIVATE = "deactivate"
    FLAG = "flag"
    IGNORE = "ignore"


class CrmDeactivated(StrEnum):
    INACTIVATE = "inactivate"
    IGNORE = "ignore"


class CrmDeleted(StrEnum):
    UNLINK = "unlink"
    IGNORE = "ignore"


@dataclass(frozen=True, slots=True)
class LifecyclePolicy:
    quickbooks_inactive: QuickBooksInactive = QuickBooksInactive.DEACTIVATE
    inactive_flag_column: str = "ino_accountinginactive"
    crm_deactivated: CrmDeactivated = CrmDeactivated.INACTIVATE
    crm_deleted: CrmDeleted = CrmDeleted.UNLINK


def without_deleted_suffix(qbo: Mapping[str, Any]) -> dict[str, Any]:
    """An inactive QuickBooks record under its own name, so CRM is not renamed "... (deleted)"."""
    out = dict(qbo)
    if out.get("Active") is False:
        for name in NAME_FIELDS:
            value = out.get(name)
            if isinstance(value, str) and value.endswith(DELETED_SUFFIX):
                out[name] = value[: -len(DELETED_SUFFIX)]
    return out


def crm_is_inactive(row: Mapping[str, Any]) -> bool:
    """Deactivated in CRM (statecode other than 0: Inactive, or Retired for a product)."""
    state = row.get("statecode")
    return state is not None and str(state) not in ("0", "")


def crm_columns_for_active(policy: LifecyclePolicy, qbo: Mapping[str, Any], row: Mapping[str, Any]) -> dict[str, Any]:
    """The CRM columns that mirror a QuickBooks record's Active flag onto its linked row (none: already there)."""
    if "Active" not in qbo or policy.quickbooks_inactive is QuickBooksInactive.IGNORE:
        return {}
    inactive = qbo.get("Active") is False
    if policy.quickbooks_inactive is QuickBooksInactive.FLAG:
        column = policy.inactive_flag_column
        return {column: inactive} if bool(row.get(column)) is not inactive else {}
    if inactive and not crm_is_inactive(row):
        return dict(STATE_INACTIVE)
    if not inactive and crm_is_inactive(row) and str(row.get("statecode")) == "1":
        return dict(STATE_ACTIVE)
    return {}


def active_note(entity: str, qbo: Mapping[str, Any], columns: Mapping[str, Any]) -> str:
    """What the job says it did with QuickBooks' Active flag."""
    what = "customer" if entity == "Customer" else "item"
    state = "inactive" if qbo.get("Active") is False else "active again"
    if "statecode" in columns:
        done = "deactivated the CRM record" if columns["statecode"] else "activated the CRM record again"
    else:
        done = "set the CRM flag" if any(columns.values()) else "cleared the CRM flag"
    return f"the QuickBooks {what} is {state}: {done}"


def quickbooks_active(policy: LifecyclePolicy, row: Mapping[str, Any]) -> dict[str, Any]:
    """The `Active` value a push sends for a CRM row ({} when the policy leaves QuickBooks' flag alone)."""
    if policy.crm_deactivated is CrmDeactivated.IGNORE or "statecode" not in row:
        return {}
    return {"Active": not crm_is_inactive(row)}


def _balance(value: Any) -> Decimal:
    try:
        return Decimal(str(value or 0))
    except InvalidOperation:
        return Decimal(0)


def check_can_deactivate(entity: str, current: Mapping[str, Any], body: Mapping[str, Any] | None) -> None:
    """Refuse, with the fix, what QuickBooks would refuse: making a customer with an open balance inactive."""
    if body is None or body.get("Active") is not False or entity != "Customer":
        return
    balance = _balance(current.get("Balance"))
    if balance != 0:
        name = current.get("DisplayName") or current.get("Id")
        raise PortError(
            ErrorClass.VALIDATION,
            f"QuickBooks keeps customer {name!r} active while it has an open balance ({balance}): receive its "
            "payments or credit its open invoices in QuickBooks, then requeue this job (the CRM record stays "
            "deactivated)",
            code="6000",
        )


def removed_jobs(
    et: EntityType, removed: Sequence[str], links: Mapping[str, RecordLink], *, company: str, now: datetime
) -> list[NewJob]:
    """One Link Job per removed CRM id that is linked: its processing unlinks and reports it."""
    jobs: list[NewJob] = []
    for rid in removed:
        link = links.get(rid.lower())
        if link is None or link.link_status is RecordLinkStatus.UNLINKED:
            continue
        jobs.append(
            NewJob(
                entity_type=et,
                source=Source.CRM,
                crm_record_id=link.crm_id,
                record_name=link.record_name or rid,
                company=company,
                operation=Operation.UPDATE,
                submitted_by="CRM",
                submitted_at=now,
                qbo_entity=link.qbo_entity or QBO_ENTITY_FOR[et],
                qbo_id=link.qbo_id,
            )
        )
    return jobs


async def links_of(store: JobStore, et: EntityType, ids: Sequence[str]) -> dict[str, RecordLink]:
    found: dict[str, RecordLink] = {}
    for rid in ids:
        link = await store.get_link(et, rid)
        if link is not None:
            found[rid.lower()] = link
    return found


async def unlink_deleted(store: JobStore, job: LinkJob, *, now: datetime) -> JobSuccess | None:
    """The CRM record of `job` is gone: end its link and say so (None: it was never linked, the caller errs)."""
    link = await store.get_link(job.entity_type, job.crm_record_id)
    if link is None or not link.qbo_id:
        return None
    what = f"QuickBooks {link.qbo_entity or QBO_ENTITY_FOR[job.entity_type]} {link.qbo_id}"
    if link.link_status is not RecordLinkStatus.UNLINKED:
        await store.upsert_link(replace(link, link_status=RecordLinkStatus.UNLINKED, updated_at=now))
    return JobSuccess(
        accounting_id=link.qbo_id,
        qbo_entity=link.qbo_entity,
        record_name=link.record_name or job.record_name,
        message=(
            f"the {job.entity_type.value} was deleted in CRM: unlinked from {what}; nothing was deleted in "
            "QuickBooks (make it inactive there if it is no longer used)"
        ),
    )


class SyncPolicySection(Protocol):
    """The [sync] keys `policy_values` reads, declared here because the engine never imports config (cli passes
    the config model's `SyncSettings`, which has them all, with their defaults)."""

    @property
    def quickbooks_inactive(self) -> str: ...
    @property
    def inactive_flag_column(self) -> str: ...
    @property
    def crm_deactivated(self) -> str: ...
    @property
    def crm_deleted(self) -> str: ...
    @property
    def default_tax_code(self) -> str | None: ...
    @property
    def exempt_tax_code(self) -> str | None: ...
    @property
    def tax_codes(self) -> Mapping[str, str]: ...
    @property
    def payment_terms(self) -> Mapping[str, str]: ...
    @property
    def customer_types(self) -> Mapping[str, str]: ...
    @property
    def primary_contact(self) -> bool: ...


def policy_values(sync: SyncPolicySection) -> dict[str, Any]:
    """EngineOptions fields from the [sync] section."""
    from inolink_tui.domain.mapping.customers import CustomerPolicy
    from inolink_tui.domain.mapping.money import MoneyPolicy

    lifecycle = LifecyclePolicy(
        quickbooks_inactive=QuickBooksInactive(sync.quickbooks_inactive),
        inactive_flag_column=sync.inactive_flag_column,
        crm_deactivated=CrmDeactivated(sync.crm_deactivated),
        crm_deleted=CrmDeleted(sync.crm_deleted),
    )
    money = MoneyPolicy(
        default_tax_code=sync.default_tax_code,
        exempt_tax_code=sync.exempt_tax_code,
        tax_codes={k.casefold(): v for k, v in sync.tax_codes.items()},
        payment_terms={k.casefold(): v for k, v in sync.payment_terms.items()},
    )
    customers = CustomerPolicy(customer_types=dict(sync.customer_types), primary_contact=sync.primary_contact)
    return {"lifecycle": lifecycle, "money": money, "customers": customers}
