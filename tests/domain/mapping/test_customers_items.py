import pytest

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping import (
    ItemAccounts,
    MappingError,
    changed_fields,
    crm_to_customer,
    crm_to_item,
    customer_entity_type,
    customer_to_crm,
    item_to_crm,
    sparse_update,
)

ACCOUNT = {
    "accountid": "a1",
    "name": "Contoso: West",
    "telephone1": "555-0100",
    "telephone2": "555-0101",
    "emailaddress1": "ap@contoso.example",
    "websiteurl": "https://contoso.example",
    "address1_line1": "1 Main St",
    "address1_city": "Springfield",
    "address1_stateorprovince": "IL",
    "address1_postalcode": "62701",
    "address1_country": "USA",
}


def test_account_to_customer() -> None:
    body = crm_to_customer(EntityType.ACCOUNT, ACCOUNT)
    assert body["DisplayName"] == "Contoso- West"  # ':' is QuickBooks' hierarchy separator
    assert body["CompanyName"] == "Contoso- West"
    assert body["PrimaryPhone"] == {"FreeFormNumber": "555-0100"}
    assert body["AlternatePhone"] == {"FreeFormNumber": "555-0101"}
    assert body["BillAddr"]["City"] == "Springfield"
    assert body["BillAddr"]["CountrySubDivisionCode"] == "IL"
    assert "ShipAddr" not in body


def test_contact_to_customer_and_back() -> None:
    row = {"contactid": "c1", "firstname": "Jane", "lastname": "Doe", "fullname": "Jane Doe", "mobilephone": "1"}
    body = crm_to_customer(EntityType.CONTACT, row)
    assert body["GivenName"] == "Jane" and body["FamilyName"] == "Doe" and "CompanyName" not in body
    assert customer_entity_type(body) is EntityType.CONTACT
    cols = customer_to_crm(EntityType.CONTACT, body)
    assert cols["firstname"] == "Jane" and cols["lastname"] == "Doe" and cols["mobilephone"] == "1"


def test_customer_kind_rules() -> None:
    assert customer_entity_type({"DisplayName": "X", "CompanyName": "X"}) is EntityType.ACCOUNT
    assert customer_entity_type({"DisplayName": "X:Y", "Job": True, "ParentRef": {"value": "1"}}) is EntityType.ACCOUNT
    assert customer_entity_type({"DisplayName": "Bo", "GivenName": "Bo"}) is EntityType.CONTACT


def test_nameless_customer_is_a_clear_error() -> None:
    with pytest.raises(MappingError, match="Display Name"):
        crm_to_customer(EntityType.ACCOUNT, {"accountid": ""})


def test_customer_round_trip_has_no_diff() -> None:
    body = crm_to_customer(EntityType.ACCOUNT, ACCOUNT)
    cols = customer_to_crm(EntityType.ACCOUNT, body)
    again = crm_to_customer(EntityType.ACCOUNT, {**ACCOUNT, **cols})
    assert changed_fields(body, again) == {}


def test_item_mapping_types_and_accounts() -> None:
    row = {"name": "Widget", "productnumber": "W-1", "price": 12.5, "currentcost": 4, "producttypecode": 3}
    body = crm_to_item(row, ItemAccounts(income="79"))
    assert body["Type"] == "Service" and body["IncomeAccountRef"] == {"value": "79"}
    assert body["UnitPrice"] == 12.5 and body["Sku"] == "W-1"
    with pytest.raises(MappingError, match="Income account"):
        crm_to_item(row, ItemAccounts())
    with pytest.raises(MappingError, match="Asset account"):
        crm_to_item({**row, "producttypecode": 1}, ItemAccounts(income="79"))
    # Intuit's Item reference: ExpenseAccountRef is required for Inventory items too.
    with pytest.raises(MappingError, match="Expense"):
        crm_to_item({**row, "producttypecode": 1}, ItemAccounts(income="79", asset="81"))
    accounts = ItemAccounts(income="79", expense="80", asset="81")
    inv = crm_to_item({**row, "producttypecode": 1, "quantityonhand": 5}, accounts)
    assert inv["TrackQtyOnHand"] and inv["QtyOnHand"] == 5.0
    update = crm_to_item(row, ItemAccounts(), for_create=False)
    assert "Type" not in update and "IncomeAccountRef" not in update
    back = item_to_crm({"Name": "Widget", "Type": "Service", "UnitPrice": 12.5, "PurchaseDesc": "p"})
    assert back["producttypecode"] == 3 and back["description"] == "p" and "productnumber" not in back
    assert item_to_crm({"Name": "Widget"}, for_create=True)["productnumber"] == "Widget"
    assert item_to_crm({"Name": "Widget", "Sku": "W-9"})["productnumber"] == "W-9"


def test_sparse_update_only_changed_fields() -> None:
    current = {"Id": "5", "SyncToken": "2", "DisplayName": "A", "PrimaryPhone": {"FreeFormNumber": "1"}, "Balance": 3}
    assert sparse_update(current, {"DisplayName": "A", "PrimaryPhone": {"FreeFormNumber": "1"}}) is None
    body = sparse_update(current, {"DisplayName": "A", "PrimaryPhone": {"FreeFormNumber": "2"}, "UnitPrice": 3.0})
    assert body == {
        "Id": "5",
        "SyncToken": "2",
        "sparse": True,
        "PrimaryPhone": {"FreeFormNumber": "2"},
        "UnitPrice": 3.0,
    }
    assert changed_fields({"price": "12.50"}, {"price": 12.5}) == {}
