"""Conformance: Preferences, the small name lists client libraries read, and voiding, over HTTP.

One documented behaviour per test, each with the page it comes from, written from Intuit's API reference
with plain httpx requests against the in-process sandbox.
"""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import Qbo


async def _rows(qbo: Qbo, text: str, entity: str) -> list[dict[str, Any]]:
    response = await qbo.query(text)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["QueryResponse"].get(entity, [])
    return rows


async def test_preferences_read(qbo: Qbo) -> None:
    # https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/preferences
    # "Read": GET /v3/company/<realmID>/preferences answers {"Preferences": {...}, "time": ...}.
    response = await qbo.get("preferences")
    assert response.status_code == 200
    prefs = response.json()["Preferences"]
    assert prefs["Id"] == "1" and prefs["SyncToken"] == "0" and set(prefs["MetaData"]) >= {"CreateTime"}
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "USD"
    assert isinstance(prefs["SalesFormsPrefs"]["CustomTxnNumbers"], bool)


async def test_preferences_query(qbo: Qbo) -> None:
    # .../preferences "Query": select * from Preferences returns the one record in QueryResponse.
    rows = await _rows(qbo, "select * from Preferences", "Preferences")
    assert [r["Id"] for r in rows] == ["1"]


async def test_preferences_update_merges_the_sections_sent(qbo: Qbo) -> None:
    # .../preferences "Update": the request names the sections to change with the current SyncToken;
    # the answer carries SyncToken + 1 and keeps the other settings.
    before = (await qbo.get("preferences")).json()["Preferences"]
    body = {"SyncToken": before["SyncToken"], "SalesFormsPrefs": {"AllowDeposit": True}}
    response = await qbo.post("preferences", body)
    assert response.status_code == 200, response.text
    after = response.json()["Preferences"]
    assert after["SyncToken"] == "1" and after["SalesFormsPrefs"]["AllowDeposit"] is True
    assert after["SalesFormsPrefs"]["AllowEstimates"] == before["SalesFormsPrefs"]["AllowEstimates"]
    assert after["CurrencyPrefs"] == before["CurrencyPrefs"]
    stale = await qbo.post("preferences", body)
    assert stale.status_code == 400 and stale.json()["Fault"]["Error"][0]["code"] == "5010"


async def test_payment_methods_read_query_and_create(qbo: Qbo) -> None:
    # .../all-entities/paymentmethod: query lists the company's methods, each Type CREDIT_CARD or
    # NON_CREDIT_CARD; a create with only a Name answers Type NON_CREDIT_CARD, Active true.
    rows = await _rows(qbo, "select * from PaymentMethod", "PaymentMethod")
    assert {r["Type"] for r in rows} == {"CREDIT_CARD", "NON_CREDIT_CARD"} and "Visa" in {r["Name"] for r in rows}
    created = await qbo.create("PaymentMethod", {"Name": "Business Check"})
    assert created["Type"] == "NON_CREDIT_CARD" and created["Active"] is True
    read = (await qbo.get(f"paymentmethod/{created['Id']}")).json()["PaymentMethod"]
    assert read["Name"] == "Business Check"


async def test_class_and_subclass(qbo: Qbo) -> None:
    # .../all-entities/class: ParentRef "Required if this object is a subclass"; FullyQualifiedName takes
    # the form Parent:Class1:SubClass1; SubClass true for a subclass.
    parent = await qbo.create("Class", {"Name": "InternalCafe"})
    assert parent["SubClass"] is False and parent["FullyQualifiedName"] == "InternalCafe"
    child = await qbo.create("Class", {"Name": "InternalParts", "ParentRef": {"value": parent["Id"]}})
    assert child["SubClass"] is True and child["FullyQualifiedName"] == "InternalCafe:InternalParts"
    orphan = await qbo.post("class", {"Name": "Orphan", "SubClass": True})
    assert orphan.status_code == 400 and orphan.json()["Fault"]["Error"][0]["code"] == "2020"
    rows = await _rows(qbo, "select * from Class where Name like 'Internal%'", "Class")
    assert {r["Name"] for r in rows} == {"InternalCafe", "InternalParts"}


