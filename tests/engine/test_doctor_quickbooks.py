"""doctor's reading of QuickBooks Preferences: each setting that changes the mapping becomes a note, a missing
/preferences endpoint is a note too (never a failure), items and accounts are checked by name and type."""

from __future__ import annotations

from typing import Any

from inolink_tui.connectors.errors import QuickBooksError
from inolink_tui.domain.errors import ErrorFacts, Service
from inolink_tui.engine.doctor import _accounts, _items, _preferences
from inolink_tui.engine.options import EngineOptions


class StubQbo:
    def __init__(self, preferences: dict[str, Any] | None, items: list[dict[str, Any]], accounts: list[dict[str, Any]]):
        self.preferences = preferences
        self.items = items
        self.accounts = accounts

    async def _call(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        assert (method, path) == ("GET", "preferences")
        if self.preferences is None:
            raise QuickBooksError(ErrorFacts(Service.QUICKBOOKS, 400, "400", "Unsupported Operation"))
        return {"Preferences": self.preferences}

    async def query_all(self, query: Any) -> list[dict[str, Any]]:
        text = query.text()
        if "FROM Item" in text:
            name = text.split("Name = '", 1)[1].split("'", 1)[0]
            return [i for i in self.items if i["Name"] == name]
        return self.accounts


async def test_preferences_that_change_the_mapping_are_named() -> None:
    prefs = {
        "CurrencyPrefs": {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "CAD"}},
        "TaxPrefs": {"UsingSalesTax": True},
        "SalesFormsPrefs": {"CustomTxnNumbers": False},
        "ProductAndServicesPrefs": {"QuantityOnHand": True},
    }
    found = await _preferences(StubQbo(prefs, [], []))  # type: ignore[arg-type]
    lines = [f.line() for f in found]
    assert any("multi-currency is on (home currency CAD)" in line for line in lines)
    assert any("sales tax is on" in line for line in lines)
    assert any("custom transaction numbers are off" in line and "fix:" in line for line in lines)
    assert any("track quantity on hand is on" in line for line in lines)
    assert not any(f.problem for f in found)
    missing = await _preferences(StubQbo(None, [], []))  # type: ignore[arg-type]
    assert [f.note for f in missing] == [True] and "HTTP 400" in missing[0].message


async def test_items_and_accounts_missing_or_inactive_are_problems_with_fixes() -> None:
    stub = StubQbo(
        {},
        [{"Name": "Write-In", "Active": True}, {"Name": "Discount", "Active": False}],
        [{"Name": "Sales", "AccountType": "Income", "Active": True}],
    )
    items = await _items(stub, EngineOptions())  # type: ignore[arg-type]
    assert [(f.ok, f.message) for f in items] == [
        (True, "item 'Write-In' ([sync] write_in_item) exists and is active"),
        (False, "item 'Discount' ([sync] discount_item) is inactive"),
        (False, "no item named 'Shipping' ([sync] shipping_item)"),
    ]
    accounts = await _accounts(stub)  # type: ignore[arg-type]
    assert [f.ok for f in accounts] == [True, False, False]
    assert accounts[1].fix == "add an active Cost of Goods Sold account in QuickBooks"
