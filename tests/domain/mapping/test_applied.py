"""AppliedField: what each mapped field of a job carried, read from both sides and kept in the payload."""

from __future__ import annotations

from decimal import Decimal

from inolink_tui.domain.mapping.applied import (
    TO_CRM,
    TO_QUICKBOOKS,
    AppliedField,
    applied_fields,
    applied_fields_of,
    value_at,
    with_applied,
)
from inolink_tui.domain.mapping.tables import Direction, FieldMapping, Transform

BODY = {
    "DisplayName": "Acme",
    "BillAddr": {"City": "Reno"},
    "CustomField": [{"DefinitionId": "1000000001", "Name": "Region", "Type": "StringType", "StringValue": "North"}],
    "Line": [{"Amount": 5, "Description": "a"}, {"Amount": 7}],
    "Balance": Decimal("12.50"),
}


def test_value_at_paths_custom_fields_and_lines() -> None:
    assert value_at(BODY, "BillAddr.City") == "Reno"
    assert value_at(BODY, "CustomField:region") == "North"
    assert value_at(BODY, "CustomField:Tier") is None
    assert value_at(BODY, "Line[].Amount") == [5, 7]
    assert value_at(BODY, "Line[].Description") == ["a"]
    assert value_at(BODY, "ShipAddr.City") is None


def test_applied_fields_follow_the_direction_and_survive_the_payload() -> None:
    rows = [
        FieldMapping("name", "DisplayName", Direction.BOTH, Transform.NAME),
        FieldMapping("new_region", "CustomField:Region", Direction.BOTH, custom=True),
        FieldMapping("new_balance", "Balance", Direction.TO_CRM, Transform.MONEY, custom=True),
        FieldMapping(
            "new_customertier", "CustomField:Tier", Direction.ON_CREATE, Transform.VALUE_MAP, values=(("Gold", "G"),)
        ),
    ]
    crm = {"name": "Acme", "new_region": "North", "new_balance": 12.5, "new_customertier": 100000000}
    pushed = applied_fields_of(rows, crm, BODY, TO_QUICKBOOKS)
    assert [(f.crm, f.qbo, f.crm_value, f.qbo_value, f.transform) for f in pushed] == [
        ("name", "DisplayName", "Acme", "Acme", "name"),
        ("new_region", "CustomField:Region", "North", "North", "copy"),
        ("new_customertier", "CustomField:Tier", 100000000, None, "value_map"),
    ]
    pulled = applied_fields_of(rows, crm, BODY, TO_CRM)
    assert [f.qbo for f in pulled] == ["DisplayName", "CustomField:Region", "Balance"]
    assert pulled[2].custom and pulled[2].direction == TO_CRM
    payload = with_applied({"truncated": []}, pulled)
    assert payload is not None and payload["truncated"] == []
    assert payload["fields"][2]["qbo_value"] == "12.50"  # Decimal kept JSON-safe
    back = applied_fields(payload)
    assert [f.qbo for f in back] == ["DisplayName", "CustomField:Region", "Balance"]
    assert back[2] == AppliedField("new_balance", "Balance", 12.5, "12.50", "money", TO_CRM, True)


def test_no_fields_and_foreign_payloads() -> None:
    assert with_applied(None, []) is None
    assert with_applied({"a": 1}, []) == {"a": 1}
    assert applied_fields(None) == []
    assert applied_fields({"fields": "nope"}) == []
    assert applied_fields({"fields": [{"crm": "x"}, 3, {"qbo": "Notes", "direction": "sideways"}]}) == [
        AppliedField(None, "Notes", None, None, "", TO_QUICKBOOKS, False)
    ]
