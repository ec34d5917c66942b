"""QuickBooks Online entity fidelity: envelopes, SyncToken concurrency, updates, names, references."""

from __future__ import annotations

import re
from typing import Any

from tests.sandbox.conftest import Qbo


def fault_code(response: Any) -> str:
    code: str = response.json()["Fault"]["Error"][0]["code"]
    return code


async def test_create_customer_has_the_real_envelope_and_defaults(qbo: Qbo) -> None:
    response = await qbo.post("customer", {"DisplayName": "Envelope Test Co"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json;charset=utf-8"
    assert response.headers["intuit-tid"]
    body = response.json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-07:00", body["time"])
    customer = body["Customer"]
    assert isinstance(customer["Id"], str) and customer["Id"].isdigit()
    assert customer["SyncToken"] == "0"
    assert customer["domain"] == "QBO" and customer["sparse"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-07:00", customer["MetaData"]["CreateTime"])
    assert customer["FullyQualifiedName"] == customer["PrintOnCheckName"] == "Envelope Test Co"
    assert customer["Active"] is True and customer["Taxable"] is True and customer["Job"] is False
    assert customer["Balance"] == 0 and customer["PreferredDeliveryMethod"] == "Print"
    assert customer["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert None not in customer.values()


async def test_read_update_and_stale_synctoken(qbo: Qbo) -> None:
    created = await qbo.create("Customer", {"DisplayName": "Stale Test", "Notes": "first"})
    read = (await qbo.get(f"customer/{created['Id']}")).json()["Customer"]
    assert read["Notes"] == "first"
    sparse = {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "second"}
    response = await qbo.post("customer", sparse)
    updated = response.json()["Customer"]
    assert updated["SyncToken"] == "1" and updated["Notes"] == "second" and updated["sparse"] is False
    stale = await qbo.post("customer", {**sparse, "Notes": "third"})
    assert stale.status_code == 400
    assert stale.headers["content-type"] == "application/json"
    error = stale.json()["Fault"]["Error"][0]
    assert error["code"] == "5010" and error["Message"] == "Stale Object Error"
    assert stale.json()["Fault"]["type"] == "ValidationFault"


async def test_full_update_clears_omitted_fields_and_sparse_keeps_them(qbo: Qbo) -> None:
    created = await qbo.create("Customer", {"DisplayName": "Full Update", "Notes": "keep?", "CompanyName": "FU"})
    sparse = (await qbo.post("customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Notes": "n"})).json()
    assert sparse["Customer"]["CompanyName"] == "FU"
    full = await qbo.post("customer", {"Id": created["Id"], "SyncToken": "1", "DisplayName": "Full Update"})
    customer = full.json()["Customer"]
    assert "Notes" not in customer and "CompanyName" not in customer
    assert customer["SyncToken"] == "2"


async def test_noop_sparse_update_keeps_synctoken_and_time(qbo: Qbo) -> None:
    created = await qbo.create("Customer", {"DisplayName": "No Op"})
    qbo.sandbox.clock.advance(120)
    again = (await qbo.post("customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Active": True})).json()
    assert again["Customer"]["SyncToken"] == "0"
    assert again["Customer"]["MetaData"] == created["MetaData"]


async def test_validation_faults(qbo: Qbo) -> None:
    unknown = await qbo.post("customer", {"DisplayName": "X", "Colour": "red"})
    assert fault_code(unknown) == "2010" and "Colour" in unknown.json()["Fault"]["Error"][0]["Detail"]
    missing = await qbo.get("customer/99999")
    assert missing.status_code == 400 and fault_code(missing) == "610"
    bad_id = await qbo.get("customer/abc")
    assert fault_code(bad_id) == "2030" and bad_id.json()["Fault"]["Error"][0]["element"] == "Id"
    nameless = await qbo.post("customer", {"Notes": "no name"})
    assert fault_code(nameless) == "6080"
    built = await qbo.create("Customer", {"GivenName": "Ada", "FamilyName": "Lovelace"})
    assert built["DisplayName"] == "Ada Lovelace"
    no_token = await qbo.post("customer", {"Id": built["Id"], "sparse": True, "Notes": "x"})
    assert fault_code(no_token) == "2020"
    item = await qbo.post("item", {"Name": "No Account", "Type": "Service"})
    error = item.json()["Fault"]["Error"][0]
    assert error["code"] == "2020" and error["element"] == "IncomeAccountRef"


async def test_display_name_unique_across_customers_vendors_employees(qbo: Qbo) -> None:
    await qbo.create("Vendor", {"DisplayName": "Shared Name LLC"})
    clash = await qbo.post("customer", {"DisplayName": "shared name llc"})
    assert fault_code(clash) == "6240"
    assert clash.json()["Fault"]["Error"][0]["Message"] == "Duplicate Name Exists Error"
    employee = await qbo.post("customer", {"DisplayName": "Emily Platt"})  # the seeded employee
    assert fault_code(employee) == "6240"


async def test_deactivation_appends_deleted_frees_the_name_and_hides_from_queries(qbo: Qbo) -> None:
    created = await qbo.create("Customer", {"DisplayName": "Going Away"})
    inactive = await qbo.post("customer", {"Id": created["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    customer = inactive.json()["Customer"]
    assert customer["DisplayName"] == "Going Away (deleted)" and customer["PrintOnCheckName"] == "Going Away"
    assert customer["Active"] is False
    duplicate_of_inactive = await qbo.post("customer", {"DisplayName": "Going Away (deleted)"})
    assert fault_code(duplicate_of_inactive) == "6240"  # inactive records still hold their (renamed) name
    reused = await qbo.create("Customer", {"DisplayName": "Going Away"})
    assert reused["Id"] != created["Id"]
    rows = (await qbo.query("select * from Customer where DisplayName like 'Going Away%'")).json()["QueryResponse"]
    assert [c["Id"] for c in rows["Customer"]] == [reused["Id"]]
    delete = await qbo.post("customer", {"Id": created["Id"], "SyncToken": "1"}, operation="delete")
    assert delete.status_code == 400 and fault_code(delete) == "500"


async def test_references_must_exist_and_be_active(qbo: Qbo) -> None:
    customer = await qbo.create("Customer", {"DisplayName": "Ref Holder"})
    line = {"Amount": 10, "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": {"ItemRef": {"value": "424242"}}}
    missing = await qbo.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    assert fault_code(missing) == "2500"
    inactive_item = next(i for i in qbo.sandbox.qbo.all("Item") if i["Active"] is False)
    line["SalesItemLineDetail"] = {"ItemRef": {"value": inactive_item["Id"]}}
    inactive = await qbo.post("invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [line]})
    assert fault_code(inactive) == "610"
    no_lines = await qbo.post("invoice", {"CustomerRef": {"value": customer["Id"]}})
    assert fault_code(no_lines) == "2020" and no_lines.json()["Fault"]["Error"][0]["element"] == "Line"


def _item_id(qbo: Qbo, name: str) -> str:
    return next(i["Id"] for i in qbo.sandbox.qbo.all("Item") if i["Name"] == name)


def sales_line(item_id: str, qty: float, price: float, amount: float | None = None) -> dict[str, Any]:
    return {
        "Amount": amount if amount is not None else qty * price,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": qty, "UnitPrice": price},
    }


async def test_invoice_computations(qbo: Qbo) -> None:
    customer = await qbo.create(
        "Customer", {"DisplayName": "Invoice Math", "BillAddr": {"Line1": "1 Main St", "City": "Bayshore"}}
    )
    item = _item_id(qbo, "Write-In")
    body = {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line(item, 2, 12.5), sales_line(item, 1, 75)]}
    response = await qbo.post("invoice", body)
    assert '"TotalAmt": 100.00' in response.text  # money keeps two decimals on the wire
    invoice = response.json()["Invoice"]
    assert [line.get("Id") for line in invoice["Line"][:2]] == ["1", "2"]
    assert [line.get("LineNum") for line in invoice["Line"][:2]] == [1, 2]
    assert invoice["Line"][-1] == {"Amount": 100.0, "DetailType": "SubTotalLineDetail", "SubTotalLineDetail": {}}
    assert invoice["TotalAmt"] == 100.0 and invoice["Balance"] == 100.0
    assert invoice["CustomerRef"] == {"value": customer["Id"], "name": "Invoice Math"}
    assert invoice["BillAddr"]["City"] == "Bayshore"
    assert invoice["DocNumber"].isdigit() and invoice["TxnTaxDetail"] == {"TotalTax": 0}
    assert invoice["TxnDate"] == "2026-03-02" and invoice["PrintStatus"] == "NeedToPrint"
    assert invoice["EmailStatus"] == "NotSet" and invoice["LinkedTxn"] == []
    assert invoice["DueDate"] > invoice["TxnDate"]
    read_customer = (await qbo.get(f"customer/{customer['Id']}")).json()["Customer"]
    assert read_customer["Balance"] == 100.0
    wrong = await qbo.post("invoice", {**body, "Line": [sales_line(item, 2, 10, amount=25)]})
    assert fault_code(wrong) == "6070"
    long_doc = await qbo.post("invoice", {**body, "DocNumber": "X" * 22})
    assert fault_code(long_doc) == "2050" and long_doc.json()["Fault"]["Error"][0]["element"] == "DocNumber"
    replaced = await qbo.post(
        "invoice", {"Id": invoice["Id"], "SyncToken": "0", "sparse": True, "Line": [sales_line(item, 1, 40)]}
    )
    lines = replaced.json()["Invoice"]["Line"]
    assert lines[0]["Id"] == "3" and replaced.json()["Invoice"]["TotalAmt"] == 40.0


async def test_payment_applies_to_invoice_and_void_restores_it(qbo: Qbo) -> None:
    customer = await qbo.create("Customer", {"DisplayName": "Payer"})
    invoice = await qbo.create(
        "Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line(_item_id(qbo, "Write-In"), 1, 100)]}
    )
    link = {"TxnId": invoice["Id"], "TxnType": "Invoice"}
    payment = await qbo.create(
        "Payment",
        {"CustomerRef": {"value": customer["Id"]}, "TotalAmt": 60, "Line": [{"Amount": 40, "LinkedTxn": [link]}]},
    )
    assert payment["UnappliedAmt"] == 20 and payment["ProcessPayment"] is False
    after = (await qbo.get(f"invoice/{invoice['Id']}")).json()["Invoice"]
    assert after["Balance"] == 60 and after["SyncToken"] == "1"
    assert {"TxnId": payment["Id"], "TxnType": "Payment"} in after["LinkedTxn"]
    blocked = await qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "1"}, operation="delete")
    assert fault_code(blocked) == "6000"
    voided = await qbo.post(
        "payment", {"Id": payment["Id"], "SyncToken": "0", "sparse": True}, operation="update", include="void"
    )
    assert voided.json()["Payment"]["TotalAmt"] == 0 and voided.json()["Payment"]["PrivateNote"] == "Voided"
    restored = (await qbo.get(f"invoice/{invoice['Id']}")).json()["Invoice"]
    assert restored["Balance"] == 100 and all(k["TxnType"] != "Payment" for k in restored["LinkedTxn"])


async def test_delete_and_void_transactions(qbo: Qbo) -> None:
    customer = await qbo.create("Customer", {"DisplayName": "Deleter"})
    item = _item_id(qbo, "Write-In")
    invoice = await qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line(item, 1, 5)]})
    deleted = await qbo.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert deleted.json()["Invoice"] == {"domain": "QBO", "status": "Deleted", "Id": invoice["Id"]}
    gone = await qbo.get(f"invoice/{invoice['Id']}")
    assert fault_code(gone) == "610" and "deleted" in gone.json()["Fault"]["Error"][0]["Detail"]
    second = await qbo.create("Invoice", {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line(item, 3, 5)]})
    voided = (await qbo.post("invoice", {"Id": second["Id"], "SyncToken": "0"}, operation="void")).json()["Invoice"]
    assert voided["SyncToken"] == "1" and voided["TotalAmt"] == 0 and voided["Balance"] == 0
    assert voided["PrivateNote"] == "Voided" and all(line["Amount"] == 0 for line in voided["Line"])


