"""Stock Dataverse columns and the table for currency and payment terms (issue 16 item 4).

Sources (Microsoft Learn):
- Currency (TransactionCurrency) table/entity reference
  (learn.microsoft.com/power-apps/developer/data-platform/reference/entities/transactioncurrency): entity set
  `transactioncurrencies`, primary key `transactioncurrencyid`, primary name `currencyname`; columns
  `isocurrencycode` (the ISO 4217 code), `currencysymbol`, `currencyprecision`, `exchangerate` ("Exchange rate for
  the currency associated with the currency record with respect to the base currency"), `statecode`.
- Transaction Currency (currency) table (learn.microsoft.com/power-apps/developer/data-platform/
  transaction-currency-currency-entity): every record with money can have its own transaction currency
  (`transactioncurrencyid` on account, contact, quote, order, invoice ...); "the exchange rate is the value of a
  transaction currency equal to one base currency", so `<money>_base = <money> / exchangerate`; the record keeps
  the rate it was saved with in its own `exchangerate` column.
- Account / Contact / Quote / SalesOrder / Invoice references: `paymenttermscode` "Payment Terms", a local choice
  with the stock options 1 Net 30, 2 "2% 10, Net 30", 3 Net 45, 4 Net 60 (also listed as Business Central's
  "CDS Payment Terms Code" enum: Net30, 2%10Net30, Net45, Net60).

Every organization has at least its base currency; the sandbox seeds the base (USD) and a few others with rates
(`seed_currencies`). A record's `exchangerate` is read-only (the account reference lists it valid for neither
create nor update: "Shows the conversion rate of the record's currency. The exchange rate is used to convert all
money fields in the record from the local currency to the system's default currency", Decimal, Precision 12); the
platform sets it from the record's currency on save, and fills each money column's read-only `<name>_base`
("For each money attribute in a table, Dataverse automatically creates a corresponding read-only, system
calculated, money attribute that is called the base"): exchange.py does both.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.dataverse.schema_types import Column, Kind, Table, _choice, _d, _lookup, _s

if TYPE_CHECKING:
    from inolink_tui.sandbox.dataverse.state import DataverseState

PAYMENT_TERMS = {1: "Net 30", 2: "2% 10, Net 30", 3: "Net 45", 4: "Net 60"}
BASE_CURRENCY = "USD"
SEEDED_CURRENCIES: tuple[tuple[str, str, str, Decimal], ...] = (
    ("USD", "US Dollar", "$", Decimal(1)),
    ("EUR", "Euro", "€", Decimal("0.925926")),
    ("CAD", "Canadian Dollar", "CA$", Decimal("1.369863")),
    ("GBP", "Pound Sterling", "£", Decimal("0.787402")),
    ("AUD", "Australian Dollar", "A$", Decimal("1.515152")),
)
"""(ISO code, name, symbol, units per one base currency unit): the seeded org's currencies (rates illustrative)."""


def money_record_columns() -> list[Column]:
    """Payment terms and transaction currency, on every customer and sales document table."""
    return [
        _choice("paymenttermscode", PAYMENT_TERMS, "Payment Terms"),
        _lookup("transactioncurrencyid", {"transactioncurrencyid": "transactioncurrencies"}),
        Column(  # account reference, ExchangeRate: MinValue 1E-12, MaxValue 100000000000, Precision 12
            "exchangerate", Kind.DECIMAL, read_only=True, min_value=0.000000000001, max_value=100000000000, precision=12
        ),
    ]


def with_base_columns(columns: list[Column]) -> list[Column]:
    """A table with a transaction currency gets `<money>_base` for each money column (CURRENCY page: "for example,
    see the Account.CreditLimit_Base attribute"). Tables without `exchangerate` are left as they are."""
    if not any(c.name == "exchangerate" for c in columns):
        return columns
    money = [c for c in columns if c.kind is Kind.MONEY and not c.name.endswith("_base")]
    display = "{} (Base)"
    bases = [
        Column(f"{c.name}_base", Kind.MONEY, read_only=True, display=display.format(c.display or c.name)) for c in money
    ]
    return columns + bases


def currency_table(make: Callable[..., Table]) -> Table:
    return make(
        "transactioncurrency",
        "transactioncurrencies",
        "currencyname",
        9105,
        [
            _s("currencyname", 100, "Currency Name", required="ApplicationRequired"),
            _s("isocurrencycode", 5, "Currency Code", required="ApplicationRequired"),
            _s("currencysymbol", 10, "Currency Symbol", required="ApplicationRequired"),
            Column("currencyprecision", Kind.INT, display="Currency Precision"),
            _d("exchangerate", 0.0001, 100000000000),
            _choice("statecode", {0: "Active", 1: "Inactive"}, "Status"),
        ],
        display="Currency",
        schema="TransactionCurrency",
        ownership="OrganizationOwned",
        plural="Currencies",
    )


def seed_currencies(dv: DataverseState) -> dict[str, str]:
    """The org's currencies (base first); returns ISO code -> transactioncurrencyid."""
    out: dict[str, str] = {}
    for code, name, symbol, rate in SEEDED_CURRENCIES:
        row: dict[str, Any] = {
            "currencyname": name,
            "isocurrencycode": code,
            "currencysymbol": symbol,
            "currencyprecision": 2,
            "exchangerate": float(rate),
            "statecode": 0,
        }
        out[code] = str(dv.create_row("transactioncurrencies", row)["transactioncurrencyid"])
    return out
