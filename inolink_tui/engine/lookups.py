"""The per-cycle QuickBooks lookups a push needs: name indexes, service items, accounts for new items.

Loaded once per cycle and shared by all workers (one load, the others wait for it), then thrown away at the
next cycle start so a rename in QuickBooks is seen (e.g. after an operator fixes a duplicate name and
requeues). `desired` lives here too: the QuickBooks values a CRM row should have depend on these lookups,
and both directions need them (the push, and the pull when CRM wins a conflict).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.domain.mapping import ItemAccounts, NameIndex, ServiceItems, crm_to_customer, crm_to_item
from inolink_tui.engine import fit
from inolink_tui.engine.currency import CurrencyCodes, customer_currency
from inolink_tui.engine.custom_mapping import CustomMapping
from inolink_tui.engine.customer_types import account_customer_type
from inolink_tui.engine.lifecycle import quickbooks_active
from inolink_tui.engine.money import MoneyLookups
from inolink_tui.engine.primary_contact import primary_contact
from inolink_tui.engine.sync_context import SyncContext, UsesContext
from inolink_tui.engine.terms import customer_term
from inolink_tui.engine.vendors import preferred_vendor


@dataclass
class CycleCache:
    """Per-cycle lookups shared by all workers: QuickBooks name indexes, service items, accounts.

    Reset at every cycle start so a rename in QuickBooks is seen by the next cycle (e.g. after an
    operator fixes a duplicate name and requeues).
    """

    indexes: dict[str, NameIndex] = field(default_factory=dict)
    service_items: ServiceItems | None = None
    accounts: ItemAccounts | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Workers wait for the one that is loading a lookup instead of each loading it again."""


class Lookups(UsesContext[SyncContext]):
    """The cycle's cached QuickBooks reads, behind one lock."""

    def __init__(self, ctx: SyncContext) -> None:
        super().__init__(ctx)
        self.cache = CycleCache()
        self.money = MoneyLookups(ctx.qbo)
        """Tax codes, currencies and terms (engine/money.py), read once per cycle like the rest."""
        self.custom = CustomMapping(ctx)
        """The config's custom mapping rows, with the cycle's custom field definitions and choice options."""
        self.currencies = CurrencyCodes(ctx.crm)
        """CRM currencies' ISO codes (engine/currency.py)."""

    def new_cycle(self) -> None:
        """Forget the last cycle's reads, so QuickBooks edits made since are seen."""
        self.cache = CycleCache()
        self.money = MoneyLookups(self.qbo)
        self.custom.new_cycle()
        self.currencies = CurrencyCodes(self.crm)

    async def index(self, entity: str) -> NameIndex:
        """Every QuickBooks name of `entity`, for Name Matching before a create (kept up to date by creates)."""
        cache = self.cache
        async with cache.lock:
            self.ctx.still_authorised()
            index = cache.indexes.get(entity)
            if index is None:
                index = NameIndex()
                for key, name in await self.qbo.all_names(entity):
                    index.add(key, name)
                cache.indexes[entity] = index
        return index

    async def accounts(self) -> ItemAccounts:
        """Accounts for new items: configured ones, else QuickBooks' standard ones found by type.

        Income: "Sales of Product Income" (or the first Income account); Expense: the first Cost
        of Goods Sold account; Asset (inventory items): the Other Current Asset account of subtype
        Inventory. One query reads the chart of accounts once per cycle.
        """
        async with self.cache.lock:
            self.ctx.still_authorised()
            return await self._load_accounts()

    async def _load_accounts(self) -> ItemAccounts:
        if self.cache.accounts is None:
            o = self.options
            chart: list[dict[str, Any]] = []
            if None in (o.income_account, o.expense_account, o.asset_account):
                chart = await self.qbo.query("Account")

            def pick(kind: str, subtype: str | None) -> str | None:
                rows = [a for a in chart if a.get("AccountType") == kind]
                preferred = [a for a in rows if subtype and a.get("AccountSubType") == subtype]
                chosen = preferred or rows
                return str(chosen[0]["Id"]) if chosen else None

            self.cache.accounts = ItemAccounts(
                o.income_account or pick("Income", "SalesOfProductIncome"),
                o.expense_account or pick("Cost of Goods Sold", None),
                o.asset_account or pick("Other Current Asset", "Inventory"),
            )
        return self.cache.accounts

    async def service_items(self) -> ServiceItems:
        """The configured write-in, discount and shipping items, found by name once per cycle."""
        async with self.cache.lock:
            self.ctx.still_authorised()
            return await self._load_service_items()

    async def _load_service_items(self) -> ServiceItems:
        if self.cache.service_items is None:
            o = self.options
            found = await self.qbo.find_by_names("Item", [o.write_in_item, o.discount_item, o.shipping_item])
            by_name = {str(i.get("Name", "")).casefold(): str(i["Id"]) for i in found}
            self.cache.service_items = ServiceItems(
                by_name.get(o.write_in_item.casefold()),
                by_name.get(o.discount_item.casefold()),
                by_name.get(o.shipping_item.casefold()),
            )
        return self.cache.service_items

    async def desired(self, job: LinkJob, row: Mapping[str, Any], *, create: bool) -> dict[str, Any]:
        """The QuickBooks values a CRM customer or product should have, fitted to QuickBooks' limits.

        A new item gets the cycle's accounts; a sub-account, its parent's QuickBooks id when linked; the config's
        custom rows are applied on top of the built-in mapping before the body is fitted.
        """
        et = job.entity_type
        if et is EntityType.PRODUCT:
            accounts = await self.accounts() if create else ItemAccounts()
            vendor = await preferred_vendor(self.money, row)
            built = crm_to_item(row, accounts, for_create=create, today=self.clock().date(), pref_vendor=vendor)
            item = fit.qbo_values("Item", await self.custom.to_qbo(et, "Item", row, built, create=create))
            return item if create else {**item, **quickbooks_active(self.options.lifecycle, row)}
        parent_qbo: str | None = None
        if et is EntityType.ACCOUNT and (parent := row.get("_parentaccountid_value")):
            parent_link = await self.store.get_link(EntityType.ACCOUNT, str(parent))
            parent_qbo = parent_link.qbo_id if parent_link and parent_link.qbo_id else None
        currency = await customer_currency(self.currencies, self.money, row) if create else None
        term = await customer_term(self.money, self.options.money, row)
        ctype = await account_customer_type(self.money, self.options.customers, et, row)
        person = await primary_contact(self.crm, self.options.customers, et, row)
        built = crm_to_customer(
            et,
            row,
            parent_qbo_id=parent_qbo,
            currency=currency,
            sales_term=term,
            customer_type=ctype,
            primary_contact=person,
        )
        customer = fit.qbo_values("Customer", await self.custom.to_qbo(et, "Customer", row, built, create=create))
        return customer if create else {**customer, **quickbooks_active(self.options.lifecycle, row)}
