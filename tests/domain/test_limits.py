"""The engine's field limits: whatever the mapping makes of a hostile record is either refused with a
hint naming the field, its limit and the value, or fits every rule the sandboxes enforce.

Hypothesis generates CRM rows (for the QuickBooks direction) and QuickBooks records (for the CRM
direction); the sandboxes' own validators (QuickBooks field rules, Dataverse column lengths) are the
oracle, so the engine's copy of the limits cannot silently drift from them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.limits import FieldLimitError, Fitted, fit_crm, fit_qbo
from inolink_tui.domain.mapping import (
    ItemAccounts,
    MappingError,
    ServiceItems,
    crm_to_customer,
    crm_to_item,
    crm_to_transaction,
    customer_to_crm,
    item_to_crm,
)
from inolink_tui.sandbox.dataverse.schema import build_tables
from inolink_tui.sandbox.quickbooks.entities import spec_for
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.rules import fields
from inolink_tui.sandbox.quickbooks.rules.names import check_name

TABLES = build_tables()
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text as hostile as CRM can hold: colons, tabs, newlines, '@' and '.', quotes, emoji, right-to-left marks.
ALPHABET = st.sampled_from([*"ab Z09:'\"\t\n@.-_%&/\\", "é", "東", "🧾", "\u202e"])


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(ALPHABET, max_size=max_size)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


def qbo_accepts(entity: str, body: dict[str, Any]) -> None:
    """The sandbox's own field rules (and name rules) for what would be sent."""
    fields.check(entity, body)
    if entity == "Item" and "Name" in body:
        spec = spec_for("Item")
        assert spec is not None
        assert check_name(spec, "Name", body["Name"]) == body["Name"].strip()


def crm_accepts(entity_type: EntityType, columns: dict[str, Any]) -> None:
    table = TABLES[{"account": "accounts", "contact": "contacts", "product": "products"}[entity_type.value.lower()]]
    for key, value in columns.items():
        column = table.column(key)
        if column is not None and isinstance(value, str):
            assert len(value) <= column.max_length, (key, len(value), column.max_length)


def check_refusal(exc: FieldLimitError) -> None:
    """The hint names the field and its limit, on one line."""
    message = str(exc)
    assert exc.field in message and str(exc.limit) in message and "\n" not in message


def fitted_or_refused(entity: str, body: dict[str, Any]) -> Fitted | None:
    try:
        fitted = fit_qbo(entity, body)
    except FieldLimitError as exc:
        check_refusal(exc)
        return None
    try:
        qbo_accepts(entity, fitted.values)
    except QboFault as fault:  # pragma: no cover - the failure message is the point
        pytest.fail(f"the engine would send a value QuickBooks refuses: {fault}")
    return fitted


account_rows = st.fixed_dictionaries(
    {"name": text(200)},
    optional={
        "telephone1": text(60),
        "fax": text(60),
        "emailaddress1": st.one_of(text(110), st.emails()),
        "websiteurl": text(220),
        "address1_line1": text(260),
        "address1_city": text(90),
        "address1_postalcode": text(25),
        "address1_country": text(90),
        "address1_stateorprovince": text(60),
    },
)
contact_rows = st.fixed_dictionaries(
    {"firstname": text(60), "lastname": text(60)},
    optional={"mobilephone": text(60), "telephone1": text(60), "emailaddress1": st.one_of(text(110), st.emails())},
)
product_rows = st.fixed_dictionaries(
    {"name": text(120)},
    optional={
        "productnumber": text(120),
        "description": text(2100),
        "price": st.decimals(min_value=-(10**13), max_value=10**13, places=4, allow_nan=False),
        "currentcost": st.decimals(min_value=0, max_value=10**13, places=4, allow_nan=False),
        "producttypecode": st.sampled_from([1, 2, 3, 4]),
    },
)


@PROPERTY
@given(account_rows)
def test_crm_account_to_quickbooks_fits_or_is_refused(row: dict[str, Any]) -> None:
    try:
        body = crm_to_customer(EntityType.ACCOUNT, row)
    except MappingError:
        return  # no name at all: the mapping's own validation error
    fitted_or_refused("Customer", body)


@PROPERTY
@given(contact_rows)
def test_crm_contact_to_quickbooks_fits_or_is_refused(row: dict[str, Any]) -> None:
    row = {**row, "fullname": f"{row['firstname']} {row['lastname']}"}
    try:
        body = crm_to_customer(EntityType.CONTACT, row)
    except MappingError:
        return
    fitted_or_refused("Customer", body)


@PROPERTY
@given(product_rows)
def test_crm_product_to_quickbooks_fits_or_is_refused(row: dict[str, Any]) -> None:
    try:
        body = crm_to_item(row, ItemAccounts(income="1", expense="2", asset="3"))
    except MappingError:
        return
    fitted_or_refused("Item", body)


