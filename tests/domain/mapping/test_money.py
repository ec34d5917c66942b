"""Tax codes, currency and terms on a pushed transaction (issue 16 item 4): the pure rules."""

from __future__ import annotations

from typing import Any

import pytest

from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.money import (
    CompanyMoney,
    MoneyPolicy,
    company_money,
    dress_transaction,
    line_tax_code,
    sales_term_ref,
)

CA = company_money(
    {"TaxPrefs": {"UsingSalesTax": True}, "CurrencyPrefs": {"HomeCurrency": {"value": "CAD"}}},
    {"Country": "CA"},
    [{"Id": "3", "Name": "GST"}, {"Id": "5", "Name": "Zero-rated"}, {"Id": "6", "Name": "Exempt"}],
    [{"Id": "1", "Name": "Net 30"}, {"Id": "2", "Name": "Net 60"}],
)
US = company_money(
    {"TaxPrefs": {"UsingSalesTax": True}, "CurrencyPrefs": {"HomeCurrency": {"value": "USD"}}},
    {"Country": "US"},
    [{"Id": "TAX", "Name": "TAX"}, {"Id": "NON", "Name": "NON"}, {"Id": "2", "Name": "California"}],
    [],
)


def body(*items: str) -> dict[str, Any]:
    return {
        "CustomerRef": {"value": "58"},
        "Line": [
            {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": i}}}
            for i in items
        ],
    }


def codes(out: dict[str, Any]) -> list[str]:
    return [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in out["Line"]]


def test_company_settings_are_read_from_preferences() -> None:
    assert not CA.region_us and CA.home_currency == "CAD" and not CA.multicurrency
    assert US.region_us and US.using_sales_tax
    assert company_money(None, None, [], []) == CompanyMoney()


def test_us_lines_are_tax_or_non_from_the_item() -> None:
    items = {"1": {"Id": "1", "Taxable": True}, "2": {"Id": "2", "Taxable": False}, "3": {"Id": "3"}}
    assert codes(dress_transaction(body("1", "2", "3"), US, MoneyPolicy(), items=items)) == ["TAX", "NON", "NON"]


def test_us_company_without_sales_tax_marks_every_line_non() -> None:
    no_tax = company_money({"TaxPrefs": {"UsingSalesTax": False}}, {"Country": "US"}, [], [])
    items = {"1": {"Id": "1", "Taxable": True}}
    assert codes(dress_transaction(body("1"), no_tax, MoneyPolicy(), items=items)) == ["NON"]


def test_us_default_tax_code_becomes_the_transaction_rate_when_a_line_is_taxable() -> None:
    items = {"1": {"Id": "1", "Taxable": True}, "2": {"Id": "2", "Taxable": False}}
    policy = MoneyPolicy(default_tax_code="California")
    assert dress_transaction(body("1"), US, policy, items=items)["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "2"}}
    assert "TxnTaxDetail" not in dress_transaction(body("2"), US, policy, items=items)


def test_non_us_line_codes_follow_product_mapping_item_code_exempt_then_default() -> None:
    policy = MoneyPolicy(default_tax_code="GST", exempt_tax_code="Exempt", tax_codes={"sku-book": "Zero-rated"})
    items = {
        "1": {"Id": "1", "Name": "Book", "Taxable": True},
        "2": {"Id": "2", "Name": "Tea", "SalesTaxCodeRef": {"value": "5"}},
        "3": {"Id": "3", "Name": "Care", "Taxable": False},
        "4": {"Id": "4", "Name": "Widget", "Taxable": True},
    }
    out = dress_transaction(body("1", "2", "3", "4"), CA, policy, items=items, product_keys={"1": "SKU-Book"})
    assert codes(out) == ["5", "5", "6", "3"]


def test_non_us_without_any_code_names_the_setting_and_the_valid_codes() -> None:
    with pytest.raises(MappingError, match=r"set \[sync\] default_tax_code .* GST, Zero-rated, Exempt"):
        line_tax_code(CA, MoneyPolicy(), {"Id": "1", "Name": "Widget"})


def test_an_unknown_configured_tax_code_is_a_clear_error() -> None:
    with pytest.raises(MappingError, match=r"QuickBooks has no tax code 'VAT'; its tax codes are: Exempt, GST"):
        line_tax_code(CA, MoneyPolicy(default_tax_code="VAT"), {"Id": "1"})


def test_a_configured_code_may_be_an_id() -> None:
    assert line_tax_code(CA, MoneyPolicy(default_tax_code="6"), {"Id": "1"}) == {"value": "6", "name": "Exempt"}


def test_multicurrency_transactions_are_in_the_customer_currency() -> None:
    multi = CompanyMoney(region_us=True, multicurrency=True, home_currency="USD")
    out = dress_transaction(body("1"), multi, MoneyPolicy(), items={}, customer={"CurrencyRef": {"value": "EUR"}})
    assert out["CurrencyRef"] == {"value": "EUR"}
    home = dress_transaction(body("1"), multi, MoneyPolicy(), items={}, customer={})
    assert home["CurrencyRef"] == {"value": "USD"}
    assert "CurrencyRef" not in dress_transaction(body("1"), US, MoneyPolicy(), items={}, customer={})


def test_payment_terms_by_label_and_by_mapping() -> None:
    assert sales_term_ref(CA, MoneyPolicy(), {"paymenttermscode": 1}) == {"value": "1", "name": "Net 30"}
    formatted = {"paymenttermscode": 4, "paymenttermscode@OData.Community.Display.V1.FormattedValue": "Net 60"}
    assert sales_term_ref(CA, MoneyPolicy(), formatted) == {"value": "2", "name": "Net 60"}
    mapped = MoneyPolicy(payment_terms={"2% 10, net 30": "Net 30"})
    assert sales_term_ref(CA, mapped, {"paymenttermscode": 2}) == {"value": "1", "name": "Net 30"}
    assert sales_term_ref(CA, MoneyPolicy(), {"paymenttermscode": 3}) is None  # Net 45: no such QuickBooks term
    assert sales_term_ref(CA, MoneyPolicy(), {}) is None
    out = dress_transaction(body(), CA, MoneyPolicy(), items={}, header={"paymenttermscode": 1})
    assert out["SalesTermRef"] == {"value": "1", "name": "Net 30"}
