"""Conformance: home currency, multicurrency, customers' currencies and transactions in them.

MC = https://developer.intuit.com/app/developer/qbo/docs/workflows/manage-multiple-currencies
CUSTOMER = https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/customer
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.sandbox.conftest import Qbo, qbo_for
from tests.sandbox.quickbooks.money_helpers import books, company, customer, fault, invoice, pay_line, read

__all__ = ["books"]


@pytest.fixture
async def multi() -> AsyncIterator[Qbo]:
    sandbox, http = await company(qbo_multicurrency=True)
    async with http:
        yield qbo_for(sandbox, http)


async def test_multicurrency_is_off_by_default(books: Qbo) -> None:
    # MC: "By default, multicurrency is disabled in a QuickBooks company."
    prefs = (await books.get("preferences")).json()["Preferences"]["CurrencyPrefs"]
    assert prefs == {"MultiCurrencyEnabled": False, "HomeCurrency": {"value": "USD"}}


async def test_customer_currency_defaults_to_the_home_currency(books: Qbo) -> None:
    # CUSTOMER CurrencyRef: "If not specified, currency for this customer is the home currency of the company,
    # as defined by Preferences.CurrencyPrefs.HomeCurrency."
    buyer = await customer(books, "Home One")
    assert buyer["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}


async def test_foreign_customer_refused_without_multicurrency(books: Qbo) -> None:
    # MC: multicurrency "must be enabled in order to track transactions with currencies other than the
    # company's home currency" (the fault code is not documented: 6000).
    response = await books.post("customer", {"DisplayName": "Euro Buyer", "CurrencyRef": {"value": "EUR"}})
    assert fault(response)["code"] == "6000"


async def test_foreign_transaction_refused_without_multicurrency(books: Qbo) -> None:
    buyer = await customer(books, "Home Two")
    response = await books.post(
        "payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 5, "CurrencyRef": {"value": "EUR"}}
    )
    assert fault(response)["code"] == "6000"


async def test_multicurrency_preference_and_company_currencies(multi: Qbo) -> None:
    # all-entities/preferences CurrencyPrefs.MultiCurrencyEnabled; all-entities/companycurrency: the currencies
    # the company uses besides its home currency, queryable.
    prefs = (await multi.get("preferences")).json()["Preferences"]["CurrencyPrefs"]
    assert prefs["MultiCurrencyEnabled"] is True and prefs["HomeCurrency"]["value"] == "USD"
    rows = (await multi.query("select * from CompanyCurrency")).json()["QueryResponse"]["CompanyCurrency"]
    assert {r["Code"] for r in rows} == {"CAD", "EUR"} and all(r["Active"] for r in rows)


async def test_new_customer_currency_joins_the_company_list(multi: Qbo) -> None:
    # CUSTOMER CurrencyRef: "If specified currency is not currently in the company's currency list, it is added."
    await customer(multi, "Pound Buyer", CurrencyRef={"value": "GBP"})
    rows = (await multi.query("select * from CompanyCurrency")).json()["QueryResponse"]["CompanyCurrency"]
    assert "GBP" in {r["Code"] for r in rows}


async def test_customer_currency_cannot_change(multi: Qbo) -> None:
    # CUSTOMER CurrencyRef: "Once set, it cannot be changed." MC: "Once configured, it cannot be changed."
    buyer = await customer(multi, "Euro One", CurrencyRef={"value": "EUR"})
    response = await multi.post(
        "customer",
        {"Id": buyer["Id"], "SyncToken": buyer["SyncToken"], "sparse": True, "CurrencyRef": {"value": "CAD"}},
    )
    assert fault(response)["code"] == "6000"
    assert (await read(multi, "Customer", buyer["Id"]))["CurrencyRef"]["value"] == "EUR"


async def test_transaction_in_the_customers_currency_with_rate_and_home_total(multi: Qbo) -> None:
    # MC: CurrencyRef "in which all amounts on the associated transaction are expressed"; ExchangeRate "the
    # number of home currency units it takes to equal one foreign currency unit"; HomeTotalAmt "calculated by
    # QuickBooks business logic". The sandbox's EUR rate is 1.08 (seed_region.py).
    buyer = await customer(multi, "Euro Two", CurrencyRef={"value": "EUR"})
    made = await invoice(multi, buyer["Id"], "100.00")
    assert made["CurrencyRef"]["value"] == "EUR" and made["ExchangeRate"] == 1.08
    assert made["HomeTotalAmt"] == 108 and made["TotalAmt"] == 100
    given = await invoice(multi, buyer["Id"], "100.00", CurrencyRef={"value": "EUR"}, ExchangeRate=1.1)
    assert given["HomeTotalAmt"] == 110


async def test_transaction_currency_must_be_the_customers(multi: Qbo) -> None:
    # MC / apideck gotchas: foreign currencies can only be used with names configured with that currency.
    buyer = await customer(multi, "Euro Three", CurrencyRef={"value": "EUR"})
    response = await multi.post(
        "payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 5, "CurrencyRef": {"value": "CAD"}}
    )
    error = fault(response)
    assert error["code"] == "6000" and error["element"] == "CurrencyRef"
    assert error["Detail"] == (
        "Business Validation Error: The transaction needs to be in the same currency as the A/R and A/P accounts "
        "you use."
    )


async def test_payment_of_a_foreign_invoice(multi: Qbo) -> None:
    # all-entities/payment CurrencyRef: "Required if multicurrency is enabled" - the sandbox takes the
    # customer's currency when it is omitted; the invoice balance falls in its own currency.
    buyer = await customer(multi, "Euro Four", CurrencyRef={"value": "EUR"})
    made = await invoice(multi, buyer["Id"], "100.00")
    payment = await multi.create(
        "Payment", {"CustomerRef": {"value": buyer["Id"]}, "TotalAmt": 60, "Line": [pay_line("60", made["Id"])]}
    )
    assert payment["CurrencyRef"]["value"] == "EUR"
    assert (await read(multi, "Invoice", made["Id"]))["Balance"] == 40


async def test_aging_report_is_in_the_home_currency(multi: Qbo) -> None:
    # report-entities/aragingsummary Header.Currency: the report's currency (the home currency); a foreign
    # balance is converted at its transaction's exchange rate.
    buyer = await customer(multi, "Euro Five", CurrencyRef={"value": "EUR"})
    await invoice(multi, buyer["Id"], "100.00")
    body = (await multi.get("reports/AgedReceivables", customer=buyer["Id"])).json()
    assert body["Header"]["Currency"] == "USD"
    assert body["Rows"]["Row"][0]["ColData"][-1]["value"] == "108.00"


async def test_multicurrency_switch_through_the_control_api(books: Qbo) -> None:
    # MC: "Multicurrency is enabled from the QuickBooks Online UI, only. It cannot be enabled via the API" and
    # "cannot be disabled once it's been enabled": the sandbox's control API plays the UI.
    response = await books.http.post("/_sandbox/qbo/multicurrency")
    assert response.status_code == 200, response.text
    prefs = (await books.get("preferences")).json()["Preferences"]
    assert prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] is True
    back_off = {"SyncToken": prefs["SyncToken"], "CurrencyPrefs": {"MultiCurrencyEnabled": False}}
    assert fault(await books.post("preferences", back_off))["code"] == "6000"


async def test_exchange_rate_read_by_currency_and_date(multi: Qbo) -> None:
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/exchangerate "Read":
    # GET /exchangerate?sourcecurrencycode=<code>[&asofdate=<date>]; TargetCurrencyCode is the home currency.
    response = await multi.get("exchangerate", sourcecurrencycode="EUR", asofdate="2025-06-30")
    assert response.status_code == 200, response.text
    rate = response.json()["ExchangeRate"]
    assert rate["SourceCurrencyCode"] == "EUR" and rate["TargetCurrencyCode"] == "USD"
    assert rate["Rate"] == 1.08 and rate["AsOfDate"] == "2024-01-01"
    assert fault(await multi.get("exchangerate"))["code"] == "2020"