line_rows = st.lists(
    st.fixed_dictionaries(
        {
            "_productid_value": st.sampled_from(["p1", "p2"]),
            "quantity": st.decimals(min_value=1, max_value=10**6, places=2, allow_nan=False),
            "priceperunit": st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
        },
        optional={"productdescription": text(4100)},
    ),
    min_size=1,
    max_size=4,
)


@PROPERTY
@given(st.fixed_dictionaries({"name": text(320), "invoicenumber": text(30)}), line_rows)
def test_crm_invoice_to_quickbooks_fits_or_is_refused(header: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    body = crm_to_transaction(
        EntityType.INVOICE,
        header,
        lines,
        customer_qbo_id="1",
        item_ids={"p1": "10", "p2": "11"},
        service_items=ServiceItems("1", "2", "3"),
    )
    fitted_or_refused("Invoice", body)


qbo_customers = st.fixed_dictionaries(
    {"DisplayName": text(500)},
    optional={
        "CompanyName": text(100),
        "GivenName": text(100),
        "FamilyName": text(100),
        "PrimaryPhone": st.fixed_dictionaries({"FreeFormNumber": text(30)}),
        "Mobile": st.fixed_dictionaries({"FreeFormNumber": text(30)}),
        "PrimaryEmailAddr": st.fixed_dictionaries({"Address": st.emails().filter(lambda e: len(e) <= 100)}),
        "WebAddr": st.fixed_dictionaries({"URI": text(1000)}),
        "BillAddr": st.fixed_dictionaries(
            {},
            optional={"Line1": text(500), "Line2": text(500), "City": text(255), "PostalCode": text(30)},
        ),
    },
)


@PROPERTY
@given(qbo_customers, st.sampled_from([EntityType.ACCOUNT, EntityType.CONTACT]))
def test_quickbooks_customer_to_crm_fits_or_is_refused(customer: dict[str, Any], et: EntityType) -> None:
    columns = customer_to_crm(et, customer)
    columns["ino_accountingref"] = customer["DisplayName"]
    try:
        fitted = fit_crm(et, columns)
    except FieldLimitError as exc:
        check_refusal(exc)
        return
    crm_accepts(et, fitted.values)


qbo_items = st.fixed_dictionaries(
    {"Name": text(100)},
    optional={"Sku": text(100), "Description": text(4000), "PurchaseDesc": text(1000), "Type": st.just("Service")},
)


@PROPERTY
@given(qbo_items)
def test_quickbooks_item_to_crm_fits_or_is_refused(item: dict[str, Any]) -> None:
    try:
        fitted = fit_crm(EntityType.PRODUCT, item_to_crm(item, for_create=True))
    except FieldLimitError as exc:
        check_refusal(exc)
        return
    crm_accepts(EntityType.PRODUCT, fitted.values)


# --- the policy: what is cut, what is refused -------------------------------------------------------------
def test_a_long_phone_is_cut_and_noted() -> None:
    fitted = fit_qbo(
        "Customer", {"DisplayName": "A", "PrimaryPhone": {"FreeFormNumber": "+1 555 0100 ext. " + "9" * 30}}
    )
    assert len(fitted.values["PrimaryPhone"]["FreeFormNumber"]) == 30
    (cut,) = fitted.truncations
    assert (cut.field, cut.limit, cut.original_length) == ("PrimaryPhone.FreeFormNumber", 30, 47)
    assert "PrimaryPhone.FreeFormNumber cut to 30 characters (was 47)" in cut.describe()


def test_an_email_without_at_sign_is_refused_with_the_value() -> None:
    with pytest.raises(FieldLimitError) as caught:
        fit_qbo("Customer", {"DisplayName": "A", "PrimaryEmailAddr": {"Address": "sales.example.com"}})
    assert caught.value.field == "PrimaryEmailAddr.Address" and "'sales.example.com'" in str(caught.value)


def test_a_name_too_long_for_its_column_is_refused_not_cut() -> None:
    with pytest.raises(FieldLimitError) as caught:
        fit_crm(EntityType.ACCOUNT, {"name": "N" * 161})
    assert caught.value.field == "name" and caught.value.limit == 160 and "161" in str(caught.value)


def test_the_accounting_ref_is_cut_to_its_column() -> None:
    fitted = fit_crm(EntityType.ACCOUNT, {"ino_accountingref": "R" * 150})
    assert fitted.values["ino_accountingref"] == "R" * 100 and fitted.truncations[0].field == "ino_accountingref"


def test_a_price_beyond_quickbooks_range_is_refused() -> None:
    with pytest.raises(FieldLimitError) as caught:
        fit_qbo("Item", {"Name": "X", "UnitPrice": Decimal("100000000000")})
    assert caught.value.field == "UnitPrice"


def test_a_company_name_cut_to_100_still_maps_back_to_the_full_account_name() -> None:
    name = "Long Company " * 10  # 130 characters
    body = fit_qbo("Customer", crm_to_customer(EntityType.ACCOUNT, {"name": name})).values
    assert len(body["CompanyName"]) <= 100 and body["DisplayName"] == name.strip()
    assert customer_to_crm(EntityType.ACCOUNT, body)["name"] == name.strip()
