"""The platform's currency stamping on save: a record's `exchangerate` and its money columns' `<name>_base`.

Sources (Microsoft Learn):
- Transaction Currency (currency) table
  (https://learn.microsoft.com/power-apps/developer/data-platform/transaction-currency-currency-entity): "The
  exchange rate is the value of a transaction currency equal to one base currency"; each money attribute has a
  read-only, system calculated `_base` attribute, `creditlimit_base = creditlimit / exchangerate`.
- Account table reference, ExchangeRate
  (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/account#BKMK_ExchangeRate):
  "Shows the conversion rate of the record's currency", read-only (valid for neither create nor update),
  Precision 12.

Vague in the docs, so chosen here and said so:
- When the rate is taken. The docs say only that the record keeps "the rate of the record's currency"; community
  write-ups (e.g. dynamics-chronicles.com "Currency fields overview") add that the base values and rate change only
  when a money value (or the currency) is written. The sandbox re-stamps on exactly those writes, so a later change
  of the currency's rate leaves existing records alone until they are saved with money again.
- A record saved with a money value and no currency. Records take the creating user's currency or the org's base
  currency (same write-ups: "This currency serves as the default for records created by them"); the sandbox's
  users have no personal currency, so such a record gets the base currency (the currency whose rate is 1 and whose
  code is the org's base). A record with no money value and no currency is left without one.
- Rounding of `_base`: to 4 decimals, the largest money precision (MoneyAttributeMetadata.Precision 0..4).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.dataverse.schema_currency import BASE_CURRENCY
from inolink_tui.sandbox.dataverse.schema_types import Kind, Table

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState

CURRENCY_KEY = "_transactioncurrencyid_value"
CURRENCIES = "transactioncurrencies"


def _base_currency(state: DataverseState) -> dict[str, Any] | None:
    rows = state.row_map(CURRENCIES).values() if CURRENCIES in state.tables else []
    return next((r for r in rows if r.get("isocurrencycode") == BASE_CURRENCY), None)


def stamp_currency(state: DataverseState, table: Table, row: dict[str, Any], written: dict[str, Any]) -> None:
    """Fill `exchangerate` and every `<money>_base` of `row` (in place) after a write of `written`."""
    if "exchangerate" not in table.columns or CURRENCY_KEY not in table.columns:
        return
    money = [c.key for c in table.columns.values() if c.kind is Kind.MONEY and not c.read_only]
    touched = CURRENCY_KEY in written or any(k in written for k in money) or row.get("exchangerate") is None
    if not touched:
        return
    if row.get(CURRENCY_KEY) is None and any(row.get(k) is not None for k in money):
        base = _base_currency(state)
        row[CURRENCY_KEY] = None if base is None else base["transactioncurrencyid"]
    currency_id = row.get(CURRENCY_KEY)
    currency = state.row_map(CURRENCIES).get(currency_id) if currency_id and CURRENCIES in state.tables else None
    rate = currency.get("exchangerate") if currency else None
    row["exchangerate"] = rate
    for key in money:
        base_key = f"{key}_base"
        if base_key in table.columns:
            value = row.get(key)
            row[base_key] = None if value is None or not rate else round(float(value) / float(rate), 4)
