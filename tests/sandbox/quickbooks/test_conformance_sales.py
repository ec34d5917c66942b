"""Conformance: the Sales by Customer Summary report (`reports/CustomerSales`) over HTTP, figures by hand.

RUN_REPORTS = https://developer.intuit.com/app/developer/qbo/docs/workflows/run-reports ("Sales by Customer
Summary: CustomerSales"); the forms counted and the before-tax amounts are the reading documented in
inolink_tui/sandbox/quickbooks/reports_sales.py. The company's today is 2026-03-02 (tests/sandbox/conftest.py).
"""

from __future__ import annotations

from tests.sandbox.conftest import Qbo
from tests.sandbox.quickbooks.money_helpers import (
    books,
    credit_memo,
    customer,
    fault,
    invoice,
    item_id,
    pay_line,
    sales_line,
)
from tests.sandbox.quickbooks.test_conformance_reports import report, rows

__all__ = ["books"]


async def test_customer_sales_counts_sales_forms_before_tax_within_the_period(books: Qbo) -> None:
    buyer = (await customer(books, "Sales First"))["Id"]
    other = (await customer(books, "Sales Second"))["Id"]
    service = await item_id(books)
    await books.create(  # 100 taxable at the seeded 8 % California rate: 108 total, 100 of sales
        "Invoice",
        {
            "CustomerRef": {"value": buyer},
            "TxnDate": "2026-02-10",
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
            "Line": [sales_line(service, "100.00", TaxCodeRef={"value": "TAX"})],
        },
    )
    await books.create(
        "SalesReceipt", {"CustomerRef": {"value": buyer}, "TxnDate": "2026-01-05", "Line": [sales_line(service, "40")]}
    )
    await credit_memo(books, buyer, "15.00")  # a negative sale, dated today
    await invoice(books, buyer, "999.00", TxnDate="2025-12-31")  # last year: outside the year to date
    await books.create(
        "Estimate", {"CustomerRef": {"value": other}, "Line": [sales_line(service, "500")]}
    )  # not a sale
    voided = await invoice(books, other, "60.00")
    response = await books.post("invoice", {"Id": voided["Id"], "SyncToken": voided["SyncToken"]}, operation="void")
    assert response.status_code == 200, response.text
    await invoice(books, other, "25.50", TxnDate="2026-03-01")

    ours = f"{buyer},{other}"  # the company's basics hold sales of their own
    body = await report(books, "CustomerSales", start_date="2026-01-01", end_date="2026-03-02", customer=ours)
    assert [c["ColTitle"] for c in body["Columns"]["Column"]] == ["", "Total"]
    assert rows(body) == {buyer: ["125.00"], other: ["25.50"], "TOTAL": ["150.50"]}
    assert body["Header"]["StartPeriod"] == "2026-01-01" and body["Header"]["EndPeriod"] == "2026-03-02"

    # no dates: This Fiscal Year-to-date, the fiscal year from January
    default = await report(books, "CustomerSales", customer=ours)
    assert rows(default) == rows(body)
    assert rows(await report(books, "CustomerSales", date_macro="This Month-to-date", customer=ours)) == {
        buyer: ["-15.00"],
        other: ["25.50"],
        "TOTAL": ["10.50"],
    }
    only = await report(books, "CustomerSales", start_date="2025-12-01", end_date="2025-12-31", customer=buyer)
    assert rows(only) == {buyer: ["999.00"], "TOTAL": ["999.00"]}


async def test_customer_sales_on_the_cash_basis_counts_money_received(books: Qbo) -> None:
    # reports_sales.py: invoices and credit memos count as payments apply them (on the payment's date, before tax
    # in the form's proportion), sales and refund receipts on their own date
    buyer = (await customer(books, "Cash Buyer"))["Id"]
    service = await item_id(books)
    taxed = await books.create(  # 100 taxable at 8 %: 108 total, 100 of sales
        "Invoice",
        {
            "CustomerRef": {"value": buyer},
            "TxnDate": "2026-01-10",
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}},
            "Line": [sales_line(service, "100.00", TaxCodeRef={"value": "TAX"})],
        },
    )
    await invoice(books, buyer, "500.00", TxnDate="2026-01-11")  # never paid: no cash
    memo = await credit_memo(books, buyer, "10.00")
    paid = {
        "CustomerRef": {"value": buyer},
        "TotalAmt": "44.00",
        "TxnDate": "2026-02-20",
        "Line": [pay_line("54.00", taxed["Id"]), pay_line("10.00", memo["Id"], "CreditMemo")],
    }
    await books.create("Payment", paid)  # half the invoice (50 of sales) less the whole credit memo
    await books.create(
        "SalesReceipt", {"CustomerRef": {"value": buyer}, "TxnDate": "2026-01-05", "Line": [sales_line(service, "40")]}
    )
    period = {"start_date": "2026-01-01", "end_date": "2026-03-02", "customer": buyer}
    cash = await report(books, "CustomerSales", accounting_method="Cash", **period)
    assert rows(cash) == {buyer: ["80.00"], "TOTAL": ["80.00"]}  # 50 - 10 + 40
    assert {"Name": "AccountingMethod", "Value": "Cash"} in cash["Header"]["Option"]
    accrual = await report(books, "CustomerSales", **period)
    assert rows(accrual) == {buyer: ["630.00"], "TOTAL": ["630.00"]}  # 100 + 500 - 10 + 40
    january = await report(books, "CustomerSales", accounting_method="Cash", start_date="2026-01-01",
                           end_date="2026-01-31", customer=buyer)  # fmt: skip
    assert rows(january) == {buyer: ["40.00"], "TOTAL": ["40.00"]}  # the payment came in February


async def test_customer_sales_refuses_what_it_does_not_model(books: Qbo) -> None:
    for params in ({"accounting_method": "Both"}, {"date_macro": "Next Year"}):
        error = fault(await books.get("reports/CustomerSales", **params))
        assert error["code"] == "2170", (params, error)
    error = fault(await books.get("reports/CustomerSales", start_date="2026-13-01"))
    assert error["code"] == "2070"
