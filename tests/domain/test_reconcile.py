"""The pure drift checks: mapped fields, balances to the cent, duplicate names."""

from __future__ import annotations

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.reconcile import DriftKind, balance_drift, duplicates, field_drift, table_rows


def test_field_drift_is_what_the_mapping_would_change() -> None:
    row = {"name": "Acme", "telephone1": "1", "address1_city": None}
    mapped = {"name": "Acme", "telephone1": "2", "address1_city": None}
    (drift,) = field_drift(EntityType.ACCOUNT, "Acme", "c1", "9", row, mapped)
    assert (drift.kind, drift.field, drift.crm_value, drift.qbo_value, drift.fixable) == (
        DriftKind.FIELD,
        "telephone1",
        "1",
        "2",
        True,
    )
    assert field_drift(EntityType.ACCOUNT, "Acme", "c1", "9", row, {"name": "Acme"}) == []


def test_balance_compares_to_the_cent_and_treats_missing_as_zero() -> None:
    assert balance_drift("A", "c", "q", None, 0) is None
    assert balance_drift("A", "c", "q", "10.004", 10) is None
    drift = balance_drift("A", "c", "q", 10, "12.5")
    assert drift is not None and (drift.crm_value, drift.qbo_value, drift.fixable) == ("10.00", "12.50", False)


def test_duplicates_ignore_case_and_spacing_per_side() -> None:
    found = duplicates(
        EntityType.ACCOUNT, "QuickBooks", [("1", "Acme  Ltd"), ("2", "acme ltd"), ("3", "Other"), ("4", "")]
    )
    assert [(d.kind, d.qbo_id, d.crm_id, d.side) for d in found] == [(DriftKind.DUPLICATE, "1,2", "", "QuickBooks")]
    assert duplicates(EntityType.ACCOUNT, "CRM", [("1", "A"), ("2", "B")]) == []
    assert table_rows(found)[0][0] == "duplicate"
