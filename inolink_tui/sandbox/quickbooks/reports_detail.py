"""The A/R Aging Detail report: every open item, in one section per aging period.

Source: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/aragingdetail
(`GET .../reports/AgedReceivableDetail`; query parameters `customer`, `term`, `start_duedate` /
`end_duedate`, `report_date`, `aging_method`, `past_due` ("minimum days past due"), `columns` (default
tx_date, txn_type, doc_num, due_date, subt_open_bal, subt_amount, memo); sections whose Header names the
period, e.g. "31 - 60 days past due", with Data rows whose ColData carry the record's `id`).

The reference's sample closes each period with a separate Section holding only a "Total for ..." header;
the sandbox puts that total in the section's `Summary` (the shape of the other reports). Periods are
listed oldest first, as in the sample. `num_periods`, `aging_period`, `shipvia` and the custom-field
filters are accepted and ignored (30-day periods, four of them, as by default). Amounts and aging are
computed as in `reports.py`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.money import zero
from inolink_tui.sandbox.quickbooks.reports import (
    AGING_METHODS,
    OpenItem,
    amount_text,
    bucket_index,
    choice,
    customer_filter,
    open_items,
    report_date_param,
    report_header,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from inolink_tui.sandbox.quickbooks.state import QboState

PERIODS = (
    "Current",
    "1 - 30 days past due",
    "31 - 60 days past due",
    "61 - 90 days past due",
    "91 or more days past due",
)
COLUMN_TITLES = {
    "tx_date": "Date",
    "txn_type": "Transaction Type",
    "doc_num": "Num",
    "cust_name": "Customer",
    "due_date": "Due Date",
    "past_due": "Past Due",
    "term_name": "Terms",
    "memo": "Memo/Description",
    "subt_amount": "Amount",
    "subt_open_bal": "Open Balance",
}
MONEY = ("subt_amount", "subt_open_bal")
DEFAULT_COLUMNS = ("tx_date", "txn_type", "doc_num", "cust_name", "due_date", "subt_amount", "subt_open_bal")
TXN_TYPE = {"Invoice": "Invoice", "CreditMemo": "Credit Memo", "Payment": "Payment"}


def _columns(params: Mapping[str, str]) -> tuple[str, ...]:
    text = params.get("columns")
    if not text:
        return DEFAULT_COLUMNS
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    for name in names:
        if name not in COLUMN_TITLES:
            raise QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {name}", element="columns")
    return names


def _cell(state: QboState, column: str, item: OpenItem, late: int) -> dict[str, str]:
    record = item.record
    if column == "cust_name":
        customer = state.raw("Customer", item.customer_id) or {}
        name = customer.get("FullyQualifiedName") or customer.get("DisplayName", "")
        return {"id": item.customer_id, "value": str(name)}
    if column == "txn_type":
        return {"id": str(record["Id"]), "value": TXN_TYPE[item.entity]}
    values = {
        "tx_date": str(record.get("TxnDate", "")),
        "doc_num": str(record.get("DocNumber", "")),
        "due_date": item.ages_from.isoformat(),
        "past_due": str(late),
        "term_name": str((record.get("SalesTermRef") or {}).get("name", "")),
        "memo": str(record.get("PrivateNote", "")),
        "subt_amount": amount_text(item.amount, blank_zero=False),
        "subt_open_bal": amount_text(item.open_amount, blank_zero=False),
    }
    return {"value": values[column]}


def _in_range(item: OpenItem, params: Mapping[str, str], late: int) -> bool:
    start = report_date_param(params, "start_duedate", date.min)
    end = report_date_param(params, "end_duedate", date.max)
    if not start <= item.ages_from <= end:
        return False
    if params.get("past_due"):
        try:
            if late < int(params["past_due"]):
                return False
        except ValueError:
            raise QboFault("2090", "Invalid Number", f"Invalid Number : {params['past_due']}", "past_due") from None
    terms = {t.strip() for t in params.get("term", "").split(",") if t.strip()}
    return not terms or str((item.record.get("SalesTermRef") or {}).get("value")) in terms


def aged_receivable_detail(state: QboState, params: Mapping[str, str]) -> dict[str, Any]:
    today = date.fromisoformat(state.today())
    report_date = report_date_param(params, "report_date", today)
    aging_date = report_date if choice(params, "aging_method", AGING_METHODS) == "Report_Date" else today
    wanted = customer_filter(params)
    columns = _columns(params)
    periods: list[list[tuple[OpenItem, int]]] = [[] for _ in PERIODS]
    for item in open_items(state, report_date):
        late = (aging_date - item.ages_from).days
        if (wanted is None or item.customer_id in wanted) and _in_range(item, params, late):
            periods[bucket_index(late)].append((item, late))
    sections: list[dict[str, Any]] = []
    for index in reversed(range(len(PERIODS))):
        entries = sorted(periods[index], key=lambda e: (e[0].ages_from, e[0].entity, int(e[0].record["Id"])))
        if not entries:
            continue
        totals = {
            m: sum((getattr(e[0], "amount" if m == "subt_amount" else "open_amount") for e in entries), zero())
            for m in MONEY
        }
        blank = [{"value": ""} for _ in columns[1:]]
        sections.append(
            {
                "Header": {"ColData": [{"value": PERIODS[index]}, *blank]},
                "Rows": {
                    "Row": [
                        {"ColData": [_cell(state, c, item, late) for c in columns], "type": "Data"}
                        for item, late in entries
                    ]
                },
                "Summary": {
                    "ColData": [{"value": f"Total for {PERIODS[index]}"}]
                    + [{"value": amount_text(totals[c], blank_zero=False) if c in MONEY else ""} for c in columns[1:]]
                },
                "type": "Section",
            }
        )
    return {
        "Header": report_header(state, "AgedReceivableDetail", params, report_date, has_data=bool(sections)),
        "Columns": {"Column": [{"ColType": c, "ColTitle": COLUMN_TITLES[c]} for c in columns]},
        "Rows": {"Row": sections} if sections else {},
    }
