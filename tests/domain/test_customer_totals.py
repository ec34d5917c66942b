"""The pure rules of last transaction date and year-to-date sales (domain/customer_totals.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from inolink_tui.domain.aging import ReportShapeError
from inolink_tui.domain.customer_totals import (
    CustomerTotals,
    customer_totals,
    fiscal_year_start,
    last_transaction_dates,
    parse_customer_sales,
    sales_report_params,
)


def test_the_fiscal_year_starts_in_the_company_month() -> None:
    assert fiscal_year_start(date(2026, 3, 2), "January") == date(2026, 1, 1)
    assert fiscal_year_start(date(2026, 3, 2), None) == date(2026, 1, 1)
    assert fiscal_year_start(date(2026, 3, 2), "April") == date(2025, 4, 1)
    assert fiscal_year_start(date(2026, 4, 1), "april") == date(2026, 4, 1)
    assert sales_report_params(date(2026, 3, 2), "July") == {
        "start_date": "2025-07-01",
        "end_date": "2026-03-02",
        "accounting_method": "Accrual",
    }


def test_customer_sales_rows_at_any_depth_and_parents_on_headers() -> None:
    report = {
        "Columns": {"Column": [{"ColType": "Customer", "ColTitle": ""}, {"ColType": "Money", "ColTitle": "Total"}]},
        "Rows": {
            "Row": [
                {"ColData": [{"id": "1", "value": "Acme"}, {"value": "1,250.50"}], "type": "Data"},
                {
                    "Header": {"ColData": [{"id": "2", "value": "Parent"}, {"value": "10.00"}]},
                    "Rows": {"Row": [{"ColData": [{"id": "3", "value": "Job"}, {"value": "-4.00"}], "type": "Data"}]},
                    "type": "Section",
                },
                {"group": "GrandTotal", "Summary": {"ColData": [{"value": "TOTAL"}, {"value": "1256.50"}]}},
            ]
        },
    }
    assert parse_customer_sales(report) == {"1": Decimal("1250.50"), "2": Decimal(10), "3": Decimal(-4)}
    with pytest.raises(ReportShapeError):
        parse_customer_sales({"Columns": {"Column": [{"ColType": "Customer"}]}})


def test_last_transaction_date_is_the_latest_txn_date_per_customer() -> None:
    txns = [
        {"CustomerRef": {"value": "1"}, "TxnDate": "2026-01-05"},
        {"CustomerRef": {"value": "1"}, "TxnDate": "2026-02-28"},
        {"CustomerRef": {"value": "1"}, "TxnDate": "2025-12-31"},
        {"CustomerRef": {"value": "2"}, "TxnDate": "not a date"},
        {"TxnDate": "2026-03-01"},
    ]
    last = last_transaction_dates(txns)
    assert last == {"1": date(2026, 2, 28)}
    totals = customer_totals({"1": Decimal(5), "9": Decimal(7)}, last)
    assert totals == {"1": CustomerTotals(date(2026, 2, 28), Decimal(5)), "9": CustomerTotals(None, Decimal(7))}


def test_crm_setup_and_the_start_up_check_know_the_columns_under_the_prefix() -> None:
    # `crm setup` (engine/crm_setup.py plan_setup) and the engine's start-up check (engine_findings) both plan from
    # `requirements`: the two columns are there, named with the configured prefix, on both customer tables.
    from inolink_tui.domain.crm_requirements import Kind, requirements
    from inolink_tui.domain.crm_schema import CrmSchema

    specs = {(c.table, c.logical_name): c.kind for c in requirements(CrmSchema(prefix="acme")).columns}
    for table in ("account", "contact"):
        assert specs[(table, "acme_ytdsales")] is Kind.MONEY
        assert specs[(table, "acme_lasttransactiondate")] is Kind.DATETIME
