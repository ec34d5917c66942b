"""The transaction history check of `reconcile` (issue 16 items 1 and 6): the `<prefix>_salestransactions` rows
against QuickBooks' transactions of the types `[sync]` switches to "history".

Pure: the amount, balance and status a row should hold are what the Sales Transaction Link Job writes
(domain/transaction_history.py `history_columns`), to the cent. Every QuickBooks transaction of such a type for a
linked customer must have its row, unless the transaction is linked to a CRM invoice or quote (promoted from CRM
or recorded from QuickBooks: no history row is written for it); a row whose transaction QuickBooks no longer
returns (deleted) must be gone. Each drift names the transaction whose Sales Transaction Link Job repairs it
(`Drift.fix_transaction`): that job rewrites the row from QuickBooks, or removes it once the transaction is gone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.invoice_status import amount
from inolink_tui.domain.reconcile import Drift, DriftKind
from inolink_tui.domain.reconcile_money import CENT, cents
from inolink_tui.domain.transaction_history import (
    transaction_balance,
    transaction_key,
    transaction_name,
    transaction_status,
)

FIX = "its Sales Transaction Link Job rewrites the row from QuickBooks (--fix queues it)"


def history_drift(
    schema: CrmSchema,
    transactions: Mapping[str, Sequence[Mapping[str, Any]]],
    customers: Mapping[str, tuple[EntityType, str]],
    rows: Mapping[str, Mapping[str, Any]],
    linked: set[str],
    today: date,
) -> list[Drift]:
    """`transactions`: QuickBooks' records per entity switched to "history"; `customers`: linked QuickBooks
    customer Id -> (entity type, CRM id); `rows`: CRM history rows by their key "<entity>|<Id>"; `linked`: keys
    of transactions linked to a CRM invoice or quote (they have no history row)."""
    c = schema.sales_transaction
    out: list[Drift] = []
    seen: set[str] = set()
    for entity, txns in transactions.items():
        for txn in txns:
            tid = str(txn.get("Id") or "")
            key = transaction_key(entity, tid)
            seen.add(key)
            customer = txn.get("CustomerRef") or {}
            if not tid or key in linked or str(customer.get("value") or "") not in customers:
                continue  # only linked customers' transactions get a row
            name = transaction_name(entity, txn, str(customer.get("name") or ""))
            row = rows.get(key)
            if row is None:
                out.append(
                    Drift(
                        DriftKind.HISTORY,
                        EntityType.SALES_TRANSACTION,
                        name,
                        qbo_id=tid,
                        qbo_value=str(amount(txn.get("TotalAmt")).quantize(CENT)),
                        side="CRM",
                        fixable=True,
                        fix_transaction=entity,
                        detail=f"not in CRM's transaction history: {FIX}",
                    )
                )
                continue
            balance = transaction_balance(entity, txn)
            wanted: list[tuple[str, Any, Any]] = [
                (c("amount"), cents(row.get(c("amount"))), amount(txn.get("TotalAmt")).quantize(CENT)),
                (c("balance"), cents(row.get(c("balance"))), None if balance is None else cents(balance)),
                (c("transactionstatus"), row.get(c("transactionstatus")), transaction_status(entity, txn, today)),
            ]
            crm_id = str(row.get(schema.sales_transaction_id) or "")
            out += [
                Drift(
                    DriftKind.HISTORY,
                    EntityType.SALES_TRANSACTION,
                    name,
                    crm_id,
                    tid,
                    field=column,
                    crm_value=None if have is None else str(have),
                    qbo_value=None if want is None else str(want),
                    fixable=True,
                    fix_transaction=entity,
                    detail=f"differs from QuickBooks: {FIX}",
                )
                for column, have, want in wanted
                if have != want
            ]
    for key, row in rows.items():
        entity, _, tid = key.partition("|")
        if entity in transactions and key not in seen:
            out.append(
                Drift(
                    DriftKind.HISTORY,
                    EntityType.SALES_TRANSACTION,
                    str(row.get(c("name")) or key),
                    str(row.get(schema.sales_transaction_id) or ""),
                    tid,
                    side="QuickBooks",
                    fixable=True,
                    fix_transaction=entity,
                    detail="the QuickBooks transaction was deleted: its Sales Transaction Link Job removes the row "
                    "(--fix queues it)",
                )
            )
    return sorted(out, key=lambda d: (d.name.casefold(), d.field))
