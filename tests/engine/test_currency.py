"""Currency on the way to QuickBooks with fakes (engine/currency.py, engine/money.py `dress`): the rate comes from
QuickBooks' exchangerate endpoint, a new customer takes its CRM currency, and a foreign one without multicurrency
fails the job before anything is sent."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.mapping.money import MoneyPolicy
from inolink_tui.engine.currency import CurrencyCodes, customer_currency
from inolink_tui.engine.money import MoneyLookups, dress
from inolink_tui.engine.ports import PortError


class FakeQbo:
    def __init__(self, *, multicurrency: bool, rate: str | None = "1.0875") -> None:
        self.multicurrency, self.rate = multicurrency, rate
        self.asked: list[tuple[str, str | None]] = []

    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]:
        if entity == "Preferences":
            prefs = {"MultiCurrencyEnabled": self.multicurrency, "HomeCurrency": {"value": "USD"}}
            return [{"CurrencyPrefs": prefs, "TaxPrefs": {"UsingSalesTax": False}}]
        return [{"Country": "US"}] if entity == "CompanyInfo" else []

    async def read(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        return {"Id": entity_id, "CurrencyRef": {"value": "EUR"}} if entity == "Customer" else None

    async def exchange_rate(self, source_currency: str, as_of: str | None = None) -> dict[str, Any] | None:
        self.asked.append((source_currency, as_of))
        return None if self.rate is None else {"SourceCurrencyCode": source_currency, "Rate": self.rate}


class FakeCrm:
    async def table_rows(self, entity_set: str, columns: Sequence[str]) -> list[dict[str, Any]]:
        assert entity_set == "transactioncurrencies"
        return [
            {"transactioncurrencyid": "C-USD", "isocurrencycode": "USD"},
            {"transactioncurrencyid": "C-EUR", "isocurrencycode": "eur "},
        ]


BODY = {"CustomerRef": {"value": "7"}, "TxnDate": "2026-03-02", "Line": []}


async def test_a_foreign_customer_s_transaction_carries_quickbooks_rate() -> None:
    qbo = FakeQbo(multicurrency=True)
    dressed = await dress(qbo, MoneyLookups(qbo), MoneyPolicy(), BODY, {})  # type: ignore[arg-type]
    assert dressed["CurrencyRef"] == {"value": "EUR"} and dressed["ExchangeRate"] == pytest.approx(1.0875)
    assert qbo.asked == [("EUR", "2026-03-02")], "the rate of the transaction's date"
    unknown = FakeQbo(multicurrency=True, rate=None)
    dressed = await dress(unknown, MoneyLookups(unknown), MoneyPolicy(), BODY, {})  # type: ignore[arg-type]
    assert dressed["CurrencyRef"] == {"value": "EUR"} and "ExchangeRate" not in dressed  # QuickBooks applies its own


async def test_a_new_customer_takes_its_crm_currency_and_foreign_needs_multicurrency() -> None:
    on, off = FakeQbo(multicurrency=True), FakeQbo(multicurrency=False)
    codes = CurrencyCodes(FakeCrm())
    euro = {"_transactioncurrencyid_value": "c-eur"}
    assert await customer_currency(codes, MoneyLookups(on), euro) == "EUR"  # type: ignore[arg-type]
    assert await customer_currency(codes, MoneyLookups(off), {}) is None  # type: ignore[arg-type]
    dollars = {"_transactioncurrencyid_value": "C-USD"}
    assert await customer_currency(codes, MoneyLookups(off), dollars) == "USD"  # type: ignore[arg-type]
    with pytest.raises(PortError) as refused:
        await customer_currency(codes, MoneyLookups(off), euro)  # type: ignore[arg-type]
    assert refused.value.error_class is ErrorClass.VALIDATION and "multicurrency" in str(refused.value)
