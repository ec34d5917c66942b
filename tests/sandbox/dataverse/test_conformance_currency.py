"""Conformance: the organization's currencies and the stock currency and payment terms columns, over HTTP.

TC = https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/transactioncurrency
CURRENCY = https://learn.microsoft.com/power-apps/developer/data-platform/transaction-currency-currency-entity
ACCOUNT = https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/account
"""

from __future__ import annotations

import pytest

from tests.sandbox.dataverse.org import served_org


@pytest.mark.parametrize("bare", [False, True])
async def test_currencies_and_the_records_currency_and_terms(bare: bool) -> None:
    async with served_org(bare=bare, records=2) as org:
        # TC: entity set transactioncurrencies, key transactioncurrencyid, primary name currencyname, isocurrencycode;
        # CURRENCY: every organization has its base currency (rate 1) -- a bare org too.
        answer = await org.get("transactioncurrencies?$select=currencyname,isocurrencycode,exchangerate")
        assert answer.status_code == 200, answer.text
        rows = {r["isocurrencycode"]: r for r in answer.json()["value"]}
        assert rows["USD"]["exchangerate"] == 1 and {"EUR", "GBP"} <= set(rows)
        euro = rows["EUR"]["transactioncurrencyid"]
        # ACCOUNT: transactioncurrencyid (lookup to transactioncurrency) and paymenttermscode (Payment Terms choice).
        created = await org.post(
            "accounts",
            {
                "name": "Currency One",
                "transactioncurrencyid@odata.bind": f"/transactioncurrencies({euro})",
                "paymenttermscode": 2,
            },
        )
        account = org.created_id(created)
        read = await org.get(f"accounts({account})?$select=_transactioncurrencyid_value,paymenttermscode")
        assert read.status_code == 200, read.text
        assert read.json()["_transactioncurrencyid_value"] == euro and read.json()["paymenttermscode"] == 2
        options = await org.get(
            "EntityDefinitions(LogicalName='account')/Attributes(LogicalName='paymenttermscode')/"
            "Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$expand=OptionSet"
        )
        assert options.status_code == 200, options.text
        labels = {o["Value"]: o["Label"]["LocalizedLabels"][0]["Label"] for o in options.json()["OptionSet"]["Options"]}
        assert labels == {1: "Net 30", 2: "2% 10, Net 30", 3: "Net 45", 4: "Net 60"}
        refused = await org.post("accounts", {"name": "Currency Two", "paymenttermscode": 9})
        assert refused.status_code == 400, refused.text
        # ACCOUNT: exchangerate is valid for neither create nor update (the platform sets it from the currency).
        ignored = org.created_id(await org.post("accounts", {"name": "Currency Three", "exchangerate": 5}))
        read = await org.get(f"accounts({ignored})?$select=exchangerate")
        assert read.status_code == 200 and read.json()["exchangerate"] is None, read.text