async def test_department_read_and_query(qbo: Qbo) -> None:
    # .../all-entities/department: Department objects are read by Id and queried like any name list.
    rows = await _rows(qbo, "select * from Department", "Department")
    assert rows, "the seeded company has departments"
    read = (await qbo.get(f"department/{rows[0]['Id']}")).json()["Department"]
    assert read["Name"] == rows[0]["Name"] and read["SubDepartment"] is False


async def test_term_and_taxcode_read(qbo: Qbo) -> None:
    # .../all-entities/term and .../all-entities/taxcode: both are read by Id and queried.
    terms = await _rows(qbo, "select * from Term", "Term")
    assert "Net 30" in {t["Name"] for t in terms}
    codes = await _rows(qbo, "select * from TaxCode", "TaxCode")
    assert {"TAX", "NON"} <= {c["Id"] for c in codes}


async def test_tax_rate_is_read_only(qbo: Qbo) -> None:
    # .../all-entities/taxrate: TaxRate is read and queried through the Accounting API; rates are created
    # through the TaxService entity, so a POST to /taxrate is not a supported operation (Fault 500).
    rows = await _rows(qbo, "select * from TaxRate", "TaxRate")
    assert rows and all("RateValue" in r for r in rows)
    read = (await qbo.get(f"taxrate/{rows[0]['Id']}")).json()["TaxRate"]
    assert read["Name"] == rows[0]["Name"]
    refused = await qbo.post("taxrate", {"Name": "New rate", "RateValue": 5})
    assert refused.status_code == 400 and refused.json()["Fault"]["Error"][0]["code"] == "500"


async def test_void_prepends_voided_to_the_private_note(qbo: Qbo) -> None:
    # .../most-commonly-used/invoice "Void an invoice": "all amounts and quantities are zeroed and the
    # string, Voided, is injected into Invoice.PrivateNote, prepended to existing text if present."
    customer = await qbo.create("Customer", {"DisplayName": "Void Me"})
    item = next(i["Id"] for i in qbo.sandbox.qbo.all("Item") if i["Name"] == "Services")
    invoice = await qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "PrivateNote": "Order 42",
            "Line": [
                {
                    "Amount": 20,
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {"ItemRef": {"value": item}, "Qty": 2, "UnitPrice": 10},
                }
            ],
        },
    )
    response = await qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]}, operation="void")
    voided = response.json()["Invoice"]
    assert voided["PrivateNote"].startswith("Voided") and voided["PrivateNote"].endswith("Order 42")
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0
    assert voided["Line"][0]["SalesItemLineDetail"]["Qty"] == 0


async def test_credit_memo_needs_customer_and_lines_and_keeps_its_credit(qbo: Qbo) -> None:
    # .../all-entities/creditmemo: CustomerRef and Line are required; TotalAmt, Balance and RemainingCredit
    # are read-only and computed (the credit stays whole until applied).
    item = next(i["Id"] for i in qbo.sandbox.qbo.all("Item") if i["Name"] == "Services")
    line = {"Amount": 15, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": item}}}
    missing = await qbo.post("creditmemo", {"Line": [line]})
    assert missing.status_code == 400 and missing.json()["Fault"]["Error"][0]["element"] == "CustomerRef"
    customer = await qbo.create("Customer", {"DisplayName": "Credit Me"})
    memo = await qbo.create(
        "CreditMemo", {"CustomerRef": {"value": customer["Id"]}, "Line": [line], "TotalAmt": 999, "RemainingCredit": 1}
    )
    assert memo["TotalAmt"] == 15 and memo["Balance"] == 15 and memo["RemainingCredit"] == 15
