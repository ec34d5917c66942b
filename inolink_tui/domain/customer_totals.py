"""Last transaction date and year-to-date sales per customer, as QuickBooks states them (issue 16 item 2).

Year-to-date sales is QuickBooks' own Sales by Customer Summary report (`reports/CustomerSales`,
developer.intuit.com/app/developer/qbo/docs/workflows/run-reports, "Review Sales") for the fiscal year to
date, read in one request for every customer. Intuit's report pages do not list which forms count; the report
is QuickBooks' "sales income per customer": invoices and sales receipts add, credit memos and refund receipts
take off, before sales tax, in the home currency, on the accrual basis (asked for explicitly). Estimates and
payments are not sales. The fiscal year starts in CompanyInfo.FiscalYearStartMonth (January when absent),
as QuickBooks' "This Fiscal Year-to-date" period does.

Last transaction date has no QuickBooks field or report: it is the latest TxnDate of the customer's posting
transactions (invoices, sales receipts, credit memos, payments; estimates are non-posting and left out, as
QuickBooks leaves them out of the customer's balance). Refund receipts are not read (rare for an A/R customer;
the docs say nothing on what a "last transaction" is, so this is our reading). Voided forms still count: a
void keeps the form and its date in QuickBooks.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from inolink_tui.domain.aging import ReportShapeError, report_rows

LAST_TRANSACTION_ENTITIES: tuple[str, ...] = ("Invoice", "SalesReceipt", "CreditMemo", "Payment")
"""The posting transactions whose TxnDate makes a customer's last transaction date."""
MONTHS = {name: number for number, name in enumerate(calendar.month_name) if name}


@dataclass(frozen=True, slots=True)
class CustomerTotals:
    last_transaction: date | None = None
    ytd_sales: Decimal = Decimal(0)


NO_TOTALS = CustomerTotals()


def fiscal_year_start(today: date, start_month: str | None) -> date:
    """The first day of the fiscal year `today` is in; `start_month` as CompanyInfo names it ("January")."""
    month = MONTHS.get(str(start_month or "January").strip().capitalize(), 1)
    year = today.year if today.month >= month else today.year - 1
    return date(year, month, 1)


def sales_report_params(today: date, start_month: str | None) -> dict[str, str]:
    """The CustomerSales query for the fiscal year to date (explicit dates and basis: no server default)."""
    return {
        "start_date": fiscal_year_start(today, start_month).isoformat(),
        "end_date": today.isoformat(),
        "accounting_method": "Accrual",
    }


def parse_customer_sales(report: Mapping[str, Any]) -> dict[str, Decimal]:
    """Customer Id -> sales, from a CustomerSales report summarised by Total (its last Money column)."""
    columns = ((report.get("Columns") or {}).get("Column")) or []
    money = [i for i, c in enumerate(columns) if str(c.get("ColType") or "") == "Money"]
    if not money:
        raise ReportShapeError("CustomerSales has no Money column")
    index = money[-1]
    out: dict[str, Decimal] = {}
    for cells in report_rows(report.get("Rows")):
        customer_id = str(cells[0].get("id") or "")
        if not customer_id or index >= len(cells):
            continue
        text = str(cells[index].get("value") or "").replace(",", "").strip()
        try:
            out[customer_id] = Decimal(text) if text else Decimal(0)
        except InvalidOperation:
            raise ReportShapeError(f"{text!r} is not an amount") from None
    return out


def last_transaction_dates(transactions: Iterable[Mapping[str, Any]]) -> dict[str, date]:
    """Customer Id -> the latest TxnDate among `transactions` (any of LAST_TRANSACTION_ENTITIES)."""
    out: dict[str, date] = {}
    for txn in transactions:
        ref = txn.get("CustomerRef")
        customer = str(ref.get("value") or "") if isinstance(ref, Mapping) else ""
        try:
            when = date.fromisoformat(str(txn.get("TxnDate") or "")[:10])
        except ValueError:
            continue
        if customer and (customer not in out or when > out[customer]):
            out[customer] = when
    return out


def customer_totals(sales: Mapping[str, Decimal], last: Mapping[str, date]) -> dict[str, CustomerTotals]:
    return {c: CustomerTotals(last.get(c), sales.get(c, Decimal(0))) for c in {*sales, *last}}
