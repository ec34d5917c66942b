"""The Reports API's receivables reports, computed from the company's transactions as QuickBooks does.

Sources (developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/...):
- `aragingsummary`: `GET /v3/company/<realm>/reports/AgedReceivables`; query parameters `customer` (comma
  separated Customer Ids), `report_date` ("default: today's date"), `aging_method` (`Report_Date`, the
  default, or `Current`), `sort_order` (`ascend` default, `descend`), `department`, `date_macro`, `qzurl`;
  columns Customer, Current, "1 - 30", "31 - 60", "61 - 90", "91 and over", Total; a data row per customer
  (`ColData` with the customer's `id`, empty strings for empty cells) and a `GrandTotal` section whose
  `Summary` says "TOTAL" with every column as "0.00"-style text; Header with `ReportName`, `Option`
  (`report_date`, `NoReportData`), `Currency`, `Time`, and `Customer` when that filter was given.
- `customerbalance`: `GET .../reports/CustomerBalance`, columns Customer and Total, same row shape.

What the pages leave open, and the reading the sandbox takes:
- Amounts are the open balance on the report date: an invoice's TotalAmt less the payments dated on or
  before it (later payments do not count); transactions dated after the report date are left out;
  voided ones are 0 and left out.
- Aging: days past due = (aging date - DueDate), where the aging date is the report date
  (`Report_Date`) or today (`Current`); 0 or less is Current. Unused credit (credit memos'
  remaining credit, payments' unapplied amount) is negative, aged from its TxnDate (credits have no
  DueDate), as A/R aging reports show open credits.
- Multicurrency: amounts in the home currency (foreign balance x the transaction's ExchangeRate), the
  report's Currency being the home currency.
- Sub-customers are rows of their own (the nested sections QuickBooks draws for jobs are not modelled);
  `date_macro`, `department` and `qzurl` are accepted and ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.money import money, zero
from inolink_tui.sandbox.quickbooks.rules.currency import home_currency

if TYPE_CHECKING:
    from collections.abc import Mapping

    from inolink_tui.sandbox.quickbooks.state import QboState

AGING_COLUMNS = ("Current", "1 - 30", "31 - 60", "61 - 90", "91 and over")
AGING_METHODS = ("Report_Date", "Current")
SORT_ORDERS = ("ascend", "descend")


@dataclass
class Aged:
    name: str
    buckets: list[Decimal] = field(default_factory=lambda: [zero() for _ in AGING_COLUMNS])

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, zero())


def bucket_index(days_past_due: int) -> int:
    """Current (not yet due), then 1-30, 31-60, 61-90 and 91 and over days past due."""
    if days_past_due <= 0:
        return 0
    if days_past_due <= 30:
        return 1
    if days_past_due <= 60:
        return 2
    if days_past_due <= 90:
        return 3
    return 4


def report_date_param(params: Mapping[str, str], name: str, default: date) -> date:
    text = params.get(name)
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise QboFault("2070", "Invalid Date", f"Invalid Date : {text}", element=name) from None


def choice(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name) or allowed[0]
    if value not in allowed:
        raise QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {value}", element=name)
    return value


def _applied_by(state: QboState, txn_type: str, txn_id: str, on: date) -> Decimal:
    total = zero()
    for payment in state.records["Payment"].values():
        if date.fromisoformat(str(payment.get("TxnDate"))) > on:
            continue
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn", []):
                if link.get("TxnType") == txn_type and str(link.get("TxnId")) == txn_id:
                    total += money(line.get("Amount", 0), "Amount")
    return total


@dataclass(frozen=True)
class OpenItem:
    """An invoice, credit memo or unapplied payment open on the report date (credits negative, home currency)."""

    entity: str
    record: dict[str, Any]
    customer_id: str
    amount: Decimal
    open_amount: Decimal
    ages_from: date


def open_items(state: QboState, on: date) -> list[OpenItem]:
    """Every item open on `on`, with the date it ages from (an invoice's DueDate, a credit's TxnDate)."""
    out: list[OpenItem] = []
    for entity, sign in (("Invoice", 1), ("CreditMemo", -1), ("Payment", -1)):
        for rid, record in state.records[entity].items():
            if (entity, rid) in state.voided or date.fromisoformat(str(record.get("TxnDate"))) > on:
                continue
            total = money(record.get("TotalAmt", 0), "TotalAmt")
            if entity == "Payment":
                left = money(record.get("UnappliedAmt", 0), "UnappliedAmt")
            else:
                left = total - _applied_by(state, entity, rid, on)
            if left == 0:
                continue
            rate = Decimal(str(record.get("ExchangeRate", 1)))
            ages_from = record.get("DueDate") if entity == "Invoice" else None
            out.append(
                OpenItem(
                    entity,
                    record,
                    str(record["CustomerRef"]["value"]),
                    sign * money(total * rate, "Amount"),
                    sign * money(left * rate, "Balance"),
                    date.fromisoformat(str(ages_from or record["TxnDate"])),
                )
            )
    return out


def customer_filter(params: Mapping[str, str]) -> set[str] | None:
    text = params.get("customer")
    if not text:
        return None
    return {part.strip() for part in text.split(",") if part.strip()}


def amount_text(amount: Decimal, *, blank_zero: bool) -> str:
    return "" if blank_zero and amount == 0 else f"{amount:.2f}"


def report_header(
    state: QboState, name: str, params: Mapping[str, str], report_date: date, *, has_data: bool
) -> dict[str, Any]:
    header: dict[str, Any] = {"Time": state.metadata_time(state.clock.now()), "ReportName": name}
    if params.get("customer"):
        header["Customer"] = params["customer"]
    header["DateMacro"] = params.get("date_macro") or "today"
    header["StartPeriod"] = report_date.isoformat()
    header["EndPeriod"] = report_date.isoformat()
    header["Currency"] = home_currency(state)
    header["Option"] = [
        {"Name": "report_date", "Value": report_date.isoformat()},
        {"Name": "NoReportData", "Value": "false" if has_data else "true"},
    ]
    return header


def _report(
    state: QboState,
    name: str,
    params: Mapping[str, str],
    report_date: date,
    titles: tuple[str, ...],
    rows: list[tuple[str, str, list[Decimal]]],
) -> dict[str, Any]:
    header = report_header(state, name, params, report_date, has_data=bool(rows))
    columns = [{"ColType": "Customer", "ColTitle": ""}] + [{"ColType": "Money", "ColTitle": t} for t in titles]
    out_rows: list[dict[str, Any]] = []
    totals = [zero() for _ in titles]
    for customer_id, display, amounts in rows:
        out_rows.append(
            {
                "ColData": [{"id": customer_id, "value": display}]
                + [{"value": amount_text(a, blank_zero=True)} for a in amounts],
                "type": "Data",
            }
        )
        totals = [t + a for t, a in zip(totals, amounts, strict=True)]
    body: dict[str, Any] = {"Header": header, "Columns": {"Column": columns}, "Rows": {}}
    if rows:
        out_rows.append(
            {
                "group": "GrandTotal",
                "type": "Section",
                "Summary": {
                    "ColData": [{"value": "TOTAL"}] + [{"value": amount_text(t, blank_zero=False)} for t in totals]
                },
            }
        )
        body["Rows"] = {"Row": out_rows}
    return body


def _sorted_rows(
    state: QboState, per_customer: dict[str, list[Decimal]], params: Mapping[str, str]
) -> list[tuple[str, str, list[Decimal]]]:
    order = choice(params, "sort_order", SORT_ORDERS)
    named = []
    for customer_id, amounts in per_customer.items():
        if all(a == 0 for a in amounts):
            continue
        customer = state.raw("Customer", customer_id) or {}
        named.append((customer_id, str(customer.get("FullyQualifiedName") or customer.get("DisplayName", "")), amounts))
    named.sort(key=lambda row: row[1].casefold(), reverse=order == "descend")
    return named


def aged_receivables(state: QboState, params: Mapping[str, str]) -> dict[str, Any]:
    today = date.fromisoformat(state.today())
    report_date = report_date_param(params, "report_date", today)
    method = choice(params, "aging_method", AGING_METHODS)
    aging_date = report_date if method == "Report_Date" else today
    wanted = customer_filter(params)
    per_customer: dict[str, list[Decimal]] = {}
    for item in open_items(state, report_date):
        if wanted is not None and item.customer_id not in wanted:
            continue
        buckets = per_customer.setdefault(item.customer_id, [zero() for _ in AGING_COLUMNS])
        buckets[bucket_index((aging_date - item.ages_from).days)] += item.open_amount
    rows = [
        (cid, display, [*amounts, sum(amounts, zero())])
        for cid, display, amounts in _sorted_rows(state, per_customer, params)
    ]
    return _report(state, "AgedReceivables", params, report_date, (*AGING_COLUMNS, "Total"), rows)


def customer_balance(state: QboState, params: Mapping[str, str]) -> dict[str, Any]:
    report_date = report_date_param(params, "report_date", date.fromisoformat(state.today()))
    wanted = customer_filter(params)
    per_customer: dict[str, list[Decimal]] = {}
    for item in open_items(state, report_date):
        if wanted is None or item.customer_id in wanted:
            per_customer.setdefault(item.customer_id, [zero()])[0] += item.open_amount
    rows = _sorted_rows(state, per_customer, params)
    return _report(state, "CustomerBalance", params, report_date, ("Total",), rows)


def run_report(state: QboState, name: str, params: Mapping[str, str]) -> dict[str, Any]:
    from inolink_tui.sandbox.quickbooks.reports_detail import aged_receivable_detail
    from inolink_tui.sandbox.quickbooks.reports_sales import customer_sales

    reports = {
        "AgedReceivables": aged_receivables,
        "CustomerBalance": customer_balance,
        "AgedReceivableDetail": aged_receivable_detail,
        "CustomerSales": customer_sales,
    }
    report = reports.get(name)
    if report is None:
        raise errors.unsupported(f"Operation reports/{name} is not supported.")
    return report(state, params)
