"""Currency (issue 16 item 4): a new QuickBooks customer gets its CRM record's currency (and a CRM record created
from a QuickBooks customer gets the customer's), and a transaction of a foreign-currency customer carries
QuickBooks' exchange rate for the day.

- CRM: a record's currency is the `transactioncurrencyid` lookup to `transactioncurrencies`, whose
  `isocurrencycode` is the ISO 4217 code (Microsoft Learn, Currency (TransactionCurrency) table/entity reference).
  The codes are read once per cycle (one listing of a small table).
- QuickBooks: a customer's CurrencyRef is set on create and "cannot be changed" afterwards
  (developer.intuit.com/app/developer/qbo/docs/workflows/manage-multiple-currencies), so it is sent on create
  only; a foreign currency needs multicurrency on (enabled in QuickBooks' UI only): the job fails first with what
  to do rather than sending what QuickBooks refuses.
- The rate: QuickBooks' `GET exchangerate?sourcecurrencycode=<code>&asofdate=<date>` (all-entities/exchangerate),
  home-currency units per one foreign unit, exactly what a transaction's ExchangeRate holds. CRM's
  transactioncurrency.exchangerate is per CRM base unit (the inverse) and CRM's base currency need not be
  QuickBooks' home currency, so QuickBooks' own rate is used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from inolink_tui.domain.enums import ErrorClass
from inolink_tui.engine.fit import FittingCrm
from inolink_tui.engine.ports import PortError, RowReads

if TYPE_CHECKING:
    from inolink_tui.engine.money import MoneyLookups

CURRENCY_LOOKUP = "_transactioncurrencyid_value"
CURRENCIES = "transactioncurrencies"


@runtime_checkable
class RateReader(Protocol):
    async def exchange_rate(self, source_currency: str, as_of: str | None = None) -> dict[str, Any] | None: ...


async def exchange_rate(qbo: object, currency: str, as_of: str | None) -> Decimal | None:
    """QuickBooks' rate for `currency` on `as_of` (today by default), None when it knows none or cannot say."""
    if not isinstance(qbo, RateReader):
        return None
    found = await qbo.exchange_rate(currency, as_of)
    try:
        return Decimal(str(found["Rate"])) if found and found.get("Rate") is not None else None
    except (InvalidOperation, ValueError):
        return None


class CurrencyCodes:
    """CRM transactioncurrencyid -> ISO code, read on first use in a cycle."""

    def __init__(self, crm: object) -> None:
        self.crm = crm
        self._codes: dict[str, str] | None = None
        self._lock = asyncio.Lock()

    async def code(self, currency_id: str) -> str | None:
        return (await self._load()).get(currency_id.lower())

    async def currency_id(self, code: str) -> str | None:
        """The CRM currency with this ISO code (QuickBooks -> CRM), None when the org has no such currency."""
        wanted = code.strip().upper()
        return next((cid for cid, iso in (await self._load()).items() if iso == wanted), None)

    async def _load(self) -> dict[str, str]:
        async with self._lock:
            if self._codes is None:
                rows: list[dict[str, Any]] = []
                crm = self.crm.inner if isinstance(self.crm, FittingCrm) else self.crm
                if isinstance(crm, RowReads):
                    rows = await crm.table_rows(CURRENCIES, ["transactioncurrencyid", "isocurrencycode"])
                self._codes = {
                    str(r["transactioncurrencyid"]).lower(): str(r["isocurrencycode"]).strip().upper()
                    for r in rows
                    if r.get("transactioncurrencyid") and r.get("isocurrencycode")
                }
            return self._codes


async def customer_currency(codes: CurrencyCodes, money: MoneyLookups, row: Mapping[str, Any]) -> str | None:
    """The ISO code a new QuickBooks customer is created in: its CRM record's currency, None when it has none."""
    currency_id = row.get(CURRENCY_LOOKUP)
    if not currency_id:
        return None
    code = await codes.code(str(currency_id))
    if code is None:
        return None
    company = await money.company()
    if code != company.home_currency and not company.multicurrency:
        raise PortError(
            ErrorClass.VALIDATION,
            f"the CRM record's currency is {code} but the QuickBooks company works only in {company.home_currency} "
            "(multicurrency is off); turn on multicurrency in QuickBooks (Account and settings > Advanced) or set "
            f"the record's currency to {company.home_currency}, then requeue this job",
        )
    return code


async def crm_currency(codes: CurrencyCodes, customer: Mapping[str, Any]) -> dict[str, str]:
    """A CRM record created from a QuickBooks customer gets the customer's currency, when the org has it."""
    ref = customer.get("CurrencyRef")
    code = str(ref.get("value") or "") if isinstance(ref, Mapping) else ""
    currency_id = await codes.currency_id(code) if code else None
    return {"transactioncurrencyid@odata.bind": f"/{CURRENCIES}({currency_id})"} if currency_id else {}