async def test_requestid_replays_the_first_answer_and_creates_nothing(qbo: Qbo) -> None:
    before = len(qbo.sandbox.qbo.records["Customer"])
    first = await qbo.post("customer", {"DisplayName": "Idempotent"}, requestid="req-1")
    second = await qbo.post("customer", {"DisplayName": "Idempotent"}, requestid="req-1")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(qbo.sandbox.qbo.records["Customer"]) == before + 1
    duplicate = await qbo.post("customer", {"DisplayName": "Idempotent"}, requestid="req-2")
    assert fault_code(duplicate) == "6240"
    too_long = await qbo.post("customer", {"DisplayName": "Long Id"}, requestid="x" * 51)
    assert too_long.status_code == 400


async def test_requestid_fault600_mode() -> None:
    import httpx

    from tests.sandbox.conftest import BASE, make_sandbox, qbo_for

    sandbox = make_sandbox(requestid_mode="fault600")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        client = qbo_for(sandbox, http)
        await client.post("customer", {"DisplayName": "Six Hundred"}, requestid="same")
        replay = await client.post("customer", {"DisplayName": "Six Hundred"}, requestid="same")
        assert replay.status_code == 200
        different = await client.post("customer", {"DisplayName": "Other"}, requestid="same")
        assert fault_code(different) == "600"


