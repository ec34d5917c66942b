"""Issue 16 items 3 and 4 end to end: the engine, the connectors and the in-process sandbox over real HTTP.

- a non-US company (CA, UK) needs a tax code on every sales line: with `[sync] default_tax_code` every pushed
  transaction carries one QuickBooks lists and is accepted; without it the jobs say which setting to set;
- a multicurrency company gets each transaction in its customer's currency;
- a customer made inactive in QuickBooks ends inactive in CRM; an account deactivated in CRM makes its
  QuickBooks customer inactive (refused, with the reason, while it has an open balance).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.crm_schema import DEFAULT_LINK_STATUS_OPTIONS as CRM_LINK_STATUS_OPTION
from inolink_tui.domain.enums import (
    CRM_ENTITY_SET_FOR,
    EntityType,
    ErrorClass,
    LinkStatus,
    RecordLinkStatus,
    Source,
)
from inolink_tui.domain.jobs import LinkJob
from tests.engine.sandbox_stack import Stack, stack

pytestmark = pytest.mark.timeout(180)
LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.LINKED]
TO_BE_LINKED = CRM_LINK_STATUS_OPTION[RecordLinkStatus.TO_BE_LINKED]
TRANSACTIONS = (EntityType.QUOTE, EntityType.ORDER, EntityType.INVOICE)


def pushed_documents(s: Stack, jobs: list[LinkJob]) -> list[dict[str, Any]]:
    out = []
    for job in jobs:
        if job.source is Source.CRM and job.entity_type in TRANSACTIONS and job.link_status is LinkStatus.SUCCESS:
            entity = "Estimate" if job.entity_type is EntityType.QUOTE else "Invoice"
            out.append(s.qbo.get(entity, str(job.accounting_id)))
    return out


@pytest.mark.parametrize(("region", "code"), [("CA", "GST"), ("UK", "20.0% S")])
async def test_every_pushed_transaction_in_a_non_us_company_carries_a_valid_tax_code(
    tmp_path: Path, region: str, code: str
) -> None:
    async with stack(tmp_path, qbo_region=region, sync=f'default_tax_code = "{code}"') as s:
        await s.run_once()
        jobs = await s.jobs()
        documents = pushed_documents(s, jobs)
        assert len(documents) >= 3, [(j.entity_type, j.link_status, j.error_description) for j in jobs]
        tax_codes = {c["Id"]: c["Name"] for c in s.qbo.all("TaxCode")}
        for document in documents:
            lines = [ln for ln in document["Line"] if "SalesItemLineDetail" in ln]
            assert lines
            for line in lines:
                assert tax_codes[line["SalesItemLineDetail"]["TaxCodeRef"]["value"]] == code
            if any(float(ln["Amount"]) > 0 for ln in lines):
                assert float(document["TxnTaxDetail"]["TotalTax"]) > 0  # QuickBooks computed tax from the code
        failed = [j for j in jobs if j.entity_type in TRANSACTIONS and j.link_status is LinkStatus.ERROR]
        assert not [j for j in failed if "tax" in (j.error_description or "").lower()], failed


async def test_without_a_tax_code_setting_the_jobs_name_it_and_nothing_is_created(tmp_path: Path) -> None:
    async with stack(tmp_path, qbo_region="CA") as s:
        await s.run_once()
        jobs = await s.jobs()
        failed = [j for j in jobs if j.entity_type in TRANSACTIONS and j.link_status is LinkStatus.ERROR]
        about_tax = [j for j in failed if "default_tax_code" in (j.error_description or "")]
        assert about_tax and all(j.error_class is ErrorClass.VALIDATION for j in about_tax)
        assert "GST" in (about_tax[0].error_description or "")
        assert not pushed_documents(s, jobs)
        assert not s.qbo.all("Invoice") or all(
            "SalesItemLineDetail" not in ln or ln["SalesItemLineDetail"].get("TaxCodeRef")
            for inv in s.qbo.all("Invoice")
            for ln in inv["Line"]
        )


async def test_multicurrency_company_gets_transactions_in_the_customer_currency(tmp_path: Path) -> None:
    async with stack(tmp_path, qbo_multicurrency=True) as s:
        # A promoted CRM invoice whose account is linked (as InoLink would have left it) to a customer in euros.
        invoice = next(
            r
            for r in s.dv.rows(CRM_ENTITY_SET_FOR[EntityType.INVOICE])
            if r.get("ino_linkstatus") == TO_BE_LINKED and r.get("_customerid_value")
        )
        account = s.dv.get_row("accounts", str(invoice["_customerid_value"]))
        customer = s.qbo.create("Customer", {"DisplayName": f"{account['name']} EUR", "CurrencyRef": {"value": "EUR"}})
        s.dv.update_row(
            "accounts", account["accountid"], {"ino_linkstatus": LINKED, "ino_accountingid": customer["Id"]}
        )
        await s.run_once()
        jobs = await s.jobs()
        mine = next(j for j in jobs if j.crm_record_id.lower() == str(invoice["invoiceid"]).lower())
        assert mine.link_status is LinkStatus.SUCCESS, mine.error_description
        pushed = s.qbo.get("Invoice", str(mine.accounting_id))
        assert pushed["CustomerRef"]["value"] == customer["Id"]
        assert pushed["CurrencyRef"]["value"] == "EUR"
        assert float(pushed["ExchangeRate"]) == pytest.approx(1.08)
        assert float(pushed["HomeTotalAmt"]) == pytest.approx(float(pushed["TotalAmt"]) * 1.08, abs=0.01)
        home = [d for d in pushed_documents(s, jobs) if d["CustomerRef"]["value"] != customer["Id"]]
        assert home and all(d["CurrencyRef"]["value"] == "USD" for d in home)
