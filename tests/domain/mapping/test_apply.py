"""Custom mapping rows applied on top of the built-in mapping, both ways, with every transform."""

from __future__ import annotations

from pathlib import Path

import pytest

from inolink_tui.domain.conflicts import conflict_of, losing_fields, sent_fields
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping import crm_to_customer, customer_to_crm, sparse_update
from inolink_tui.domain.mapping.apply import FORMATTED, MappingContext, apply_to_crm, apply_to_qbo
from inolink_tui.domain.mapping.custom import LocatedMapping, MappingOrigin
from inolink_tui.domain.mapping.diff import changed_fields
from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.tables import Direction, FieldMapping, Transform

A = EntityType.ACCOUNT
B, Q, C, N = Direction.BOTH, Direction.TO_QUICKBOOKS, Direction.TO_CRM, Direction.ON_CREATE


def row(crm: str | None, qbo: str, direction: Direction = B, transform: Transform = Transform.COPY, **kw: object):
    return FieldMapping(crm, qbo, direction, transform, custom=True, **kw)  # type: ignore[arg-type]


def located(*rows: FieldMapping, replaces: tuple[int, ...] = ()) -> list[LocatedMapping]:
    return [
        LocatedMapping(A, r, MappingOrigin(Path("c.toml"), "account", i, 10 + i), replaces=i in replaces)
        for i, r in enumerate(rows)
    ]


CTX = MappingContext(
    custom_fields={"account number": "11", "tier": "12", "credit limit": "13"},
    linked_qbo_ids={"primarycontactid": "77"},
    crm_binds={"new_parent": "/accounts(abc)"},
    choice_values={"new_customertier": {"gold": 100000000, "silver": 100000001}},
)
ROWS = located(
    row("accountnumber", "CustomField:Account Number"),
    row("creditlimit", "CustomField:Credit Limit", transform=Transform.MONEY, fmt="2"),
    row("new_customertier", "CustomField:Tier", transform=Transform.VALUE_MAP, values=(("Gold", "A"), ("Silver", "B"))),
    row("description", "Notes", Q, Transform.TRUNCATE),
    row(None, "PreferredDeliveryMethod", N, Transform.CONSTANT, constant="Email"),
    row(None, "PrintOnCheckName", Q, Transform.TEMPLATE, template="{name} ({accountnumber})"),
    row("websiteurl", "WebAddr.URI", Q, Transform.LOWER),
    row("new_since", "OpenBalanceDate", Q, Transform.DATE, fmt="%Y-%m-%d"),
    row("new_code", "ResaleNum", B, Transform.UPPER),
)
CRM_ROW = {
    "name": "Acme",
    "accountnumber": "ACC-1",
    "creditlimit": 5000,
    "new_customertier": 100000000,
    f"new_customertier{FORMATTED}": "Gold",
    "description": "x" * 2100,
    "websiteurl": "HTTP://Acme.Example",
    "new_since": "2024-03-05T00:00:00Z",
    "new_code": "ab-1",
}


def test_a_push_carries_every_custom_row_on_top_of_the_built_in_body() -> None:
    base = crm_to_customer(A, CRM_ROW)
    body = apply_to_qbo(A, "Customer", ROWS, CRM_ROW, base, CTX, create=True)
    assert body["DisplayName"] == "Acme" and body["CompanyName"] == "Acme"  # the built-in rows still there
    assert body["CustomField"] == [
        {"DefinitionId": "11", "Name": "Account Number", "Type": "StringType", "StringValue": "ACC-1"},
        {"DefinitionId": "13", "Name": "Credit Limit", "Type": "StringType", "StringValue": "5000.00"},
        {"DefinitionId": "12", "Name": "Tier", "Type": "StringType", "StringValue": "A"},
    ]
    assert body["Notes"] == "x" * 2000  # truncated to QuickBooks' documented 2000 for Customer Notes
    assert body["PreferredDeliveryMethod"] == "Email"
    assert body["PrintOnCheckName"] == "Acme (ACC-1)"
    assert body["WebAddr"] == {"URI": "http://acme.example"}  # the built-in websiteurl row's value, lowered
    assert body["OpenBalanceDate"] == "2024-03-05"
    assert body["ResaleNum"] == "AB-1"
    update = apply_to_qbo(A, "Customer", ROWS, CRM_ROW, base, CTX, create=False)
    assert "PreferredDeliveryMethod" not in update  # on_create only


def test_a_pull_carries_the_rows_back_and_value_maps_by_label() -> None:
    customer = {
        "DisplayName": "Acme",
        "CompanyName": "Acme",
        "ResaleNum": "zz-9",
        "CustomField": [
            {"DefinitionId": "11", "Name": "Account Number", "Type": "StringType", "StringValue": "ACC-2"},
            {"DefinitionId": "12", "Name": "Tier", "Type": "StringType", "StringValue": "B"},
            {"DefinitionId": "13", "Name": "Credit Limit", "Type": "StringType", "StringValue": "7,500.5"},
            {"DefinitionId": "99", "Name": "Unmapped", "Type": "StringType", "StringValue": "q"},
        ],
    }
    columns = apply_to_crm(A, ROWS, customer, customer_to_crm(A, customer), CTX)
    assert columns["name"] == "Acme"
    assert columns["accountnumber"] == "ACC-2"
    assert columns["new_customertier"] == 100000001  # "B" -> the label Silver -> its choice value
    assert columns["creditlimit"] == 7500.5
    assert columns["new_code"] == "ZZ-9"
    assert "description" not in columns and "websiteurl" in columns  # to-QuickBooks rows leave CRM alone


