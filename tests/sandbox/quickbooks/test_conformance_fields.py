"""Conformance: QuickBooks Online field rules, one documented behaviour per test, over HTTP.

Written from Intuit's API reference (each test cites its page), not from our connectors: requests are
plain JSON through httpx to the in-process sandbox, and every refusal is checked for the documented
HTTP status and Fault shape.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import Qbo


def fault(response: httpx.Response) -> dict[str, Any]:
    """The one Error of a 400 ValidationFault, checked for the envelope every fault shares (reference §11)."""
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"Fault", "time"}
    assert body["Fault"]["type"] == "ValidationFault"
    (error,) = body["Fault"]["Error"]
    assert set(error) >= {"Message", "Detail", "code"} and isinstance(error["code"], str)
    return dict(error)


async def _income(qbo: Qbo) -> str:
    return next(a["Id"] for a in qbo.sandbox.qbo.all("Account") if a["Name"] == "Services")


async def _item(qbo: Qbo) -> str:
    return next(i["Id"] for i in qbo.sandbox.qbo.all("Item") if i["Name"] == "Services")


async def _customer(qbo: Qbo, name: str = "Conformance Customer") -> str:
    return str((await qbo.create("Customer", {"DisplayName": name}))["Id"])


def _line(item: str, **extra: Any) -> dict[str, Any]:
    return {
        "Amount": 10,
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item}},
        **extra,
    }


# --- Customer: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/customer
@pytest.mark.parametrize(
    ("field", "limit"),
    [("DisplayName", 500), ("CompanyName", 100), ("GivenName", 100), ("FamilyName", 100), ("Notes", 2000)],
)
async def test_customer_string_lengths(qbo: Qbo, field: str, limit: int) -> None:
    # Customer: DisplayName "maximum of 500 chars", CompanyName / GivenName / FamilyName "maximum of 100
    # chars", Notes "maximum of 2000 chars"; a longer value is fault 2050 naming the limit.
    body = {"DisplayName": "Length Probe", field: "x" * limit}
    assert (await qbo.post("customer", body)).status_code == 200
    body = {"DisplayName": "Length Probe 2", field: "y" * (limit + 1)}
    error = fault(await qbo.post("customer", body))
    assert error["code"] == "2050" and error["element"] == field
    assert f"Max:{limit}" in error["Detail"] and f"Supplied length:{limit + 1}" in error["Detail"]


async def test_customer_title_and_suffix_are_at_most_16(qbo: Qbo) -> None:
    # Customer: Title and Suffix "maximum of 16 chars".
    error = fault(await qbo.post("customer", {"DisplayName": "Titled", "Title": "T" * 17}))
    assert error["code"] == "2050" and error["element"] == "Title"


async def test_customer_phone_is_at_most_30(qbo: Qbo) -> None:
    # Customer: PrimaryPhone / AlternatePhone / Mobile / Fax FreeFormNumber "Maximum of 30 chars".
    ok = await qbo.post("customer", {"DisplayName": "Phone 30", "PrimaryPhone": {"FreeFormNumber": "1" * 30}})
    assert ok.status_code == 200
    for phone in ("PrimaryPhone", "AlternatePhone", "Mobile", "Fax"):
        error = fault(await qbo.post("customer", {"DisplayName": "Phone 31", phone: {"FreeFormNumber": "1" * 31}}))
        assert error["code"] == "2050" and error["element"] == f"{phone}.FreeFormNumber"


async def test_customer_email_is_at_most_100(qbo: Qbo) -> None:
    # Customer: PrimaryEmailAddr.Address "maximum of 100 chars".
    address = "a" * 90 + "@x.example"  # 100 characters
    assert (
        await qbo.post("customer", {"DisplayName": "Mail 100", "PrimaryEmailAddr": {"Address": address}})
    ).is_success
    error = fault(
        await qbo.post("customer", {"DisplayName": "Mail 101", "PrimaryEmailAddr": {"Address": "b" + address}})
    )
    assert error["code"] == "2050" and error["element"] == "PrimaryEmailAddr.Address"


@pytest.mark.parametrize("address", ["no-at-sign.example", "nobody@localhost"])
async def test_customer_email_needs_at_sign_and_dot(qbo: Qbo, address: str) -> None:
    # Customer business rules: "The PrimaryEmailAddress attribute must contain an at sign (@) and dot (.)".
    # No fault code is documented for it: the sandbox answers 6000 (business validation) naming the field.
    error = fault(await qbo.post("customer", {"DisplayName": "Bad Mail", "PrimaryEmailAddr": {"Address": address}}))
    assert error["code"] == "6000" and error["element"] == "PrimaryEmailAddr.Address"


async def test_customer_web_address_is_at_most_1000(qbo: Qbo) -> None:
    # Customer: WebAddr.URI "Maximum of 1000 chars".
    uri = "https://example.com/" + "p" * 981
    error = fault(await qbo.post("customer", {"DisplayName": "Web", "WebAddr": {"URI": uri}}))
    assert error["code"] == "2050" and error["element"] == "WebAddr.URI"


async def test_address_lines_postal_code_and_city(qbo: Qbo) -> None:
    # PhysicalAddress: Line1..5 "Individual maximum of 500 chars, up to combined max of 2000 chars",
    # PostalCode "Maximum of 30 chars", City "Maximum of 255 chars".
    for address, element in (
        ({"Line1": "l" * 501}, "BillAddr.Line1"),
        ({"PostalCode": "9" * 31}, "BillAddr.PostalCode"),
        ({"City": "c" * 256}, "BillAddr.City"),
        ({f"Line{i}": "l" * 500 for i in range(1, 6)}, "BillAddr.Line1-5"),
    ):
        error = fault(await qbo.post("customer", {"DisplayName": "Addressed", "BillAddr": address}))
        assert error["code"] == "2050" and error["element"] == element


@pytest.mark.parametrize("bad", [":", "\t", "\n"])
@pytest.mark.parametrize("field", ["DisplayName", "GivenName", "FamilyName", "PrintOnCheckName"])
async def test_customer_names_refuse_colon_tab_newline(qbo: Qbo, field: str, bad: str) -> None:
    # Customer business rules: DisplayName, Title, GivenName, MiddleName, FamilyName, Suffix and
    # PrintOnCheckName "must not contain colon (:), tab (\t), or newline (\n) characters".
    body = {"DisplayName": "Clean Name", field: f"Bad{bad}Name"}
    error = fault(await qbo.post("customer", body))
    assert error["code"] == "6000"


async def test_display_name_is_unique_across_customer_vendor_employee(qbo: Qbo) -> None:
    # Customer: "The DisplayName attribute must be unique across all other customer, employee, and vendor
    # objects"; the duplicate is fault 6240 Duplicate Name Exists Error.
    await qbo.create("Vendor", {"DisplayName": "Shared Name"})
    error = fault(await qbo.post("customer", {"DisplayName": "Shared Name"}))
    assert error["code"] == "6240" and error["Message"] == "Duplicate Name Exists Error"
    error = fault(
        await qbo.post("employee", {"GivenName": "Shared", "FamilyName": "Name", "DisplayName": "Shared Name"})
    )
    assert error["code"] == "6240"


async def test_customer_needs_a_name(qbo: Qbo) -> None:
    # Customer: "The DisplayName attribute or at least one of Title, GivenName, MiddleName, FamilyName, or
    # Suffix attributes is required during object create" (6080 No Name Provided, reference §11).
    error = fault(await qbo.post("customer", {"CompanyName": "Only a company"}))
    assert error["code"] == "6080"


# --- Vendor: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/vendor
async def test_vendor_lengths(qbo: Qbo) -> None:
    # Vendor: CompanyName "Maximum of 100 chars", AcctNum "Maximum of 100 chars", phones "Maximum of 30".
    for body, element in (
        ({"CompanyName": "c" * 101}, "CompanyName"),
        ({"AcctNum": "1" * 101}, "AcctNum"),
        ({"PrimaryPhone": {"FreeFormNumber": "5" * 31}}, "PrimaryPhone.FreeFormNumber"),
    ):
        error = fault(await qbo.post("vendor", {"DisplayName": "Vendor Probe", **body}))
        assert error["code"] == "2050" and error["element"] == element


# --- Employee: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/employee
async def test_employee_phone_is_at_most_20(qbo: Qbo) -> None:
    # Employee: PrimaryPhone / Mobile FreeFormNumber "Maximum of 20 chars" (Customer and Vendor allow 30).
    body = {"GivenName": "Pat", "FamilyName": "Lee", "PrimaryPhone": {"FreeFormNumber": "5" * 21}}
    error = fault(await qbo.post("employee", body))
    assert error["code"] == "2050" and error["element"] == "PrimaryPhone.FreeFormNumber"


async def test_employee_needs_given_or_family_name(qbo: Qbo) -> None:
    # Employee: "At least one of GivenName or FamilyName attributes is required."
    error = fault(await qbo.post("employee", {"DisplayName": "Just A Display Name"}))
    assert error["code"] == "2020" and error["element"] == "GivenName"


# --- Item: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/item
@pytest.mark.parametrize(
    ("field", "limit"), [("Name", 100), ("Description", 4000), ("Sku", 100), ("PurchaseDesc", 1000)]
)
async def test_item_string_lengths(qbo: Qbo, field: str, limit: int) -> None:
    # Item: Name "maximum of 100 chars", Description "maximum of 4000 chars", Sku "maximum of 100 chars",
    # PurchaseDesc "Max 1000 chars".
    body = {"Name": "Item Probe", "Type": "Service", "IncomeAccountRef": {"value": await _income(qbo)}}
    error = fault(await qbo.post("item", {**body, field: "z" * (limit + 1)}))
    assert error["code"] == "2050" and error["element"] == field


async def test_item_name_refuses_colon(qbo: Qbo) -> None:
    # Item create: Name "cannot include tabs, new lines, or colons".
    body = {"Name": "Parent:Child", "Type": "Service", "IncomeAccountRef": {"value": await _income(qbo)}}
    assert fault(await qbo.post("item", body))["code"] == "6000"


async def test_service_item_needs_income_account(qbo: Qbo) -> None:
    # Item: IncomeAccountRef "required for Inventory and Service item types" (2020 with the element).
    error = fault(await qbo.post("item", {"Name": "No Income", "Type": "Service"}))
    assert error["code"] == "2020" and error["element"] == "IncomeAccountRef"


@pytest.mark.parametrize("missing", ["AssetAccountRef", "ExpenseAccountRef", "InvStartDate", "QtyOnHand"])
async def test_inventory_item_needs_its_accounts_and_start(qbo: Qbo, missing: str) -> None:
    # Item: AssetAccountRef, InvStartDate and QtyOnHand "Required for Inventory"; ExpenseAccountRef
    # "Required for Inventory, NonInventory, and Service item types" (enforced for Inventory).
    accounts = {a["Name"]: a["Id"] for a in qbo.sandbox.qbo.all("Account")}
    body: dict[str, Any] = {
        "Name": f"Stock {missing}",
        "Type": "Inventory",
        "IncomeAccountRef": {"value": accounts["Sales of Product Income"]},
        "ExpenseAccountRef": {"value": accounts["Cost of Goods Sold"]},
        "AssetAccountRef": {"value": accounts["Inventory Asset"]},
        "InvStartDate": "2026-01-01",
        "QtyOnHand": 10,
        "TrackQtyOnHand": True,
    }
    complete = await qbo.post("item", {**body, "Name": f"Complete {missing}"})
    assert complete.status_code == 200 and complete.json()["Item"]["TrackQtyOnHand"] is True
    del body[missing]
    error = fault(await qbo.post("item", body))
    assert error["code"] == "2020" and error["element"] == missing


async def test_item_price_at_most_99999999999(qbo: Qbo) -> None:
    # Item: UnitPrice and PurchaseCost "maximum of 99999999999".
    body = {"Name": "Pricey", "Type": "Service", "IncomeAccountRef": {"value": await _income(qbo)}}
    assert (await qbo.post("item", {**body, "UnitPrice": 99999999999})).status_code == 200
    error = fault(await qbo.post("item", {**body, "Name": "Too Pricey", "UnitPrice": 100000000000}))
    assert error["element"] == "UnitPrice"


# --- Invoice: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/invoice
async def test_invoice_doc_number_at_most_21(qbo: Qbo) -> None:
    # Invoice: DocNumber "maximum of 21 chars" (2050, element DocNumber).
    customer, item = await _customer(qbo), await _item(qbo)
    body = {"CustomerRef": {"value": customer}, "Line": [_line(item)]}
    assert (await qbo.post("invoice", {**body, "DocNumber": "D" * 21})).status_code == 200
    error = fault(await qbo.post("invoice", {**body, "DocNumber": "D" * 22}))
    assert error["code"] == "2050" and error["element"] == "DocNumber" and "Max:21" in error["Detail"]


async def test_invoice_private_note_and_line_description_at_most_4000(qbo: Qbo) -> None:
    # Invoice: PrivateNote "max of 4000 chars"; SalesItemLine Description "Max 4000 chars".
    customer, item = await _customer(qbo), await _item(qbo)
    body = {"CustomerRef": {"value": customer}, "Line": [_line(item)]}
    error = fault(await qbo.post("invoice", {**body, "PrivateNote": "n" * 4001}))
    assert error["code"] == "2050" and error["element"] == "PrivateNote"
    error = fault(await qbo.post("invoice", {**body, "Line": [_line(item, Description="d" * 4001)]}))
    assert error["code"] == "2050" and error["element"] == "Line.Description"


async def test_invoice_line_amount_has_ten_integer_digits(qbo: Qbo) -> None:
    # Invoice: Line Amount "Max 15 digits in 10.5 format".
    customer, item = await _customer(qbo), await _item(qbo)
    body = {"CustomerRef": {"value": customer}, "Line": [_line(item, Amount=10_000_000_000)]}
    assert fault(await qbo.post("invoice", body))["element"] == "Line.Amount"


async def test_invoice_requires_customer_and_line(qbo: Qbo) -> None:
    # Invoice business rules: "An invoice must have at least one Line" and "must have CustomerRef populated".
    item = await _item(qbo)
    error = fault(await qbo.post("invoice", {"Line": [_line(item)]}))
    assert error["code"] == "2020" and error["element"] == "CustomerRef"
    error = fault(await qbo.post("invoice", {"CustomerRef": {"value": await _customer(qbo)}}))
    assert error["code"] == "2020" and error["element"] == "Line"


async def test_invoice_bill_email_needs_at_sign_and_dot(qbo: Qbo) -> None:
    # EmailAddress type (Invoice BillEmail): "The address format must follow the RFC 822 standard"; the
    # sandbox applies the documented at-sign-and-dot rule.
    customer, item = await _customer(qbo), await _item(qbo)
    body = {"CustomerRef": {"value": customer}, "Line": [_line(item)], "BillEmail": {"Address": "nobody"}}
    assert fault(await qbo.post("invoice", body))["element"] == "BillEmail.Address"


async def test_payment_requires_customer_and_total(qbo: Qbo) -> None:
    # Payment: "TotalAmt" and "CustomerRef" are required (reference §12).
    error = fault(await qbo.post("payment", {"TotalAmt": 5}))
    assert error["code"] == "2020" and error["element"] == "CustomerRef"
    error = fault(await qbo.post("payment", {"CustomerRef": {"value": await _customer(qbo)}}))
    assert error["code"] == "2020" and error["element"] == "TotalAmt"


# --- Term, PaymentMethod, Class: .../all-entities/term, /paymentmethod, /class
async def test_list_name_lengths(qbo: Qbo) -> None:
    # Term Name "max 31 characters"; PaymentMethod Name "Maximum of 31 chars"; Class Name "maximum of 100".
    for entity, limit in (("term", 31), ("paymentmethod", 31), ("class", 100)):
        body: dict[str, Any] = {"Name": "n" * (limit + 1)}
        if entity == "term":
            body["DueDays"] = 10
        error = fault(await qbo.post(entity, body))
        assert error["code"] == "2050" and error["element"] == "Name"


async def test_term_due_days_range(qbo: Qbo) -> None:
    # Term: DueDays "Range is 0 through 999".
    assert fault(await qbo.post("term", {"Name": "Net 1000", "DueDays": 1000}))["element"] == "DueDays"


# --- Account: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/most-commonly-used/account
async def test_account_name_rules(qbo: Qbo) -> None:
    # Account: Name "max 100 characters" and "must not contain double quotes (") or colon (:)".
    body = {"AccountType": "Expense", "AccountSubType": "Travel"}
    error = fault(await qbo.post("account", {**body, "Name": "a" * 101}))
    assert error["code"] == "2050" and error["element"] == "Name"
    for bad in ('Say "cheese"', "Travel:Meals"):
        assert fault(await qbo.post("account", {**body, "Name": bad}))["code"] == "6000"
    assert (await qbo.post("account", {**body, "Name": "Travel Meals"})).status_code == 200
