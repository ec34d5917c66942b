"""Money back to CRM as the services run it: the payments of a CDC answer the High Priority service queues as
Link Jobs (the rest of its transactions: engine/qbo_transactions.py), and what the Low Priority service writes
(aging), with the `[sync]` switches applied.

Kept apart from engine/cycles.py so the services call it in one line each. Writes to linked records are
remembered in the store's links (their new version), as the balance writes always were, so CRM change tracking
does not take them for a user's edit to push back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.engine.customer_totals import read_totals
from inolink_tui.engine.money_back import (
    MoneyAccounting,
    MoneyCrm,
    MoneyResult,
    missing_payments,
    record_money,
    write_aging,
)
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.ports import Written
from inolink_tui.store.base import JobStore

log = logging.getLogger(__name__)

MONEY_CDC_ENTITIES: tuple[str, ...] = ("Invoice", "Payment", "CreditMemo", "Estimate", "SalesReceipt")
"""The transaction types the High Priority service asks CDC for, besides Customer and Item."""


def money_back(
    crm: object, qbo: object, store: JobStore, options: EngineOptions, clock: Callable[[], datetime]
) -> MoneyBack | None:
    """MoneyBack over these ports, or None when a port cannot read reports or upsert rows (tests' fakes)."""
    if isinstance(crm, MoneyCrm) and isinstance(qbo, MoneyAccounting):
        return MoneyBack(crm, qbo, store, options, clock)
    return None


class MoneyBack:
    def __init__(
        self,
        crm: MoneyCrm,
        qbo: MoneyAccounting,
        store: JobStore,
        options: EngineOptions,
        clock: Callable[[], datetime],
    ) -> None:
        self.crm, self.qbo, self.store, self.options, self.clock = crm, qbo, store, options, clock

    async def remember(self, entity_type: EntityType, written: Written) -> None:
        link = await self.store.get_link(entity_type, written.id)
        if link is not None:
            await self.store.upsert_link(replace(link, crm_version=written.version))

    def payments_to_record(self, entities: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[Mapping[str, Any]]:
        """The payments of one CDC answer to queue as Payment Link Jobs (engine/payment_jobs.py)."""
        if not self.options.payments:
            return []
        return [p for p in entities.get("Payment") or [] if p.get("status") != "Deleted" and p.get("Id")]

    async def record_payment(self, payment: Mapping[str, Any]) -> MoneyResult:
        """One payment with its applications, and the status of the linked invoices it paid (a Payment job)."""
        today = self.clock().astimezone(self.options.timezone).date()
        return await record_money(
            self.crm,
            self.qbo,
            self.options.company,
            {"Payment": [payment]},
            today,
            self.remember,
            refresh_invoices=self.options.invoice_status,
            terms=self.options.money,
        )

    async def backfill(self) -> list[Mapping[str, Any]]:
        """Payments QuickBooks has and CRM lacks whose customer is linked now (Low Priority queues their jobs);
        a payment of a customer still unlinked waits for its link instead of failing each run."""
        if not self.options.payments:
            return []
        found: list[Mapping[str, Any]] = []
        for payment in await missing_payments(self.crm, self.qbo):
            customer = str((payment.get("CustomerRef") or {}).get("value") or "")
            link = await self.store.find_link_by_qbo("Customer", customer, self.options.company) if customer else None
            if link is not None and link.crm_id:
                found.append(payment)
        return found

    async def aging(self) -> int:
        """Aging, open balance, last transaction date and year-to-date sales of every linked account and contact
        (Low Priority): two report requests and a few paged queries (engine/customer_totals.py)."""
        now = self.clock().astimezone(self.options.timezone)
        totals = await read_totals(self.qbo, now.date())
        return await write_aging(self.crm, self.qbo, now, self.remember, totals)