def test_a_replaced_built_in_row_that_no_longer_goes_one_way_is_taken_out() -> None:
    rows = located(row("telephone1", "PrimaryPhone.FreeFormNumber", Q), replaces=(0,))
    customer = {"DisplayName": "Acme", "CompanyName": "Acme", "PrimaryPhone": {"FreeFormNumber": "555"}}
    columns = apply_to_crm(A, rows, customer, customer_to_crm(A, customer), CTX)
    assert "telephone1" not in columns  # built in both ways; the custom row sends it to QuickBooks only
    rows = located(row("telephone1", "PrimaryPhone.FreeFormNumber", C), replaces=(0,))
    body = apply_to_qbo(
        A,
        "Customer",
        rows,
        {"name": "Acme", "telephone1": "1"},
        {"PrimaryPhone": {"FreeFormNumber": "1"}},
        CTX,
        create=True,
    )
    assert "PrimaryPhone" not in body


def test_lookups_resolve_through_the_engine_context() -> None:
    rows = located(row("primarycontactid", "ParentRef.value", Q, Transform.LOOKUP))
    body = apply_to_qbo(A, "Customer", rows, {"_primarycontactid_value": "c-1"}, {}, CTX, create=True)
    assert body["ParentRef"] == {"value": "77"}
    unlinked = MappingContext()
    with pytest.raises(MappingError, match="not linked to QuickBooks"):
        apply_to_qbo(A, "Customer", rows, {"_primarycontactid_value": "c-1"}, {}, unlinked, create=True)
    back = located(row("new_parent", "ParentRef.value", B, Transform.LOOKUP))
    assert apply_to_crm(A, back, {"ParentRef": {"value": "5"}}, {}, CTX) == {"new_parent@odata.bind": "/accounts(abc)"}


def test_values_outside_the_map_and_unknown_custom_fields_fail_the_job_with_the_config_line() -> None:
    with pytest.raises(MappingError, match=r"c.toml:12: mapping.account\[2\]: CRM new_customertier value 100000002"):
        apply_to_qbo(
            A,
            "Customer",
            ROWS,
            {**CRM_ROW, "new_customertier": 100000002, f"new_customertier{FORMATTED}": "Bronze"},
            {},
            CTX,
            create=True,
        )
    with pytest.raises(MappingError, match="QuickBooks has no custom field named 'Account Number'"):
        apply_to_qbo(A, "Customer", ROWS[:1], CRM_ROW, {}, MappingContext(), create=True)


def test_custom_fields_are_compared_per_definition_so_an_echo_changes_nothing() -> None:
    current = {
        "Id": "5",
        "SyncToken": "3",
        "CustomField": [
            {"DefinitionId": "99", "Name": "Other", "Type": "StringType", "StringValue": "kept"},
            {"DefinitionId": "13", "Name": "Credit Limit", "Type": "StringType", "StringValue": "5000.00"},
            {"DefinitionId": "11", "Name": "Account Number", "Type": "StringType", "StringValue": "ACC-1"},
        ],
    }
    desired = apply_to_qbo(A, "Customer", ROWS[:2], CRM_ROW, {}, CTX, create=False)
    assert sparse_update(current, desired) is None  # same values in another order, an unmapped one beside them
    changed = apply_to_qbo(A, "Customer", ROWS[:2], {**CRM_ROW, "accountnumber": "ACC-9"}, {}, CTX, create=False)
    body = sparse_update(current, changed)
    assert body is not None and [e["StringValue"] for e in body["CustomField"]] == ["ACC-9"]
    assert changed_fields({"CustomField": []}, {"CustomField": [{"DefinitionId": "1", "StringValue": ""}]}) == {}


def test_a_conflict_on_a_custom_field_is_recorded_and_shown_per_field() -> None:
    current = {"CustomField": [{"DefinitionId": "11", "Name": "Account Number", "StringValue": "QB-EDIT"}]}
    body = {
        "Id": "5",
        "SyncToken": "3",
        "sparse": True,
        "CustomField": [{"DefinitionId": "11", "Name": "Account Number", "StringValue": "CRM-EDIT"}],
    }
    payload = {
        "conflict": {
            "winner": "CRM",
            "losing_side": "QuickBooks",
            "losing_values": losing_fields(current, body),
            "winning_values": sent_fields(body),
        }
    }
    conflict = conflict_of(payload)
    assert conflict is not None
    [field] = conflict.fields
    assert (field.field, field.losing, field.winning) == ("CustomField:Account Number", "QB-EDIT", "CRM-EDIT")
    # re-applying writes back exactly the entry QuickBooks lost
    assert payload["conflict"]["losing_values"] == {"CustomField": current["CustomField"]}
