"""Issue 16 item 4 (currency) over the in-process sandbox, a multicurrency company (one stack for the module): a
CRM account in euros becomes a QuickBooks customer in euros, and its invoice goes in euros with QuickBooks' own
exchange rate for the day."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.enums import EntityType, LinkStatus, RecordLinkStatus
from tests.engine.sandbox_stack import Stack, stack

pytestmark = [pytest.mark.timeout(180), pytest.mark.asyncio(loop_scope="module")]
TO_BE_LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.TO_BE_LINKED]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def s(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stack]:
    async with stack(Path(tmp_path_factory.mktemp("currency")), records=16, qbo_multicurrency=True) as s:
        yield s


def currency_id(s: Stack, code: str) -> str:
    return str(
        next(r for r in s.dv.rows("transactioncurrencies") if r["isocurrencycode"] == code)["transactioncurrencyid"]
    )


async def test_a_euro_account_and_its_invoice_go_to_quickbooks_in_euros(s: Stack) -> None:
    accounts = {r["accountid"]: r for r in s.dv.rows("accounts")}
    invoice = next(
        r
        for r in s.dv.rows("invoices")
        if r.get("ino_linkstatus") == TO_BE_LINKED and str(r.get("_customerid_value")) in accounts
    )
    account_id = str(invoice["_customerid_value"])
    # The account is new to QuickBooks (a name no customer has), promoted, and kept in euros in CRM.
    s.dv.update_row(
        "accounts",
        account_id,
        {
            "name": "Eurozone Garden Supplies",
            "ino_linkstatus": TO_BE_LINKED,
            "ino_accountingid": None,
            "transactioncurrencyid@odata.bind": f"/transactioncurrencies({currency_id(s, 'EUR')})",
        },
    )
    today_rate = next(
        r["Rate"]
        for r in s.qbo.all("ExchangeRate")
        if r["SourceCurrencyCode"] == "EUR" and r["AsOfDate"] == s.qbo.today()
    )
    await s.run_once()
    jobs = await s.jobs()
    mine = {
        j.entity_type: j for j in jobs if j.crm_record_id.lower() in (account_id.lower(), str(invoice["invoiceid"]))
    }
    account_job = mine[EntityType.ACCOUNT]
    assert account_job.link_status is LinkStatus.SUCCESS, account_job.error_description
    customer = s.qbo.get("Customer", str(account_job.accounting_id))
    assert customer["CurrencyRef"]["value"] == "EUR"
    invoice_job = mine[EntityType.INVOICE]
    assert invoice_job.link_status is LinkStatus.SUCCESS, invoice_job.error_description
    pushed: dict[str, Any] = s.qbo.get("Invoice", str(invoice_job.accounting_id))
    assert pushed["CurrencyRef"]["value"] == "EUR"
    assert float(pushed["ExchangeRate"]) == pytest.approx(float(today_rate))
    assert float(pushed["HomeTotalAmt"]) == pytest.approx(float(pushed["TotalAmt"]) * float(today_rate), abs=0.01)


async def test_a_quickbooks_customer_in_euros_becomes_a_crm_account_in_euros(s: Stack) -> None:
    await s.run_once()  # the cursors start
    made = s.qbo.create(
        "Customer",
        {"DisplayName": "Rhine Nurseries GmbH", "CompanyName": "Rhine Nurseries GmbH", "CurrencyRef": {"value": "EUR"}},
    )
    await s.run_once()  # CDC reports the new customer: a QuickBooks -> CRM job creates the account
    row = next(r for r in s.dv.rows("accounts") if r.get("ino_accountingid") == made["Id"])
    assert row["name"] == "Rhine Nurseries GmbH"
    assert row["_transactioncurrencyid_value"] == currency_id(s, "EUR")
