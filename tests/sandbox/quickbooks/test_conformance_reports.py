"""Conformance: the receivables reports (AgedReceivables, CustomerBalance) over HTTP, figures checked by hand.

AGING = https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/aragingsummary
BALANCE = https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/customerbalance
The company's today is 2026-03-02 (the sandbox clock in tests/sandbox/conftest.py, company offset -07:00).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tests.sandbox.conftest import Qbo
from tests.sandbox.quickbooks.money_helpers import books, credit_memo, customer, invoice, pay_line

__all__ = ["books"]

TODAY = date(2026, 3, 2)


def days(n: int) -> str:
    return (TODAY + timedelta(days=n)).isoformat()


async def report(qbo: Qbo, name: str, **params: str) -> dict[str, Any]:
    response = await qbo.get(f"reports/{name}", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def rows(body: dict[str, Any]) -> dict[str, list[str]]:
    """Customer id -> cell values of its data row, and "TOTAL" -> the grand total's."""
    out: dict[str, list[str]] = {}
    for row in body["Rows"].get("Row", []):
        if row.get("group") == "GrandTotal":
            out["TOTAL"] = [c["value"] for c in row["Summary"]["ColData"][1:]]
        else:
            out[row["ColData"][0]["id"]] = [c["value"] for c in row["ColData"][1:]]
    return out


async def _two_customers(qbo: Qbo) -> tuple[str, str]:
    first = (await customer(qbo, "Aging First"))["Id"]
    second = (await customer(qbo, "Aging Second"))["Id"]
    a = await invoice(qbo, first, "100.00", TxnDate=days(-45), DueDate=days(-15))  # 15 days late: 1 - 30
    await invoice(qbo, first, "50.00", DueDate=days(10))  # not due: Current
    await invoice(qbo, first, "70.00", TxnDate=days(-130), DueDate=days(-100))  # 91 and over
    await qbo.create(
        "Payment",
        {"CustomerRef": {"value": first}, "TotalAmt": 20, "TxnDate": days(-1), "Line": [pay_line("20", a["Id"])]},
    )
    await invoice(qbo, second, "30.00", TxnDate=days(-70), DueDate=days(-40))  # 31 - 60
    await invoice(qbo, second, "25.00", TxnDate=days(-90), DueDate=days(-75))  # 61 - 90
    return first, second


async def test_aged_receivables_columns_rows_and_grand_total(books: Qbo) -> None:
    # AGING: columns Customer, Current, 1 - 30, 31 - 60, 61 - 90, 91 and over, Total; one data row per customer
    # (ColData id = Customer.Id, "" for an empty cell) and a GrandTotal section with "TOTAL".
    first, second = await _two_customers(books)
    body = await report(books, "AgedReceivables", customer=f"{first},{second}")
    titles = [c["ColTitle"] for c in body["Columns"]["Column"]]
    assert titles == ["", "Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total"]
    assert [c["ColType"] for c in body["Columns"]["Column"]][:2] == ["Customer", "Money"]
    assert rows(body) == {
        first: ["50.00", "80.00", "", "", "70.00", "200.00"],
        second: ["", "", "30.00", "25.00", "", "55.00"],
        "TOTAL": ["50.00", "80.00", "30.00", "25.00", "70.00", "255.00"],
    }
    assert body["Rows"]["Row"][0]["ColData"][0]["value"] == "Aging First"  # ascend by name (sort_order default)


async def test_aged_receivables_header(books: Qbo) -> None:
    # AGING Header: ReportName, the Customer filter as sent, Option report_date (default today) and
    # NoReportData, Currency, Time.
    first, _second = await _two_customers(books)
    body = await report(books, "AgedReceivables", customer=first)
    header = body["Header"]
    assert header["ReportName"] == "AgedReceivables" and header["Customer"] == first
    assert header["Currency"] == "USD" and header["Time"].startswith("2026-03-02T")
    options = {o["Name"]: o["Value"] for o in header["Option"]}
    assert options == {"report_date": "2026-03-02", "NoReportData": "false"}
    assert "time" not in body


async def test_aged_receivables_no_data(books: Qbo) -> None:
    # AGING Option NoReportData: "If true, report contains no data."
    nobody = await customer(books, "Aging Nobody")
    body = await report(books, "AgedReceivables", customer=nobody["Id"])
    assert {o["Name"]: o["Value"] for o in body["Header"]["Option"]}["NoReportData"] == "true"
    assert rows(body) == {}


async def test_aged_receivables_bucket_edges(books: Qbo) -> None:
    # AGING columns: due today is Current, 1 and 30 days late are "1 - 30", 31 is "31 - 60", 90 is "61 - 90",
    # 91 is "91 and over".
    who = (await customer(books, "Aging Edges"))["Id"]
    for late, amount in ((0, "1.00"), (1, "2.00"), (30, "4.00"), (31, "8.00"), (90, "16.00"), (91, "32.00")):
        await invoice(books, who, amount, TxnDate=days(-late - 1), DueDate=days(-late))
    body = await report(books, "AgedReceivables", customer=who)
    assert rows(body)[who] == ["1.00", "6.00", "8.00", "16.00", "32.00", "63.00"]


async def test_aged_receivables_on_a_past_report_date(books: Qbo) -> None:
    # AGING report_date: "Start date to use for the report"; aging_method Report_Date (default) ages on it.
    # On 2026-02-20 the 20.00 payment (dated 2026-03-01) had not been made and the 50.00 invoice (dated today)
    # did not exist; the 1 - 30 invoice was 5 days late and the oldest 90 days late (61 - 90, not yet 91).
    first, _second = await _two_customers(books)
    body = await report(books, "AgedReceivables", customer=first, report_date=days(-10))
    assert rows(body)[first] == ["", "100.00", "", "70.00", "", "170.00"]


