"""Conformance: the CustomerType list, a Customer's CustomerTypeRef and an Item's PrefVendorRef, over HTTP.

https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer: CustomerTypeRef is a
reference to the customer type assigned to the customer (shown only when set in the QuickBooks UI). Customer types
are kept in the UI; the API reads them with `select * from CustomerType` and documents no create or update (vague:
the reference names no fault for a write; the sandbox answers as for its other read-only lists, Fault 500).
"""

from __future__ import annotations

from tests.sandbox.conftest import Qbo


async def test_customer_types_are_read_and_referenced_but_not_written(qbo: Qbo) -> None:
    wholesale = qbo.sandbox.qbo.create("CustomerType", {"Name": "Wholesale"})  # the UI's doing
    response = await qbo.query("select * from CustomerType")
    assert response.status_code == 200, response.text
    rows = response.json()["QueryResponse"]["CustomerType"]
    assert [(r["Id"], r["Name"], r["Active"]) for r in rows] == [(wholesale["Id"], "Wholesale", True)]
    refused = await qbo.post("customertype", {"Name": "Retail"})
    assert refused.status_code == 400 and refused.json()["Fault"]["Error"][0]["code"] == "500"

    customer = await qbo.create("Customer", {"DisplayName": "Typed", "CustomerTypeRef": {"value": wholesale["Id"]}})
    assert customer["CustomerTypeRef"] == {"value": wholesale["Id"], "name": "Wholesale"}
    unknown = await qbo.post("customer", {"DisplayName": "Untyped", "CustomerTypeRef": {"value": "999"}})
    assert unknown.status_code == 400 and unknown.json()["Fault"]["Error"][0]["code"] == "2500"


async def test_an_item_references_its_preferred_vendor(qbo: Qbo) -> None:
    # .../all-entities/item: PrefVendorRef is a reference to a Vendor (its Id; the answer fills the name);
    # a missing Id is 2500 (the sandbox's answer for every unknown reference).
    vendor = await qbo.create("Vendor", {"DisplayName": "Acme Supplies"})
    income = next(a["Id"] for a in qbo.sandbox.qbo.all("Account") if a.get("AccountType") == "Income")
    body = {"Name": "Bolt", "Type": "Service", "IncomeAccountRef": {"value": income}}
    item = await qbo.create("Item", {**body, "PrefVendorRef": {"value": vendor["Id"]}})
    assert item["PrefVendorRef"] == {"value": vendor["Id"], "name": "Acme Supplies"}
    missing = await qbo.post("item", {**body, "Name": "Nut", "PrefVendorRef": {"value": "999"}})
    assert missing.status_code == 400 and missing.json()["Fault"]["Error"][0]["code"] == "2500"


async def test_an_inventory_item_keeps_its_reorder_point(qbo: Qbo) -> None:
    # .../all-entities/item: ReorderPoint is a decimal on an inventory item; a value that is no number is refused.
    accounts = {a.get("AccountType"): a["Id"] for a in qbo.sandbox.qbo.all("Account")}
    body = {
        "Name": "Widget",
        "Type": "Inventory",
        "IncomeAccountRef": {"value": accounts["Income"]},
        "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
        "AssetAccountRef": {"value": accounts["Other Current Asset"]},
        "InvStartDate": "2026-01-01",
        "QtyOnHand": 10,
        "TrackQtyOnHand": True,
    }
    item = await qbo.create("Item", {**body, "ReorderPoint": 4})
    assert float(item["ReorderPoint"]) == 4
    bad = await qbo.post("item", {**body, "Name": "Gadget", "ReorderPoint": "soon"})
    assert bad.status_code == 400, bad.text
