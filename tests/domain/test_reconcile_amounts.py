"""reconcile's amount checks of recorded payments (domain/reconcile_amounts.py), to the cent."""

from __future__ import annotations

from inolink_tui.domain.crm_schema import DEFAULT_SCHEMA as S
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.reconcile import Drift, DriftKind
from inolink_tui.domain.reconcile_amounts import fixable_by_payment, payment_amount_drift

P = S.payment
PAYMENT = {
    "Id": "9",
    "PaymentRefNum": "CHK-1",
    "CustomerRef": {"value": "1", "name": "Acme"},
    "TotalAmt": 100,
    "UnappliedAmt": 10,
    "Line": [
        {"Amount": 60, "LinkedTxn": [{"TxnId": "7", "TxnType": "Invoice"}]},
        {"Amount": 30, "LinkedTxn": [{"TxnId": "8", "TxnType": "Invoice"}]},
    ],
}
CUSTOMERS = {"1": (EntityType.ACCOUNT, "a1")}


def test_recorded_amounts_equal_to_the_cent_are_no_drift() -> None:
    rows = {"9": {P("amount"): 100.004, P("unappliedamount"): 10}}
    apps = {"9|7": {P("amountapplied"): 60}, "9|8": {P("amountapplied"): "30.00"}}
    assert payment_amount_drift(S, [PAYMENT], CUSTOMERS, rows, apps) == []


def test_differing_amounts_and_a_stale_application_are_reported() -> None:
    rows = {"9": {P("amount"): 90, P("unappliedamount"): None}}
    apps = {"9|7": {P("amountapplied"): 50}, "9|8": {P("amountapplied"): 30}, "9|6": {P("amountapplied"): 5}}
    drifts = payment_amount_drift(S, [PAYMENT], CUSTOMERS, rows, apps)
    got = [(d.kind, d.field, d.crm_value, d.qbo_value, d.fixable, d.fix_payment) for d in drifts]
    assert got == [
        (DriftKind.PAYMENT, "amount", "90.00", "100.00", True, "9"),
        (DriftKind.PAYMENT, "unapplied amount", "0.00", "10.00", True, "9"),
        (DriftKind.APPLICATION, "invoice 7 applied", "50.00", "60.00", True, "9"),
        (DriftKind.APPLICATION, "invoice 6 applied", "5.00", None, False, ""),
    ]
    assert {d.name for d in drifts} == {"Payment CHK-1 - Acme"} and {d.crm_id for d in drifts} == {"a1"}


def test_unlinked_or_unrecorded_payments_are_left_to_the_existence_check() -> None:
    assert payment_amount_drift(S, [PAYMENT], {}, {"9": {}}, {}) == []
    assert payment_amount_drift(S, [PAYMENT], CUSTOMERS, {}, {}) == []
    missing = Drift(DriftKind.PAYMENT, EntityType.ACCOUNT, "Payment 9", "a1", "9")
    other = Drift(DriftKind.AGING, EntityType.ACCOUNT, "Acme", "a1", "1")
    fixed = fixable_by_payment([missing, other])
    assert fixed[0].fixable and fixed[0].fix_payment == "9"
    assert fixed[1] == other


def test_sales_and_last_transaction_date_against_quickbooks() -> None:
    from datetime import date
    from decimal import Decimal

    from inolink_tui.domain.customer_totals import CustomerTotals
    from inolink_tui.domain.reconcile_amounts import totals_drift

    totals = {"1": CustomerTotals(date(2026, 2, 28), Decimal("125.5"))}
    same = {S.ytd_sales: 125.5, S.last_transaction_date: "2026-02-28T00:00:00Z"}
    assert totals_drift(S, EntityType.ACCOUNT, "Acme", "a1", "1", same, totals) == []
    assert totals_drift(S, EntityType.ACCOUNT, "Idle", "a2", "2", {}, totals) == []  # no sales, no date: empty
    drifts = totals_drift(S, EntityType.CONTACT, "Acme", "c1", "1", {S.ytd_sales: 100}, totals)
    assert [(d.kind, d.field, d.crm_value, d.qbo_value) for d in drifts] == [
        (DriftKind.AGING, S.ytd_sales, "100.00", "125.50"),
        (DriftKind.AGING, S.last_transaction_date, None, "2026-02-28"),
    ]
