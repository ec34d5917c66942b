"""The built-in rows executed from the tables (apply.py `table_to_qbo` / `table_to_crm`).

Two things are checked: the mapping functions that now execute table rows give exactly what the hand-written
functions gave (legacy_mapping.py, a frozen copy) over generated records of the types each system holds; and the
table is the source of those rows (a row taken out of the table is no longer written; the special rows are the
ones the code writes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inolink_tui.domain.enums import SYNCED_ENTITY_TYPES, EntityType
from inolink_tui.domain.mapping import (
    MappingError,
    ServiceItems,
    crm_to_customer,
    crm_to_transaction,
    customer_to_crm,
)
from inolink_tui.domain.mapping import tables as tables_module
from inolink_tui.domain.mapping.apply import table_rows
from inolink_tui.domain.mapping.tables import DEFAULT_MAPPINGS, Direction, Special, Transform
from tests.domain.mapping import legacy_mapping as legacy

CUSTOMERS = [EntityType.ACCOUNT, EntityType.CONTACT]
TRANSACTIONS = [EntityType.QUOTE, EntityType.ORDER, EntityType.INVOICE]
# text as the systems hold it: padded, blank, with QuickBooks' forbidden characters, or plain
TEXT = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", " ", "  a  ", "a:b", "x\ty", "\n", "0", "Acme Ltd"]),
)
DATES = st.dates().map(lambda d: d.isoformat() + "T00:00:00Z") | st.dates().map(lambda d: d.isoformat())
AMOUNTS = st.decimals(min_value=-1000, max_value=1000, places=2)
LINE_NUMBERS = {"quantity", "priceperunit", "manualdiscountamount"}
HEADER_NUMBERS = {"discountamount", "freightamount"}
HEADER_DATES = {"effectiveto", "requestdeliveryby", "duedate"}


def _outcome(call: Any) -> Any:
    try:
        return ("ok", call())
    except MappingError as exc:
        return ("refused", str(exc), exc.missing)


@st.composite
def customer_rows(draw: st.DrawFn, entity_type: EntityType) -> dict[str, Any]:
    columns = sorted({row.crm for row in DEFAULT_MAPPINGS[entity_type] if row.crm} | {"fullname", "name"})
    row: dict[str, Any] = draw(st.fixed_dictionaries({}, optional={c: TEXT | st.none() for c in columns}))
    return row


@st.composite
def customer_bodies(draw: st.DrawFn, entity_type: EntityType) -> dict[str, Any]:
    paths = sorted({row.qbo for row in DEFAULT_MAPPINGS[entity_type]} | {"DisplayName", "Job"})
    body: dict[str, Any] = {}
    for path in paths:
        if not draw(st.booleans()):
            continue
        *heads, last = path.split(".")
        holder = body
        for head in heads:
            holder = holder.setdefault(head, {})
        holder[last] = draw(st.booleans()) if path == "Job" else draw(TEXT | st.none())
    return body


@pytest.mark.parametrize("entity_type", CUSTOMERS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_customers_to_quickbooks_are_as_before(entity_type: EntityType, data: st.DataObject) -> None:
    row = data.draw(customer_rows(entity_type))
    extras = {
        "parent_qbo_id": data.draw(st.none() | st.just("7")),
        "currency": data.draw(st.none() | st.just("EUR")),
        "sales_term": data.draw(st.none() | st.just({"value": "3"})),
        "customer_type": data.draw(st.none() | st.just({"value": "CT"})),
        "primary_contact": data.draw(st.none() | st.fixed_dictionaries({"firstname": TEXT, "lastname": TEXT})),
    }
    assert _outcome(lambda: crm_to_customer(entity_type, row, **extras)) == _outcome(
        lambda: legacy.crm_to_customer(entity_type, row, **extras)
    )


@pytest.mark.parametrize("entity_type", CUSTOMERS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_customers_to_crm_are_as_before(entity_type: EntityType, data: st.DataObject) -> None:
    body = data.draw(customer_bodies(entity_type))
    assert customer_to_crm(entity_type, body) == legacy.customer_to_crm(entity_type, body)


@st.composite
def transactions(draw: st.DrawFn, entity_type: EntityType) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    header_columns = sorted(
        {row.crm for row in DEFAULT_MAPPINGS[entity_type] if row.crm and not row.crm.startswith("line.")}
    )
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    for column in header_columns:
        if column in HEADER_DATES:
            strategies[column] = DATES | st.none()
        elif column in HEADER_NUMBERS:
            strategies[column] = AMOUNTS | st.none()
        else:
            strategies[column] = TEXT | st.none()
    header: dict[str, Any] = draw(st.fixed_dictionaries({}, optional=strategies))
    line = st.fixed_dictionaries(
        {},
        optional={
            "_productid_value": st.sampled_from(["P1", "p2", "P3"]),
            "isproductoverridden": st.booleans(),
            "productdescription": TEXT,
            "description": TEXT,
            "quantity": AMOUNTS,
            "priceperunit": AMOUNTS,
            "manualdiscountamount": AMOUNTS,
            "sequencenumber": st.integers(min_value=1, max_value=5),
        },
    )
    return header, draw(st.lists(line, max_size=3))


@pytest.mark.parametrize("entity_type", TRANSACTIONS)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_transactions_to_quickbooks_are_as_before(entity_type: EntityType, data: st.DataObject) -> None:
    header, lines = data.draw(transactions(entity_type))
    items = data.draw(st.sampled_from([{}, {"p1": "Q1", "p2": "Q2"}, {"p1": "Q1", "p2": "Q2", "p3": "Q3"}]))
    services = data.draw(st.sampled_from([ServiceItems(), ServiceItems(write_in="W", discount="D", shipping="S")]))
    kwargs: dict[str, Any] = {"customer_qbo_id": "C1", "item_ids": items, "service_items": services}
    assert _outcome(lambda: crm_to_transaction(entity_type, header, lines, **kwargs)) == _outcome(
        lambda: legacy.crm_to_transaction(entity_type, header, lines, **kwargs)
    )


# ---- the table is the source of the rows it executes ----


def _without(monkeypatch: pytest.MonkeyPatch, entity_type: EntityType, crm: str, qbo: str) -> None:
    rows = tuple(r for r in DEFAULT_MAPPINGS[entity_type] if (r.crm, r.qbo) != (crm, qbo))
    assert len(rows) == len(DEFAULT_MAPPINGS[entity_type]) - 1
    monkeypatch.setitem(tables_module.DEFAULT_MAPPINGS, entity_type, rows)


ACME: Mapping[str, Any] = {"name": "Acme", "telephone2": "555-2", "emailaddress1": "a@acme.example"}


def test_a_row_taken_out_of_the_table_is_no_longer_written(monkeypatch: pytest.MonkeyPatch) -> None:
    before = crm_to_customer(EntityType.ACCOUNT, ACME)
    assert before["AlternatePhone"] == {"FreeFormNumber": "555-2"}
    _without(monkeypatch, EntityType.ACCOUNT, "telephone2", "AlternatePhone.FreeFormNumber")
    _without(monkeypatch, EntityType.ACCOUNT, "emailaddress1", "PrimaryEmailAddr.Address")
    after = crm_to_customer(EntityType.ACCOUNT, ACME)
    assert "AlternatePhone" not in after and "PrimaryEmailAddr" not in after
    assert (
        customer_to_crm(EntityType.ACCOUNT, {"DisplayName": "Acme", "PrimaryEmailAddr": {"Address": "x"}}).get(
            "emailaddress1"
        )
        is None
    )


def test_a_date_row_taken_out_of_the_invoice_table_is_no_longer_written(monkeypatch: pytest.MonkeyPatch) -> None:
    header = {"name": "memo", "duedate": "2026-03-01T00:00:00Z"}
    lines = [{"_productid_value": "P1", "quantity": 1, "priceperunit": 2}]
    kwargs: dict[str, Any] = {"customer_qbo_id": "C1", "item_ids": {"p1": "Q1"}, "service_items": ServiceItems()}
    assert crm_to_transaction(EntityType.INVOICE, header, lines, **kwargs)["DueDate"] == "2026-03-01"
    _without(monkeypatch, EntityType.INVOICE, "duedate", "DueDate")
    assert "DueDate" not in crm_to_transaction(EntityType.INVOICE, header, lines, **kwargs)


@pytest.mark.parametrize("entity_type", list(SYNCED_ENTITY_TYPES))
def test_executed_rows_are_plain_copies_or_transforms(entity_type: EntityType) -> None:
    """A row the table executes reads one CRM column and depends on nothing the engine resolves."""
    for row in table_rows(entity_type):
        assert row.crm and not row.crm.startswith("line."), row
        assert row.when is None and not row.custom, row
        assert row.transform in (Transform.COPY, Transform.NAME, Transform.DATE), row
        assert row.direction is not Direction.ON_CREATE, row


def test_every_built_in_row_is_executed_or_marked() -> None:
    executed = {et: {(r.crm, r.qbo) for r in table_rows(et)} for et in SYNCED_ENTITY_TYPES}
    assert executed[EntityType.ACCOUNT] == {
        ("telephone1", "PrimaryPhone.FreeFormNumber"),
        ("telephone2", "AlternatePhone.FreeFormNumber"),
        ("emailaddress1", "PrimaryEmailAddr.Address"),
        ("fax", "Fax.FreeFormNumber"),
        ("websiteurl", "WebAddr.URI"),
    }
    assert executed[EntityType.CONTACT] == executed[EntityType.ACCOUNT] | {
        ("mobilephone", "Mobile.FreeFormNumber"),
        ("middlename", "MiddleName"),
    }
    assert executed[EntityType.INVOICE] == {("requestdeliveryby", "ShipDate"), ("duedate", "DueDate")}
    specials = {r.special for rows in DEFAULT_MAPPINGS.values() for r in rows if r.special}
    assert specials == set(Special)