async def test_unknown_paths_and_bad_bodies(qbo: Qbo) -> None:
    unknown = await qbo.get("customer/1/5")
    assert unknown.status_code == 400
    error = unknown.json()["Fault"]["Error"][0]
    assert error["code"] == "500" and error["Message"] == "Unsupported Operation"
    assert "Could not find resource for relative" in error["Detail"]
    nonsense = await qbo.get("widget/1")
    assert fault_code(nonsense) == "500"
    bad_utf8 = await qbo.http.post(
        qbo.url("customer"), content=b"\xff\xfe{", headers={**qbo.headers, "Content-Type": "application/json"}
    )
    assert fault_code(bad_utf8) == "500"
    not_json = await qbo.http.post(
        qbo.url("customer"), content=b"{nope", headers={**qbo.headers, "Content-Type": "application/json"}
    )
    assert not_json.status_code == 400


async def test_company_info_taxcodes_terms_accounts(qbo: Qbo) -> None:
    info = (await qbo.get(f"companyinfo/{qbo.realm}")).json()
    assert info["CompanyInfo"]["CompanyName"]
    tax = (await qbo.get("taxcode/TAX")).json()["TaxCode"]
    assert tax["Taxable"] is True
    refused = await qbo.post("taxcode", {"Name": "NEW"})
    assert fault_code(refused) == "500"
    names = {t["Name"] for t in (await qbo.query("select * from Term")).json()["QueryResponse"]["Term"]}
    assert {"Net 30", "Due on receipt"} <= names
    items = {i["Name"] for i in (await qbo.query("select * from Item maxresults 1000")).json()["QueryResponse"]["Item"]}
    assert {"Write-In", "Discount", "Shipping"} <= items


