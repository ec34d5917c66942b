"""The Sales by Customer Summary report (`GET /v3/company/<realm>/reports/CustomerSales`), computed from the
company's sales forms as QuickBooks computes it.

Sources:
- https://developer.intuit.com/app/developer/qbo/docs/workflows/run-reports: "Sales by Customer Summary"
  is the Reports API endpoint `CustomerSales`, of the "Review Sales" reports.
- developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/customersales: query
  parameters `start_date` / `end_date` (YYYY-MM-DD) or `date_macro`, `accounting_method` (`Cash` or
  `Accrual`), `customer` (comma separated Ids), `summarize_column_by`, `class`, `department`, `item`; the
  default period is "This Fiscal Year-to-date".
- The summary's figures are "before tax, in the company's home currency" (a QuickBooks integrator's
  description of this report: https://glama.ai/mcp/connectors/co.lumman/books/tools/reports_totals_by_contact).

What Intuit's pages leave open, and the reading the sandbox takes (QuickBooks' own help on the Sales by
Customer report describes it as sales income per customer):
- Which forms count: invoices and sales receipts add, credit memos and refund receipts take off (a credit
  memo is a negative sale); estimates (non-posting) and payments (not income) are left out. Voided forms
  count 0. Only forms dated within the period count.
- The amount of a form is its TotalAmt less its sales tax (`TxnTaxDetail.TotalTax`): discounts and shipping
  lines are part of the sale. Foreign forms are converted at their ExchangeRate, to the cent.
- `accounting_method=Cash`: "When you use the cash method, your report will count income when you receive the
  payment for your invoice" and "This includes the partial payments from the invoices" (QuickBooks' own
  answers on cash basis, quickbooks.intuit.com/learn-support/forums/.../reports-and-accounting/message-id/
  128036 and .../banking-uk/message-id/15135). So, on the cash basis: a sales receipt counts on its date and
  a refund receipt takes off on its date (both settled at once); an invoice counts as payments reach it,
  each payment line on the payment's TxnDate, before tax in the invoice's proportion (line x (TotalAmt -
  tax) / TotalAmt); a credit memo takes off as payments apply it, the same way. Vague, and the sandbox's
  reading: an unapplied payment (no form to attribute it to) and a credit memo not yet applied count nothing.
- `summarize_column_by` other than `Total`, `class`, `department` and `item` are accepted and ignored (one
  Total column).
- `date_macro`: "Today", "This Month-to-date", "This Year-to-date" and "This Fiscal Year-to-date" (the
  fiscal year starting in CompanyInfo.FiscalYearStartMonth); any other macro is fault 2170.
- Sub-customers are rows of their own, as in reports.py.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.money import money, zero
from inolink_tui.sandbox.quickbooks.reports import _report, customer_filter, report_date_param

if TYPE_CHECKING:
    from collections.abc import Mapping

    from inolink_tui.sandbox.quickbooks.state import QboState

SALES_FORMS: tuple[tuple[str, int], ...] = (
    ("Invoice", 1),
    ("SalesReceipt", 1),
    ("CreditMemo", -1),
    ("RefundReceipt", -1),
)
"""The sales forms the report counts, with their sign."""
MONTHS = {name: number for number, name in enumerate(calendar.month_name) if name}


def fiscal_year_start(state: QboState, today: date) -> date:
    """The first day of the fiscal year `today` is in (CompanyInfo.FiscalYearStartMonth, January by default)."""
    info = next(iter(state.records["CompanyInfo"].values()), {})
    month = MONTHS.get(str(info.get("FiscalYearStartMonth") or "January"), 1)
    year = today.year if today.month >= month else today.year - 1
    return date(year, month, 1)


def period(state: QboState, params: Mapping[str, str]) -> tuple[date, date]:
    today = date.fromisoformat(state.today())
    macro = params.get("date_macro")
    if params.get("start_date") or params.get("end_date") or not macro:
        end = report_date_param(params, "end_date", today)
        return report_date_param(params, "start_date", fiscal_year_start(state, end)), end
    starts = {
        "Today": today,
        "This Month-to-date": today.replace(day=1),
        "This Year-to-date": today.replace(month=1, day=1),
        "This Fiscal Year-to-date": fiscal_year_start(state, today),
    }
    if macro not in starts:
        raise QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {macro}", element="date_macro")
    return starts[macro], today


def sale_amount(record: Mapping[str, Any]) -> Decimal:
    """The form's sale before tax, in the home currency."""
    total = money(record.get("TotalAmt", 0), "TotalAmt")
    tax = money((record.get("TxnTaxDetail") or {}).get("TotalTax", 0), "TotalTax")
    rate = Decimal(str(record.get("ExchangeRate", 1)))
    return money((total - tax) * rate, "Amount")


