"""Account Category <-> QuickBooks Customer Type (domain/mapping/customer_types.py): names matched ignoring case and
spacing, `[sync] customer_types` overriding, anything unmatched left alone."""

from __future__ import annotations

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping import crm_to_customer
from inolink_tui.domain.mapping.customer_types import (
    CATEGORY_COLUMN,
    FORMATTED,
    category_columns,
    customer_type_ref,
)

TYPES = {"11": "Wholesale", "12": "preferred  customer", "13": "Retail"}


def test_the_stock_label_matches_a_type_of_the_same_name_ignoring_case_and_spacing() -> None:
    assert customer_type_ref(TYPES, {}, {CATEGORY_COLUMN: 1}) == {"value": "12", "name": "preferred  customer"}


def test_the_formatted_label_is_used_and_the_config_table_overrides_the_name() -> None:
    row = {CATEGORY_COLUMN: 2, CATEGORY_COLUMN + FORMATTED: "Standard"}
    assert customer_type_ref(TYPES, {}, row) is None, "no type named Standard: left alone"
    assert customer_type_ref(TYPES, {"standard": "RETAIL"}, row) == {"value": "13", "name": "Retail"}
    assert customer_type_ref(TYPES, {"Preferred Customer": "Wholesale"}, {CATEGORY_COLUMN: 1})["value"] == "11"  # type: ignore[index]


def test_an_org_option_is_configured_by_its_value() -> None:
    assert customer_type_ref(TYPES, {"100000000": "Retail"}, {CATEGORY_COLUMN: 100000000}) == {
        "value": "13",
        "name": "Retail",
    }
    assert customer_type_ref(TYPES, {}, {CATEGORY_COLUMN: 100000000}) is None
    assert customer_type_ref(TYPES, {}, {CATEGORY_COLUMN: None}) is None


def test_back_to_crm_by_config_then_by_the_stock_label() -> None:
    assert category_columns(TYPES, {}, {"CustomerTypeRef": {"value": "12"}}) == {CATEGORY_COLUMN: 1}
    assert category_columns(TYPES, {"Preferred Customer": "Wholesale"}, {"CustomerTypeRef": {"value": "11"}}) == {
        CATEGORY_COLUMN: 1
    }
    assert category_columns(TYPES, {"100000001": "Retail"}, {"CustomerTypeRef": {"value": "13"}}) == {
        CATEGORY_COLUMN: 100000001
    }
    assert category_columns(TYPES, {}, {"CustomerTypeRef": {"value": "11"}}) == {}, "Wholesale maps to no option"
    assert category_columns(TYPES, {}, {}) == {}


def test_only_an_account_carries_the_customer_type() -> None:
    ref = {"value": "11"}
    account = crm_to_customer(EntityType.ACCOUNT, {"name": "Acme"}, customer_type=ref)
    contact = crm_to_customer(EntityType.CONTACT, {"firstname": "A", "lastname": "B"}, customer_type=ref)
    assert account["CustomerTypeRef"] == ref and "CustomerTypeRef" not in contact
