"""Product Vendor Name <-> Item PrefVendorRef (domain/mapping/items.py): the engine's Vendor reference goes out on
create and update; coming back, the reference's name becomes the Vendor Name, and an item without one leaves it."""

from __future__ import annotations

from inolink_tui.domain.mapping import ItemAccounts, crm_to_item, item_to_crm

ACCOUNTS = ItemAccounts(income="1", expense="2", asset="3")


def test_the_vendor_reference_goes_out_on_create_and_update() -> None:
    row = {"name": "Bolt", "producttypecode": 3, "vendorname": "Acme Supplies"}
    ref = {"value": "56"}
    for create in (True, False):
        assert crm_to_item(row, ACCOUNTS, for_create=create, pref_vendor=ref)["PrefVendorRef"] == ref
    assert "PrefVendorRef" not in crm_to_item(row, ACCOUNTS, pref_vendor=None), "no vendor found: left out"


def test_the_vendor_name_comes_back_from_the_reference() -> None:
    item = {"Name": "Bolt", "Type": "Service", "PrefVendorRef": {"value": "56", "name": "Acme Supplies"}}
    assert item_to_crm(item)["vendorname"] == "Acme Supplies"
    assert "vendorname" not in item_to_crm({"Name": "Bolt", "Type": "Service"})