def sales_by_customer(state: QboState, start: date, end: date) -> dict[str, Decimal]:
    """Customer Id -> sales in [start, end], the report's figure."""
    out: dict[str, Decimal] = {}
    for entity, sign in SALES_FORMS:
        for rid, record in (state.records.get(entity) or {}).items():
            if (entity, rid) in state.voided or not record.get("CustomerRef"):
                continue
            if not start <= date.fromisoformat(str(record.get("TxnDate"))) <= end:
                continue
            customer = str(record["CustomerRef"]["value"])
            out[customer] = out.get(customer, zero()) + sign * sale_amount(record)
    return out


CASH_SETTLED: tuple[tuple[str, int], ...] = (("SalesReceipt", 1), ("RefundReceipt", -1))
"""Forms paid when written: the same on both bases."""
CASH_THROUGH_PAYMENTS: dict[str, int] = {"Invoice": 1, "CreditMemo": -1}
"""Forms that count on the cash basis only as payments apply them."""


def _in(record: Mapping[str, Any], start: date, end: date) -> bool:
    return start <= date.fromisoformat(str(record.get("TxnDate"))) <= end


def cash_sales_by_customer(state: QboState, start: date, end: date) -> dict[str, Decimal]:
    """Customer Id -> sales received in [start, end] (the cash basis, module docstring)."""
    out: dict[str, Decimal] = {}

    def add(customer: str, amount: Decimal) -> None:
        out[customer] = out.get(customer, zero()) + amount

    for entity, sign in CASH_SETTLED:
        for rid, record in (state.records.get(entity) or {}).items():
            if (entity, rid) not in state.voided and record.get("CustomerRef") and _in(record, start, end):
                add(str(record["CustomerRef"]["value"]), sign * sale_amount(record))
    for payment in state.records["Payment"].values():
        if not _in(payment, start, end):
            continue
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn", []):
                direction = CASH_THROUGH_PAYMENTS.get(str(link.get("TxnType")))
                form = state.raw(str(link.get("TxnType")), str(link.get("TxnId"))) if direction else None
                if direction is None or form is None or not form.get("CustomerRef"):
                    continue
                total = money(form.get("TotalAmt", 0), "TotalAmt")
                share = money(line.get("Amount", 0), "Amount") / total if total else zero()
                add(str(form["CustomerRef"]["value"]), direction * money(sale_amount(form) * share, "Amount"))
    return out


def customer_sales(state: QboState, params: Mapping[str, str]) -> dict[str, Any]:
    method = params.get("accounting_method") or "Accrual"
    if method not in ("Accrual", "Cash"):
        raise QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {method}", element="accounting_method")
    start, end = period(state, params)
    wanted = customer_filter(params)
    rows = []
    figures = cash_sales_by_customer if method == "Cash" else sales_by_customer
    for customer_id, amount in figures(state, start, end).items():
        if amount == 0 or (wanted is not None and customer_id not in wanted):
            continue
        customer = state.raw("Customer", customer_id) or {}
        rows.append((customer_id, str(customer.get("FullyQualifiedName") or customer.get("DisplayName", "")), [amount]))
    rows.sort(key=lambda row: row[1].casefold())
    report = _report(state, "CustomerSales", params, end, ("Total",), rows)
    header = report["Header"]
    header["StartPeriod"], header["EndPeriod"] = start.isoformat(), end.isoformat()
    header["SummarizeColumnsBy"] = "Total"
    header["Option"] = [
        {"Name": "AccountingMethod", "Value": method},
        {"Name": "NoReportData", "Value": "false" if rows else "true"},
    ]
    return report
