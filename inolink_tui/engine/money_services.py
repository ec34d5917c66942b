"""Money back to CRM as the services run it: what the High Priority service does with a CDC answer's
transactions, and what the Low Priority service writes (aging), with the `[sync]` switches applied.

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

    async def after_cdc(self, entities: Mapping[str, Sequence[Mapping[str, Any]]]) -> MoneyResult:
        """Payments and invoice status from one CDC answer (High Priority)."""
        if not (self.options.payments or self.options.invoice_status):
            return MoneyResult()
        if not (entities.get("Payment") or entities.get("Invoice")):
            return MoneyResult()
        today = self.clock().astimezone(self.options.timezone).date()
        result = await record_money(
            self.crm,
            self.qbo,
            self.options.company,
            entities,
            today,
            self.remember,
            record_payments=self.options.payments,
            refresh_invoices=self.options.invoice_status,
        )
        log.info(
            "money: %d payments recorded, %d updated, %d waiting for their customer; %d invoices refreshed",
            result.payments_created,
            result.payments_updated,
            result.payments_waiting,
            result.invoices_updated,
        )
        return result

    async def backfill(self) -> MoneyResult:
        """Payments QuickBooks has and CRM lacks, for customers linked now (Low Priority)."""
        if not self.options.payments:
            return MoneyResult()
        missing = await missing_payments(self.crm, self.qbo)
        if not missing:
            return MoneyResult()
        today = self.clock().astimezone(self.options.timezone).date()
        return await record_money(
            self.crm,
            self.qbo,
            self.options.company,
            {"Payment": missing},
            today,
            self.remember,
            refresh_invoices=self.options.invoice_status,
        )

    async def aging(self) -> int:
        """Aging and open balance of every linked account and contact (Low Priority): one report request."""
        return await write_aging(self.crm, self.qbo, self.clock().astimezone(self.options.timezone), self.remember)
