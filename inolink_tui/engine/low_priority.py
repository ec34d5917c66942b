"""The Low Priority service: open balance and aging buckets written to linked CRM accounts and contacts, read
from QuickBooks' AgedReceivables report (engine/money_services.py).

No Link Jobs: the balances are computed from QuickBooks' open invoices and written in batches, only where
they changed; each write's row version is remembered so it does not come back as a CRM edit.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.engine.cursors import parse_time
from inolink_tui.engine.money_services import money_back
from inolink_tui.engine.payment_jobs import payment_job
from inolink_tui.engine.qbo_transactions import missing_transactions
from inolink_tui.engine.sync_context import CycleContext, CycleTally, UsesContext
from inolink_tui.engine.workers import DrainCounts, WorkerPool

log = logging.getLogger(__name__)

BALANCE_COLUMNS: tuple[str, ...] = DEFAULT_SCHEMA.balance_columns
"""Open balance, overdue 1-30, 31-60, 61-90 and over 90 days: the order `balances` fills them in."""


def balances(
    invoices: Sequence[Mapping[str, Any]], today: date, columns: Sequence[str] = BALANCE_COLUMNS
) -> dict[str, dict[str, float]]:
    """Open balance and overdue buckets (1-30, 31-60, 61-90, over 90 days past due) per customer id, keyed by
    the `columns` that hold them (in BALANCE_COLUMNS order)."""
    open_balance, late_1_30, late_31_60, late_61_90, late_over_90 = columns
    out: dict[str, dict[str, Decimal]] = {}
    for inv in invoices:
        ref = inv.get("CustomerRef") or {}
        customer = str(ref.get("value", "")) if isinstance(ref, Mapping) else ""
        if not customer:
            continue
        balance = Decimal(str(inv.get("Balance") or 0))
        if balance <= 0:
            continue
        bucket = out.setdefault(customer, dict.fromkeys(columns, Decimal(0)))
        bucket[open_balance] += balance
        due = parse_time(f"{inv['DueDate']}T00:00:00+00:00") if inv.get("DueDate") else None
        late = (today - due.date()).days if due else 0
        if late <= 0:
            continue
        column = late_1_30 if late <= 30 else late_31_60 if late <= 60 else late_61_90 if late <= 90 else late_over_90
        bucket[column] += balance
    return {k: {c: float(v) for c, v in cols.items()} for k, cols in out.items()}


class LowPriority(UsesContext[CycleContext]):
    """One Low Priority cycle: balances of every linked account, and the payments still missing in CRM."""

    def __init__(self, ctx: CycleContext, pool: WorkerPool | None = None) -> None:
        super().__init__(ctx)
        self.pool = pool

    async def run(self, tally: CycleTally) -> DrainCounts:
        money = money_back(self.crm, self.qbo, self.store, self.options, self.clock)
        if money is not None:
            # QuickBooks' own AgedReceivables figures, on accounts and contacts, in one report request.
            tally.records_updated = await money.aging()
            # Payments of customers linked since QuickBooks reported them: ordinary Payment Link Jobs.
            at = self.clock()
            backfill = [payment_job(p, self.options.company, at) for p in await money.backfill()]
            # Transactions entered in QuickBooks that CRM lacks (engine/qbo_transactions.py), when switched on.
            backfill += await missing_transactions(money.crm, money.qbo, self.store, self.options, at)
            tally.enqueued += await self.ctx.enqueue(backfill)
            if backfill and self.pool is not None:
                return await self.pool.drain(wait_seconds=self.options.once_wait_seconds, stop=self.ctx.stopping)
            return DrainCounts()
        # Ports that cannot read reports (the tests' fakes): buckets computed from the open invoices.
        accounts = await self.crm.linked(EntityType.ACCOUNT)
        invoices = await self.qbo.query("Invoice", [("Balance", ">", 0)])
        today = self.clock().astimezone(self.options.timezone).date()
        schema = self.options.schema
        per_customer = balances(invoices, today, schema.balance_columns)
        zero = dict.fromkeys(schema.balance_columns, 0.0)
        now = self.clock().isoformat()
        changes: list[tuple[str, dict[str, Any]]] = []
        for row in accounts:
            qbo_id = str(row.get(schema.accounting_id) or "")
            if not qbo_id:
                continue
            wanted = per_customer.get(qbo_id, zero)
            if all(float(row.get(c) or 0) == v for c, v in wanted.items()) and row.get(schema.balance_updated_on):
                continue
            changes.append((str(row[PRIMARY_KEY[EntityType.ACCOUNT]]), {**wanted, schema.balance_updated_on: now}))
        for start in range(0, len(changes), self.options.batch_size):
            chunk = changes[start : start + self.options.batch_size]
            for written in await self.crm.update_many(EntityType.ACCOUNT, chunk):
                link = await self.store.get_link(EntityType.ACCOUNT, written.id)
                if link is not None:
                    # Balance columns are ours: remember the version so this write is not seen as an edit.
                    await self.store.upsert_link(replace(link, crm_version=written.version))
        log.info("balances: %d of %d linked accounts updated", len(changes), len(accounts))
        tally.records_updated = len(changes)
        return DrainCounts()
