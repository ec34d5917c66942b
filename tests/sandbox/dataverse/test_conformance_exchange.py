"""Conformance: a record's exchange rate and base-currency money values, stamped by the platform on save.

CURRENCY = https://learn.microsoft.com/power-apps/developer/data-platform/transaction-currency-currency-entity
ACCOUNT = https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/account#BKMK_ExchangeRate
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from inolink_tui.sandbox.dataverse.schema_currency import SEEDED_CURRENCIES, seed_currencies
from tests.sandbox.dataverse.harness import Sandbox, in_process

pytestmark = pytest.mark.asyncio(loop_scope="module")
RATES = {code: float(rate) for code, _name, _symbol, rate in SEEDED_CURRENCIES}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sb() -> AsyncIterator[tuple[Sandbox, dict[str, str]]]:
    async with in_process() as sandbox:
        yield sandbox, seed_currencies(sandbox.state)


async def _read(sandbox: Sandbox, account: str) -> dict[str, object]:
    response = await sandbox.get(
        f"accounts({account})?$select=creditlimit,creditlimit_base,revenue_base,exchangerate,_transactioncurrencyid_value"
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_record_takes_its_currency_rate_and_base_values(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # ACCOUNT: exchangerate "Shows the conversion rate of the record's currency"; CURRENCY: each money column has a
    # read-only `_base`, `creditlimit_base = creditlimit / exchangerate`.
    sandbox, ids = sb
    account = await sandbox.create(
        "accounts",
        {
            "name": f"fx {uuid.uuid4().hex[:6]}",
            "creditlimit": 1000,
            "transactioncurrencyid@odata.bind": f"/transactioncurrencies({ids['EUR']})",
        },
    )
    row = await _read(sandbox, account)
    assert row["exchangerate"] == RATES["EUR"]
    assert row["creditlimit_base"] == pytest.approx(1000 / RATES["EUR"], abs=1e-4)
    assert row["revenue_base"] is None


async def test_changing_the_currency_restamps_rate_and_base(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # CURRENCY: the base value follows the record's currency and rate.
    sandbox, ids = sb
    account = await sandbox.create(
        "accounts",
        {
            "name": "fx two",
            "creditlimit": 500,
            "transactioncurrencyid@odata.bind": f"/transactioncurrencies({ids['EUR']})",
        },
    )
    patched = await sandbox.patch(
        f"accounts({account})", {"transactioncurrencyid@odata.bind": f"/transactioncurrencies({ids['GBP']})"}
    )
    assert patched.status_code == 204, patched.text
    row = await _read(sandbox, account)
    assert row["_transactioncurrencyid_value"] == ids["GBP"] and row["exchangerate"] == RATES["GBP"]
    assert row["creditlimit_base"] == pytest.approx(500 / RATES["GBP"], abs=1e-4)


async def test_money_without_a_currency_gets_the_base_currency(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # CURRENCY: "the base currency is the currency in which other currencies are quoted"; a record saved with money
    # and no currency takes the default (base) currency, rate 1 (vague in the docs: see exchange.py).
    sandbox, ids = sb
    account = await sandbox.create("accounts", {"name": "fx three", "creditlimit": 250})
    row = await _read(sandbox, account)
    assert row["_transactioncurrencyid_value"] == ids["USD"] and row["exchangerate"] == 1
    assert row["creditlimit_base"] == 250


async def test_exchange_rate_and_base_values_cannot_be_written(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # ACCOUNT: ExchangeRate is valid for neither create nor update; CURRENCY: `_base` columns are read-only and
    # system calculated.
    sandbox, ids = sb
    account = await sandbox.create(
        "accounts",
        {
            "name": "fx four",
            "creditlimit": 100,
            "exchangerate": 5,
            "creditlimit_base": 1,
            "transactioncurrencyid@odata.bind": f"/transactioncurrencies({ids['CAD']})",
        },
    )
    row = await _read(sandbox, account)
    assert row["exchangerate"] == RATES["CAD"]
    assert row["creditlimit_base"] == pytest.approx(100 / RATES["CAD"], abs=1e-4)


async def test_a_later_rate_change_waits_for_the_next_money_write(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # Vague in the docs (exchange.py): the record keeps the rate it was saved with until money is written again.
    sandbox, _ids = sb
    aud = await sandbox.create(
        "transactioncurrencies",
        {"currencyname": "Test Dollar", "isocurrencycode": "TSD", "currencysymbol": "T$", "exchangerate": 2},
    )
    account = await sandbox.create(
        "accounts",
        {"name": "fx five", "creditlimit": 10, "transactioncurrencyid@odata.bind": f"/transactioncurrencies({aud})"},
    )
    assert (await sandbox.patch(f"transactioncurrencies({aud})", {"exchangerate": 4})).status_code == 204
    await sandbox.patch(f"accounts({account})", {"name": "fx five renamed"})
    assert (await _read(sandbox, account))["exchangerate"] == 2
    await sandbox.patch(f"accounts({account})", {"creditlimit": 20})
    row = await _read(sandbox, account)
    assert row["exchangerate"] == 4 and row["creditlimit_base"] == 5


async def test_base_columns_are_described_as_read_only_money(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # CURRENCY: "a corresponding read-only, system calculated, money attribute"; the metadata says so.
    sandbox, _ids = sb
    response = await sandbox.get(
        "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='creditlimit_base')"
        "?$select=AttributeType,IsValidForCreate,IsValidForUpdate"
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["AttributeType"] == "Money"
    assert body["IsValidForCreate"] is False and body["IsValidForUpdate"] is False


async def test_selecting_money_brings_the_currency_along(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # Learn "Create with data returned" / "Update with data returned" samples: `$select=...,revenue,...` answers
    # `_transactioncurrencyid_value` too; a record saved with money has the base currency when none was given.
    sandbox, ids = sb
    response = await sandbox.post(
        "accounts?$select=name,revenue", {"name": "fx six", "revenue": 5}, Prefer="return=representation"
    )
    assert response.status_code == 201, response.text
    assert response.json()["_transactioncurrencyid_value"] == ids["USD"]
    plain = await sandbox.get(f"accounts({response.json()['accountid']})?$select=name")
    assert "_transactioncurrencyid_value" not in plain.json()


async def test_money_is_formatted_with_the_records_currency_symbol(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # Learn "Select columns using OData", Formatted values: "Currency values with currency symbols"; the sample
    # formats `revenue` 20000 of a US Dollar record as "$20,000.00" and names the currency "US Dollar".
    sandbox, ids = sb
    account = await sandbox.create(
        "accounts",
        {
            "name": "fx seven",
            "revenue": 20000,
            "transactioncurrencyid@odata.bind": f"/transactioncurrencies({ids['EUR']})",
        },
    )
    prefer = 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"'
    body = (await sandbox.get(f"accounts({account})?$select=name,revenue", Prefer=prefer)).json()
    assert body["revenue@OData.Community.Display.V1.FormattedValue"] == "€20,000.00"
    assert body["_transactioncurrencyid_value@OData.Community.Display.V1.FormattedValue"] == "Euro"


async def test_exchange_rate_metadata_is_the_documented_column(sb: tuple[Sandbox, dict[str, str]]) -> None:
    # ACCOUNT (ExchangeRate): Decimal, MinValue 1E-12, MaxValue 100000000000, Precision 12, valid for neither create
    # nor update.
    sandbox, _ids = sb
    response = await sandbox.get(
        "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='exchangerate')"
        "?$select=AttributeType,Precision,MinValue,MaxValue,IsValidForCreate,IsValidForUpdate"
    )
    body = response.json()
    assert (body["AttributeType"], body["Precision"], body["MaxValue"]) == ("Decimal", 12, 100000000000)
    assert body["MinValue"] == pytest.approx(1e-12)
    assert body["IsValidForCreate"] is False and body["IsValidForUpdate"] is False
