"""Drift between CRM and QuickBooks for linked records: the kinds, the rows of the report, and the pure checks.

`inolink-tui reconcile` (cli/reconcile_cmd.py) reads both systems in bulk (engine/reconcile.py) and asks these
functions what differs. What "should agree" is the mapping's own definition: a field drifts when the QuickBooks ->
CRM mapping (domain/mapping: customer_to_crm, item_to_crm, fitted as the engine fits them) would write a value the
CRM row does not hold, i.e. exactly what a sync would change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping import changed_fields


class DriftKind(StrEnum):
    """What is wrong, in the words of the report."""

    GONE = "gone"
    """The link's QuickBooks record no longer exists."""
    INACTIVE = "inactive"
    """The link's QuickBooks record is inactive."""
    FIELD = "field"
    """A mapped field differs between the two sides."""
    BALANCE = "balance"
    """The account's open balance differs from QuickBooks' Customer.Balance."""
    PROMOTED_NO_JOB = "promoted-no-job"
    """A record set To be Linked with no Queued CRM -> QuickBooks Link Job."""
    DUPLICATE = "duplicate"
    """Two or more records share a name on one side."""
    INVOICE = "invoice"
    """A linked invoice's status, amount paid or balance differs from its QuickBooks invoice."""
    PAYMENT = "payment"
    """A QuickBooks payment of a linked customer is not recorded in CRM."""
    APPLICATION = "application"
    """A recorded payment lacks the application of an invoice it paid in QuickBooks."""
    AGING = "aging"
    """An account's or contact's open balance or overdue bucket differs from QuickBooks' AgedReceivables."""
    HISTORY = "history"
    """A Sales Transaction history row differs from, lacks, or outlives its QuickBooks transaction."""


@dataclass(frozen=True, slots=True)
class Drift:
    """One difference found; `fixable` when `--fix` can queue a Link Job that repairs it."""

    kind: DriftKind
    entity_type: EntityType
    name: str
    crm_id: str = ""
    qbo_id: str = ""
    field: str = ""
    crm_value: Any = None
    qbo_value: Any = None
    side: str = ""
    fixable: bool = False
    detail: str = ""
    fix_payment: str = ""
    """The QuickBooks payment whose Payment Link Job repairs this drift (money drifts), else empty."""
    fix_transaction: str = ""
    """The QuickBooks entity (Invoice, CreditMemo, ...) of `qbo_id` whose Sales Transaction Link Job repairs this
    drift (history drifts), else empty."""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["entity_type"] = self.entity_type.value
        return data


def field_drift(
    entity_type: EntityType,
    name: str,
    crm_id: str,
    qbo_id: str,
    row: Mapping[str, Any],
    mapped: Mapping[str, Any],
) -> list[Drift]:
    """A drift per column where the mapped QuickBooks values differ from the CRM row (fixable by a pull)."""
    return [
        Drift(
            DriftKind.FIELD,
            entity_type,
            name,
            crm_id,
            qbo_id,
            field=column,
            crm_value=row.get(column),
            qbo_value=value,
            fixable=True,
            detail="a QuickBooks -> CRM update job writes the QuickBooks value (Deadlock Win decides if CRM changed)",
        )
        for column, value in sorted(changed_fields(row, mapped).items())
        if not (column in ZERO_IS_EMPTY and _money(value) == 0 and row.get(column) in (None, ""))
    ]


ZERO_IS_EMPTY = frozenset({"currentcost", "quantityonhand"})
"""Product columns whose QuickBooks field cannot be empty: QuickBooks reads an item saved without a purchase cost
(or a quantity it does not track) as PurchaseCost / QtyOnHand 0, and a CRM -> QuickBooks sync of an empty Current
Cost sends nothing (domain/mapping/items.py crm_to_item), so empty in CRM and 0 in QuickBooks are the same state,
not drift. (Only for reconcile: a QuickBooks -> CRM pull still writes the 0.)"""


def _money(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def balance_drift(name: str, crm_id: str, qbo_id: str, crm_balance: Any, qbo_balance: Any) -> Drift | None:
    """The account's open balance against QuickBooks' Customer.Balance, to the cent (a missing CRM value is 0)."""
    crm_amount = _money(crm_balance) or Decimal("0.00")
    qbo_amount = _money(qbo_balance) or Decimal("0.00")
    if crm_amount == qbo_amount:
        return None
    return Drift(
        DriftKind.BALANCE,
        EntityType.ACCOUNT,
        name,
        crm_id,
        qbo_id,
        field="open balance",
        crm_value=str(crm_amount),
        qbo_value=str(qbo_amount),
        detail="the Low Priority service's balance refresh writes QuickBooks' balance",
    )


def duplicates(entity_type: EntityType, side: str, records: Iterable[tuple[str, str]]) -> list[Drift]:
    """Names held by more than one record on one side (case and surrounding spaces ignored), one drift per name."""
    by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for record_id, name in records:
        key = " ".join(name.split()).casefold()
        if key:
            by_name[key].append((record_id, name))
    out = []
    for group in by_name.values():
        if len(group) > 1:
            ids = sorted(record_id for record_id, _ in group)
            out.append(
                Drift(
                    DriftKind.DUPLICATE,
                    entity_type,
                    group[0][1],
                    crm_id=",".join(ids) if side == "CRM" else "",
                    qbo_id=",".join(ids) if side == "QuickBooks" else "",
                    side=side,
                    detail=f"{len(group)} {side} records share this name",
                )
            )
    return sorted(out, key=lambda d: d.name.casefold())


TABLE_COLUMNS = ("Kind", "Entity", "Record", "CRM id", "QuickBooks id", "Field", "CRM", "QuickBooks", "Fix")


def table_rows(drifts: Iterable[Drift]) -> list[tuple[str, ...]]:
    """The report as text cells, one row per drift."""

    def cell(value: Any) -> str:
        text = "" if value is None else str(value)
        return text if len(text) <= 40 else text[:39] + "…"

    return [
        (
            d.kind.value,
            d.entity_type.value,
            cell(d.name),
            cell(d.crm_id),
            cell(d.qbo_id),
            d.field,
            cell(d.crm_value),
            cell(d.qbo_value),
            "job" if d.fixable else "-",
        )
        for d in drifts
    ]
