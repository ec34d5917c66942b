"""Tax codes, currency and terms on every pushed transaction: the QuickBooks lookups, read once per cycle.

The pure rules are in domain/mapping/money.py; this module reads what they need through the AccountingPort:
the company's Preferences and CompanyInfo, its TaxCodes and Terms (cached for the cycle, like the name
indexes: a processor's `new_cycle` drops them), and per transaction the lines' Items and the customer.
A mapping failure (no tax code for a line, a configured code QuickBooks does not know) is a VALIDATION error
with the hint the mapping wrote, before any request that creates something.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.enums import EntityType, ErrorClass
from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.money import CompanyMoney, MoneyPolicy, company_money, dress_transaction
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.engine.currency import exchange_rate
from inolink_tui.engine.fit import FittingQbo
from inolink_tui.engine.ports import AccountingPort, CrmPort, PortError


class MoneyLookups:
    """The company's tax, currency and terms settings, read on first use in a cycle."""

    def __init__(self, qbo: AccountingPort) -> None:
        self.qbo = qbo
        self._company: CompanyMoney | None = None
        self._customer_types: dict[str, str] | None = None
        self.vendors: dict[str, dict[str, str] | None] = {}
        """Vendors looked up by Display Name this cycle (case-folded name -> PrefVendorRef, None: no such vendor)."""
        self._lock = asyncio.Lock()
        self.items: dict[str, dict[str, Any]] = {}
        """Items read this cycle (their Taxable flag and tax code): a bulk push reads each item once."""

    def reset(self) -> None:
        self._company = None
        self._customer_types = None
        self.vendors = {}
        self.items = {}

    async def item(self, item_id: str) -> dict[str, Any] | None:
        if item_id not in self.items:
            found = await self.qbo.read("Item", item_id)
            if found is None:
                return None
            self.items[item_id] = found
        return self.items[item_id]

    async def company(self) -> CompanyMoney:
        async with self._lock:
            if self._company is None:
                prefs = await self.qbo.query("Preferences")
                info = await self.qbo.query("CompanyInfo")
                codes = await self.qbo.query("TaxCode")
                terms = await self.qbo.query("Term")
                self._company = company_money(prefs[0] if prefs else None, info[0] if info else None, codes, terms)
            return self._company

    async def customer_types(self) -> dict[str, str]:
        """The company's Customer Types, Id -> name (`select * from CustomerType`), read on first use in a cycle."""
        async with self._lock:
            if self._customer_types is None:
                found = await self.qbo.query("CustomerType")
                self._customer_types = {str(t["Id"]): str(t["Name"]) for t in found if t.get("Name")}
            return self._customer_types


async def dress(
    qbo: AccountingPort,
    lookups: MoneyLookups,
    policy: MoneyPolicy,
    body: Mapping[str, Any],
    header: Mapping[str, Any],
    *,
    product_keys: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """`body` (an Estimate or Invoice) with tax codes, currency and terms; `product_keys`: Item Id -> product number."""
    company = await lookups.company()
    item_ids = sorted(
        {
            str(line["SalesItemLineDetail"]["ItemRef"]["value"])
            for line in body.get("Line") or []
            if isinstance(line.get("SalesItemLineDetail"), Mapping)
        }
    )
    items: dict[str, dict[str, Any]] = {}
    if item_ids and not (company.region_us and not company.using_sales_tax):
        for item_id in item_ids:
            if (item := await lookups.item(item_id)) is not None:
                items[item_id] = item
    customer: dict[str, Any] | None = None
    customer_id = (body.get("CustomerRef") or {}).get("value")
    if company.multicurrency and customer_id:
        customer = await qbo.read("Customer", str(customer_id))
    rate = None
    currency = str(((customer or {}).get("CurrencyRef") or {}).get("value") or "")
    if company.multicurrency and currency and currency != company.home_currency:
        inner = qbo.inner if isinstance(qbo, FittingQbo) else qbo
        rate = await exchange_rate(inner, currency, body.get("TxnDate"))
    try:
        return dress_transaction(
            body,
            company,
            policy,
            items=items,
            product_keys=product_keys,
            customer=customer,
            header=header,
            exchange_rate=rate,
        )
    except MappingError as exc:
        raise PortError(ErrorClass.VALIDATION, str(exc)) from exc


async def product_numbers(crm: CrmPort, policy: MoneyPolicy, item_ids: Mapping[str, str]) -> dict[str, str]:
    """QuickBooks Item Id -> CRM product number, read only when `[sync] tax_codes` maps products."""
    if not policy.tax_codes or not item_ids:
        return {}
    rows = await crm.get_many(EntityType.PRODUCT, list(item_ids))
    key = PRIMARY_KEY[EntityType.PRODUCT]
    by_crm = {str(r[key]).lower(): str(r.get("productnumber") or "") for r in rows}
    return {qbo_id: by_crm[pid.lower()] for pid, qbo_id in item_ids.items() if by_crm.get(pid.lower())}
