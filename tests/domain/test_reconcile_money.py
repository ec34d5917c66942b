"""The pure money checks of reconcile: invoice status and balance, payments and applications, aging."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from inolink_tui.domain.aging import Aging
from inolink_tui.domain.crm_schema import CrmSchema
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.invoice_status import INVOICE_STATUS_OPTIONS, InvoiceStatus
from inolink_tui.domain.reconcile import DriftKind, field_drift
from inolink_tui.domain.reconcile_money import aging_drift, invoice_drift, payment_drift

S = CrmSchema()
TODAY = date(2026, 6, 1)
INVOICE = {"Id": "7", "TotalAmt": "100.00", "Balance": "40.00", "DueDate": "2026-07-01"}


def test_an_invoice_that_agrees_to_the_cent_has_no_drift() -> None:
    row = {
        S.invoice_status: INVOICE_STATUS_OPTIONS[InvoiceStatus.PARTIALLY_PAID],
        S.amount_paid: 60.0,
        S.invoice_balance: 40.004,
    }
    assert invoice_drift(S, "INV-1", "c1", row, INVOICE, TODAY) == []


def test_an_invoice_paid_in_quickbooks_drifts_on_status_paid_and_balance() -> None:
    row = {S.invoice_status: INVOICE_STATUS_OPTIONS[InvoiceStatus.OPEN], S.amount_paid: 0, S.invoice_balance: 100}
    drifts = invoice_drift(S, "INV-1", "c1", row, INVOICE, TODAY)
    assert [(d.kind, d.field, d.crm_value, d.qbo_value) for d in drifts] == [
        (DriftKind.INVOICE, S.invoice_status, "Open", "Partially Paid"),
        (DriftKind.INVOICE, S.amount_paid, "0.00", "60.00"),
        (DriftKind.INVOICE, S.invoice_balance, "100.00", "40.00"),
    ]
    assert not any(d.fixable for d in drifts)


def test_an_invoice_never_written_back_drifts_from_empty() -> None:
    drifts = invoice_drift(S, "INV-1", "c1", {}, INVOICE, date(2026, 7, 2))
    assert (drifts[0].field, drifts[0].crm_value, drifts[0].qbo_value) == (S.invoice_status, None, "Overdue")


def _payment(pid: str, customer: str, *invoices: tuple[str, str]) -> dict[str, object]:
    lines = [{"Amount": a, "LinkedTxn": [{"TxnId": i, "TxnType": "Invoice"}]} for i, a in invoices]
    return {"Id": pid, "CustomerRef": {"value": customer, "name": "Acme"}, "TotalAmt": "30", "Line": lines}


def test_payments_missing_in_crm_or_missing_an_application_are_named() -> None:
    customers = {"1": (EntityType.ACCOUNT, "a1"), "2": (EntityType.CONTACT, "c2")}
    payments = [
        _payment("10", "1", ("7", "10.00")),  # recorded with its application
        _payment("11", "2", ("7", "5.00"), ("8", "25.00")),  # recorded, the application to invoice 8 missing
        _payment("12", "1", ("9", "30.00")),  # not recorded
        _payment("13", "99", ("9", "30.00")),  # an unlinked customer's: not drift
    ]
    drifts = payment_drift(payments, customers, {"10", "11"}, {"10|7", "11|7"})
    assert [(d.kind, d.entity_type, d.crm_id, d.qbo_id, d.field, d.qbo_value) for d in drifts] == [
        (DriftKind.APPLICATION, EntityType.CONTACT, "c2", "11", "invoice 8", "25.00"),
        (DriftKind.PAYMENT, EntityType.ACCOUNT, "a1", "12", "", "30.00"),
    ]
    assert drifts[1].name == "Payment 12 - Acme"


def test_aging_agrees_when_equal_and_names_each_bucket_that_differs() -> None:
    figures = {"5": Aging(current=Decimal("10"), days_31_60=Decimal("20.5"), total=Decimal("30.5"))}
    row = {S.open_balance: 30.5, S.aging_current: 10, S.overdue_31_to_60: 20.5}
    assert aging_drift(S, EntityType.ACCOUNT, "Acme", "a1", "5", row, figures) == []
    stale = {S.open_balance: 10, S.aging_current: 10}
    drifts = aging_drift(S, EntityType.CONTACT, "Ann", "c1", "5", stale, figures)
    assert [(d.field, d.crm_value, d.qbo_value) for d in drifts] == [
        (S.open_balance, "10.00", "30.50"),
        (S.overdue_31_to_60, "0.00", "20.50"),
    ]
    # A customer the report does not list owes nothing: CRM zeros (or empties) agree.
    assert aging_drift(S, EntityType.ACCOUNT, "Zed", "a2", "6", {S.open_balance: 0}, figures) == []


def test_an_empty_cost_or_quantity_equals_quickbooks_zero_but_not_another_value() -> None:
    mapped = {"currentcost": 0.0, "quantityonhand": 0.0, "price": 0.0}
    drifts = field_drift(EntityType.PRODUCT, "P", "p1", "3", {"price": None}, mapped)
    assert [d.field for d in drifts] == ["price"]
    drifts = field_drift(EntityType.PRODUCT, "P", "p1", "3", {}, {"currentcost": 4.5})
    assert [d.field for d in drifts] == ["currentcost"]