async def test_estimate_closes_when_invoiced_and_sales_receipt_defaults(qbo: Qbo) -> None:
    customer = await qbo.create("Customer", {"DisplayName": "Estimator"})
    item = _item_id(qbo, "Write-In")
    estimate = await qbo.create(
        "Estimate", {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line(item, 1, 9)]}
    )
    assert estimate["TxnStatus"] == "Pending" and estimate["TotalAmt"] == 9
    bad_status = await qbo.post(
        "estimate", {"CustomerRef": {"value": customer["Id"]}, "Line": [sales_line(item, 1, 9)], "TxnStatus": "Maybe"}
    )
    assert fault_code(bad_status) == "2170"
    invoice = await qbo.create(
        "Invoice",
        {
            "CustomerRef": {"value": customer["Id"]},
            "Line": [sales_line(item, 1, 9)],
            "LinkedTxn": [{"TxnId": estimate["Id"], "TxnType": "Estimate"}],
        },
    )
    closed = (await qbo.get(f"estimate/{estimate['Id']}")).json()["Estimate"]
    assert closed["TxnStatus"] == "Closed" and {"TxnId": invoice["Id"], "TxnType": "Invoice"} in closed["LinkedTxn"]
    receipt = await qbo.create("SalesReceipt", {"Line": [sales_line(item, 2, 4)]})
    assert receipt["Balance"] == 0 and receipt["TotalAmt"] == 8
    assert receipt["DepositToAccountRef"]["name"] == "Undeposited Funds"


async def test_duplicate_docnumber_check_is_a_company_preference() -> None:
    import httpx

    from tests.sandbox.conftest import BASE, make_sandbox, qbo_for

    for check, expected in ((False, 200), (True, 400)):
        sandbox = make_sandbox(records=0, duplicate_docnumber_check=check)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
            client = qbo_for(sandbox, http)
            customer = await client.create("Customer", {"DisplayName": "Doc Numbers"})
            body = {
                "CustomerRef": {"value": customer["Id"]},
                "DocNumber": "INV-1",
                "Line": [sales_line(_item_id(client, "Write-In"), 1, 1)],
            }
            assert (await client.post("invoice", body)).status_code == 200
            again = await client.post("invoice", body)
            assert again.status_code == expected
            if check:
                assert fault_code(again) == "6140"


async def test_items_and_sub_customers(qbo: Qbo) -> None:
    income = next(a["Id"] for a in qbo.sandbox.qbo.all("Account") if a["Name"] == "Services")
    item = await qbo.create(
        "Item", {"Name": "Hedge Trim", "Type": "Service", "UnitPrice": 45, "IncomeAccountRef": {"value": income}}
    )
    assert item["IncomeAccountRef"] == {"value": income, "name": "Services"} and item["UnitPrice"] == 45
    assert item["FullyQualifiedName"] == "Hedge Trim" and item["Active"] is True
    duplicate = await qbo.post("item", {"Name": "hedge trim", "Type": "NonInventory"})
    assert fault_code(duplicate) == "6240"
    inventory = await qbo.post("item", {"Name": "Stock", "Type": "Inventory", "IncomeAccountRef": {"value": income}})
    assert fault_code(inventory) == "2020" and inventory.json()["Fault"]["Error"][0]["element"] == "AssetAccountRef"
    retired = await qbo.post("item", {"Id": item["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert retired.json()["Item"]["Name"] == "Hedge Trim (deleted)"
    parent = await qbo.create("Customer", {"DisplayName": "Parent Co"})
    child = await qbo.create("Customer", {"DisplayName": "Site A", "ParentRef": {"value": parent["Id"]}})
    assert child["FullyQualifiedName"] == "Parent Co:Site A" and child["Job"] is True and child["Level"] == 1
    colon = await qbo.post("customer", {"DisplayName": "Bad:Name"})
    assert colon.status_code == 400
