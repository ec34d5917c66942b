"""Conformance: the CustomerType list and a Customer's CustomerTypeRef, over HTTP.

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