async def test_aged_receivables_aging_method_current(books: Qbo) -> None:
    # AGING aging_method: "The date upon which aging is determined. Supported Values: Report_Date, Current":
    # with Current, the open items of the report date are aged on today's date.
    who = (await customer(books, "Aging Current"))["Id"]
    await invoice(books, who, "10.00", TxnDate=days(-20), DueDate=days(-5))
    body = await report(books, "AgedReceivables", customer=who, report_date=days(-10), aging_method="Current")
    assert rows(body)[who] == ["", "10.00", "", "", "", "10.00"]
    body = await report(books, "AgedReceivables", customer=who, report_date=days(-10))
    assert rows(body)[who] == ["10.00", "", "", "", "", "10.00"]


async def test_aged_receivables_counts_open_credit_negative(books: Qbo) -> None:
    # An unapplied credit memo is money owed back: negative, aged from its TxnDate (it has no DueDate). The
    # reference shows no example; this is the sandbox's reading (reports.py docstring).
    who = (await customer(books, "Aging Credit"))["Id"]
    await invoice(books, who, "40.00", DueDate=days(5))
    await credit_memo(books, who, "15.00")
    body = await report(books, "AgedReceivables", customer=who)
    assert rows(body)[who] == ["25.00", "", "", "", "", "25.00"]


async def test_aged_receivables_sort_order_descend(books: Qbo) -> None:
    # AGING sort_order: ascend (default) or descend.
    first, second = await _two_customers(books)
    body = await report(books, "AgedReceivables", customer=f"{first},{second}", sort_order="descend")
    assert [r["ColData"][0]["id"] for r in body["Rows"]["Row"][:2]] == [second, first]


async def test_customer_balance_report(books: Qbo) -> None:
    # BALANCE: columns Customer and Total, one row per customer with an open balance and a GrandTotal.
    first, second = await _two_customers(books)
    body = await report(books, "CustomerBalance", customer=f"{first},{second}")
    assert body["Header"]["ReportName"] == "CustomerBalance"
    assert [c["ColTitle"] for c in body["Columns"]["Column"]] == ["", "Total"]
    assert rows(body) == {first: ["200.00"], second: ["55.00"], "TOTAL": ["255.00"]}


async def test_aging_totals_equal_the_customer_balances(books: Qbo) -> None:
    # The two reports and Customer.Balance agree for every customer with open items on today's date.
    aging = rows(await report(books, "AgedReceivables"))
    balance = rows(await report(books, "CustomerBalance"))
    assert aging and {k: v[-1] for k, v in aging.items()} == {k: v[-1] for k, v in balance.items()}
    for customer_id, cells in balance.items():
        if customer_id != "TOTAL":
            record = books.sandbox.qbo.raw("Customer", customer_id)
            assert record is not None and f"{record['Balance']:.2f}" == cells[0]


async def test_unknown_report_is_unsupported(books: Qbo) -> None:
    # reference §11: an unknown resource answers 400 with Fault 500 "Unsupported Operation".
    response = await books.get("reports/NoSuchReport")
    assert response.status_code == 400 and response.json()["Fault"]["Error"][0]["code"] == "500"


DETAIL = "https://developer.intuit.com/app/developer/qbo/docs/api/accounting/report-entities/aragingdetail"


async def test_aged_receivable_detail_sections_per_period(books: Qbo) -> None:
    # DETAIL: one Section per aging period, its Header naming it ("31 - 60 days past due"), Data rows per open
    # transaction; default columns tx_date, txn_type, doc_num, (cust_name), due_date, subt_amount, subt_open_bal.
    first, second = await _two_customers(books)
    body = await report(books, "AgedReceivableDetail", customer=f"{first},{second}")
    assert body["Header"]["ReportName"] == "AgedReceivableDetail"
    types = [c["ColType"] for c in body["Columns"]["Column"]]
    assert types == ["tx_date", "txn_type", "doc_num", "cust_name", "due_date", "subt_amount", "subt_open_bal"]
    sections = body["Rows"]["Row"]
    titles = [s["Header"]["ColData"][0]["value"] for s in sections]
    assert titles == [
        "91 or more days past due",
        "61 - 90 days past due",
        "31 - 60 days past due",
        "1 - 30 days past due",
        "Current",
    ]
    late = sections[3]["Rows"]["Row"]
    assert [[c["value"] for c in row["ColData"]][4:] for row in late] == [[days(-15), "100.00", "80.00"]]
    assert late[0]["ColData"][1]["value"] == "Invoice" and late[0]["ColData"][3]["id"] == first
    assert sections[3]["Summary"]["ColData"][0]["value"] == "Total for 1 - 30 days past due"
    assert sections[3]["Summary"]["ColData"][-1]["value"] == "80.00"


async def test_aged_receivable_detail_filters(books: Qbo) -> None:
    # DETAIL query parameters: past_due ("minimum days past due"), start_duedate / end_duedate ("the range of
    # dates over which receivables are due"), columns (the column types to show).
    first, second = await _two_customers(books)
    body = await report(
        books, "AgedReceivableDetail", customer=f"{first},{second}", past_due="31", columns="cust_name,subt_open_bal"
    )
    cells = [[c["value"] for c in row["ColData"]] for s in body["Rows"]["Row"] for row in s["Rows"]["Row"]]
    assert cells == [["Aging First", "70.00"], ["Aging Second", "25.00"], ["Aging Second", "30.00"]]
    body = await report(
        books, "AgedReceivableDetail", customer=first, start_duedate=days(-20), end_duedate=days(0), columns="due_date"
    )
    assert [row["ColData"][0]["value"] for s in body["Rows"]["Row"] for row in s["Rows"]["Row"]] == [days(-15)]
