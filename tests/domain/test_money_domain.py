"""Invoice status from QuickBooks' figures, the AgedReceivables reader, and a payment's applications."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from inolink_tui.domain.aging import Aging, ReportShapeError, parse_aged_receivables
from inolink_tui.domain.invoice_status import INVOICE_STATUS_OPTIONS, InvoiceStatus, invoice_status
from inolink_tui.domain.payments import Application, applications

TODAY = date(2026, 3, 15)
COLUMNS = {
    "Column": [{"ColTitle": ""}]
    + [{"ColTitle": t} for t in ("Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total")]
}


@pytest.mark.parametrize(
    ("total", "balance", "due", "status"),
    [
        (100, 0, "2026-01-01", InvoiceStatus.PAID),
        (100, 40, "2026-04-01", InvoiceStatus.PARTIALLY_PAID),
        (100, 40, "2026-03-01", InvoiceStatus.OVERDUE),
        (100, 100, "2026-03-15", InvoiceStatus.OPEN),  # due today is not yet overdue
        (100, 100, "2026-03-14", InvoiceStatus.OVERDUE),
    ],
)
def test_invoice_status(total: int, balance: int, due: str, status: InvoiceStatus) -> None:
    assert invoice_status({"TotalAmt": total, "Balance": balance, "DueDate": due}, TODAY) is status


def test_a_voided_invoice_is_canceled_not_paid() -> None:
    """QuickBooks zeroes a voided invoice and puts "Voided" first in its memo: balance 0 is not a payment."""
    voided = {"TotalAmt": 0, "Balance": 0, "DueDate": "2026-01-01", "PrivateNote": "Voided - wrong customer"}
    assert invoice_status(voided, TODAY) is InvoiceStatus.CANCELED
    assert invoice_status({**voided, "PrivateNote": "Voided"}, TODAY) is InvoiceStatus.CANCELED
    # a zero invoice that was not voided, and a memo that merely starts so on a live invoice, are not canceled
    assert invoice_status({**voided, "PrivateNote": "free sample"}, TODAY) is InvoiceStatus.PAID
    assert invoice_status({**voided, "TotalAmt": 5, "Balance": 5}, TODAY) is InvoiceStatus.OVERDUE


def test_existing_status_values_are_kept_and_canceled_is_appended() -> None:
    """Orgs set up before hold 100000000-100000003; a new option may only go after them."""
    assert {s.value: v for s, v in INVOICE_STATUS_OPTIONS.items()} == {
        "Open": 100000000,
        "Partially Paid": 100000001,
        "Paid": 100000002,
        "Overdue": 100000003,
        "Canceled": 100000004,
    }


def test_aged_receivables_rows_at_any_depth_and_blank_cells() -> None:
    report = {
        "Columns": COLUMNS,
        "Rows": {
            "Row": [
                {
                    "ColData": [
                        {"id": "7", "value": "Amy"},
                        {"value": "10.00"},
                        {"value": ""},
                        {"value": ""},
                        {"value": ""},
                        {"value": "1,200.50"},
                        {"value": "1210.50"},
                    ],
                    "type": "Data",
                },
                {
                    "type": "Section",
                    "Header": {
                        "ColData": [{"id": "8", "value": "Parent"}]
                        + [{"value": "5.00"}]
                        + [{"value": ""}] * 4
                        + [{"value": "5.00"}]
                    },
                    "Rows": {
                        "Row": [
                            {
                                "ColData": [
                                    {"id": "9", "value": "Parent:Job"},
                                    {"value": ""},
                                    {"value": "3.00"},
                                    {"value": ""},
                                    {"value": ""},
                                    {"value": ""},
                                    {"value": "3.00"},
                                ],
                                "type": "Data",
                            }
                        ]
                    },
                    "Summary": {"ColData": [{"value": "Total Parent"}] + [{"value": "8.00"}] * 6},
                },
                {"group": "GrandTotal", "type": "Section", "Summary": {"ColData": [{"value": "TOTAL"}]}},
            ]
        },
    }
    aging = parse_aged_receivables(report)
    assert aging["7"] == Aging(Decimal("10.00"), over_90=Decimal("1200.50"), total=Decimal("1210.50"))
    assert aging["8"].total == Decimal("5.00") and aging["9"].days_1_30 == Decimal("3.00")
    assert set(aging) == {"7", "8", "9"}


def test_a_report_without_the_aging_columns_is_refused() -> None:
    with pytest.raises(ReportShapeError):
        parse_aged_receivables({"Columns": {"Column": [{"ColTitle": "Total"}]}, "Rows": {}})


def test_applications_add_up_per_invoice_and_skip_other_links() -> None:
    payment = {
        "Line": [
            {"Amount": 30, "LinkedTxn": [{"TxnId": "5", "TxnType": "Invoice"}]},
            {"Amount": 20, "LinkedTxn": [{"TxnId": "5", "TxnType": "Invoice"}]},
            {"Amount": 15, "LinkedTxn": [{"TxnId": "9", "TxnType": "CreditMemo"}]},
        ]
    }
    assert applications(payment) == [Application("5", Decimal(50))]
