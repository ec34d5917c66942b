"""Conformance: sales tax in a US company and in non-US ones (tax codes readable, required on every line).

US = https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-us-locales
NON_US = https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-sales-tax-for-non-us-locales
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sandbox.conftest import Qbo, qbo_for
from tests.sandbox.quickbooks.money_helpers import books, company, customer, fault, item_id, sales_line

__all__ = ["books"]


@pytest.fixture(params=["CA", "UK", "AU"])
async def abroad(request: pytest.FixtureRequest) -> AsyncIterator[Qbo]:
    sandbox, http = await company(qbo_region=request.param)
    async with http:
        yield qbo_for(sandbox, http)


async def test_us_preferences_say_the_company_uses_sales_tax(books: Qbo) -> None:
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences TaxPrefs:
    # UsingSalesTax, and the default tax group (the seeded California code).
    prefs = (await books.get("preferences")).json()["Preferences"]
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True and prefs["TaxPrefs"]["TaxGroupCodeRef"]["value"] == "2"


async def test_us_line_default_tax_code_follows_the_item(books: Qbo) -> None:
    # US: a line is TAX or NON; QuickBooks fills it from the item's Taxable flag when it is omitted.
    buyer = await customer(books, "Tax One")
    taxable = await books.create(
        "Item", {"Name": "Taxed Widget", "Type": "Service", "Taxable": True, "IncomeAccountRef": {"value": "2"}}
    )
    invoice = await books.create(
        "Invoice",
        {
            "CustomerRef": {"value": buyer["Id"]},
            "Line": [sales_line(taxable["Id"], "10.00"), sales_line(await item_id(books), "5.00")],
        },
    )
    codes = [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in invoice["Line"] if "SalesItemLineDetail" in ln]
    assert codes == ["TAX", "NON"]


async def test_us_line_tax_code_other_than_tax_or_non_is_6100(books: Qbo) -> None:
    # https://stackoverflow.com/questions/30780062 (a captured answer): 6100 "Invalid Line TaxCode in the
    # request", "Valid line TaxCodes for US should be TAX or NON. Supplied value: 8".
    buyer = await customer(books, "Tax Two")
    line = sales_line(await item_id(books), "10.00", TaxCodeRef={"value": "2"})
    error = fault(await books.post("invoice", {"CustomerRef": {"value": buyer["Id"]}, "Line": [line]}))
    assert error["code"] == "6100" and error["element"] == "Line.SalesItemLineDetail.TaxCodeRef"
    assert error["Detail"] == "Valid line TaxCodes for US should be TAX or NON. Supplied value: 2"


async def test_us_txn_tax_code_computes_the_tax(books: Qbo) -> None:
    # US: TxnTaxDetail.TxnTaxCodeRef names the rate (the seeded California code, 8 %); QuickBooks computes
    # TotalTax on the TAX lines only and adds it to TotalAmt.
    buyer = await customer(books, "Tax Three")
    service = await item_id(books)
    invoice = await books.create(
        "Invoice",
        {
            "CustomerRef": {"value": buyer["Id"]},
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
            "Line": [
                sales_line(service, "100.00", TaxCodeRef={"value": "TAX"}),
                sales_line(service, "50.00", TaxCodeRef={"value": "NON"}),
            ],
        },
    )
    assert invoice["TxnTaxDetail"]["TotalTax"] == 8 and invoice["TotalAmt"] == 158
    tax_line = invoice["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]
    assert tax_line["TaxPercent"] == 8 and tax_line["NetAmountTaxable"] == 100


async def test_tax_codes_are_readable_by_query(books: Qbo) -> None:
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/taxcode: "Query".
    response = await books.query("select * from TaxCode")
    names = {code["Name"] for code in response.json()["QueryResponse"]["TaxCode"]}
    assert {"TAX", "NON", "California"} <= names


async def test_non_us_company_has_its_own_codes_and_currency(abroad: Qbo) -> None:
    # NON_US: tax codes made of the region's rates; no US TAX / NON codes. Home currency is the region's.
    response = await abroad.query("select * from TaxCode")
    codes = response.json()["QueryResponse"]["TaxCode"]
    assert codes and not {"TAX", "NON"} & {c["Name"] for c in codes}
    assert all(c["SalesTaxRateList"]["TaxRateDetail"] for c in codes)
    prefs = (await abroad.get("preferences")).json()["Preferences"]
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] in ("CAD", "GBP", "AUD")
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True


async def test_non_us_line_without_a_tax_code_is_refused(abroad: Qbo) -> None:
    # NON_US: "For each sales item line subject to sales tax, set its SalesItemLineDetail.TaxCodeRef". The fault
    # is not in Intuit's reference; integrators report 6000 "Make sure all your transactions have a GST/HST rate
    # before you save." (ww3.autotask.net KB360030193511).
    buyer = await customer(abroad, "Abroad One")
    line = sales_line(await item_id(abroad), "10.00")
    error = fault(await abroad.post("invoice", {"CustomerRef": {"value": buyer["Id"]}, "Line": [line]}))
    assert error["code"] == "6000" and "Make sure all your transactions have a" in error["Detail"]


async def test_non_us_line_tax_code_computes_the_tax(abroad: Qbo) -> None:
    # NON_US: "QuickBooks Online automatically calculates tax and returns the amount in the
    # TxnTaxDetail.TotalTax attribute of the transaction based on the TaxCode assigned to each line."
    buyer = await customer(abroad, "Abroad Two")
    rows = (await abroad.query("select * from TaxCode")).json()["QueryResponse"]["TaxCode"]
    standard = rows[0]
    rate_id = standard["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"]
    percent = (await abroad.get(f"taxrate/{rate_id}")).json()["TaxRate"]["RateValue"]
    line = sales_line(await item_id(abroad), "200.00", TaxCodeRef={"value": standard["Id"]})
    invoice = await abroad.create("Invoice", {"CustomerRef": {"value": buyer["Id"]}, "Line": [line]})
    assert invoice["TxnTaxDetail"]["TotalTax"] == 2 * percent
    assert invoice["TotalAmt"] == 200 + 2 * percent
    assert invoice["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == standard["Id"]


async def test_non_us_unknown_tax_code_is_an_invalid_reference(abroad: Qbo) -> None:
    # reference §11: a reference to a record that does not exist is 2500 "Invalid Reference Id".
    buyer = await customer(abroad, "Abroad Three")
    line = sales_line(await item_id(abroad), "10.00", TaxCodeRef={"value": "999"})
    assert (
        fault(await abroad.post("invoice", {"CustomerRef": {"value": buyer["Id"]}, "Line": [line]}))["code"] == "2500"
    )


async def test_non_us_seeded_invoices_all_carry_tax_codes(abroad: Qbo) -> None:
    # The seeded company obeys its own rules: every sales line of every seeded invoice names a tax code.
    invoices = abroad.sandbox.qbo.all("Invoice")
    assert invoices
    for invoice in invoices:
        for line in invoice["Line"]:
            if "SalesItemLineDetail" in line:
                assert line["SalesItemLineDetail"]["TaxCodeRef"]["value"]


async def test_non_us_names_are_in_the_home_currency(abroad: Qbo) -> None:
    # manage-multiple-currencies: "When multicurrency is enabled, all objects are, by default, in the home
    # currency" (and without it there is no other); a Canadian company's customers are in CAD.
    buyer = await customer(abroad, "Abroad Four")
    home = (await abroad.get("preferences")).json()["Preferences"]["CurrencyPrefs"]["HomeCurrency"]["value"]
    assert buyer["CurrencyRef"]["value"] == home != "USD"
    vendor = await abroad.create("Vendor", {"DisplayName": "Abroad Vendor"})
    assert vendor["CurrencyRef"]["value"] == home


def test_region_option_is_checked() -> None:
    # a sandbox option, not a QuickBooks behaviour: an unknown region is a clear error
    from inolink_tui.sandbox.options import SandboxOptions

    with pytest.raises(ValueError, match="qbo_region"):
        SandboxOptions(qbo_region="FR")
