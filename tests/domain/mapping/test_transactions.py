import pytest

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping import MappingError, ServiceItems, crm_to_transaction, line_products
from inolink_tui.domain.mapping.transactions import accounting_ref

ITEMS = ServiceItems(write_in="90", discount="91", shipping="92")
HEADER = {"name": "Big order", "ordernumber": "ORD-01001-X", "discountamount": 10, "freightamount": 7.5}
LINES = [
    {"_productid_value": "P2", "quantity": 2, "priceperunit": 9.99, "sequencenumber": 2},
    {"_productid_value": "p1", "quantity": 1, "priceperunit": 100, "manualdiscountamount": 5, "sequencenumber": 1},
    {"isproductoverridden": True, "productdescription": "Custom work", "quantity": 3, "priceperunit": 20},
]


def test_order_becomes_invoice_with_service_item_lines() -> None:
    body = crm_to_transaction(
        EntityType.ORDER, HEADER, LINES, customer_qbo_id="12", item_ids={"p1": "1", "p2": "2"}, service_items=ITEMS
    )
    refs = [(ln["SalesItemLineDetail"]["ItemRef"]["value"], ln["Amount"]) for ln in body["Line"]]
    assert refs == [("1", 100.0), ("91", -5.0), ("2", 19.98), ("90", 60.0), ("91", -10.0), ("92", 7.5)]
    assert body["CustomerRef"] == {"value": "12"}
    assert body["DocNumber"] == "ORD-01001-X"
    assert body["PrivateNote"] == "Big order"
    for ln in body["Line"]:
        detail = ln["SalesItemLineDetail"]
        assert round(detail["Qty"] * detail["UnitPrice"], 2) == ln["Amount"]  # QuickBooks 6070 rule


def test_missing_products_are_named() -> None:
    with pytest.raises(MappingError, match="Gadget") as info:
        crm_to_transaction(
            EntityType.INVOICE,
            {},
            LINES,
            customer_qbo_id="1",
            item_ids={"p1": "1"},
            service_items=ITEMS,
            product_names={"p2": "Gadget"},
        )
    assert info.value.missing == ("p2",)


def test_write_in_needs_configured_item() -> None:
    with pytest.raises(MappingError, match="Write-In"):
        crm_to_transaction(
            EntityType.QUOTE, {}, LINES[2:], customer_qbo_id="1", item_ids={}, service_items=ServiceItems()
        )


def test_long_doc_number_is_left_to_quickbooks_and_no_lines_is_an_error() -> None:
    body = crm_to_transaction(
        EntityType.QUOTE,
        {"quotenumber": "Q" * 30, "effectiveto": "2026-12-01T00:00:00Z"},
        LINES[:1],
        customer_qbo_id="1",
        item_ids={"p2": "2"},
        service_items=ITEMS,
    )
    assert "DocNumber" not in body and body["ExpirationDate"] == "2026-12-01"
    with pytest.raises(MappingError, match="no lines"):
        crm_to_transaction(EntityType.INVOICE, {}, [], customer_qbo_id="1", item_ids={}, service_items=ITEMS)


def test_line_products_and_refs() -> None:
    assert line_products(LINES) == ["p2", "p1"]
    assert accounting_ref(EntityType.ORDER, {"DocNumber": "1005"}) == "Invoice 1005"
    assert accounting_ref(EntityType.INVOICE, {"DocNumber": "1006"}) == "1006"
