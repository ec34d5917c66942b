"""Reading the last transaction date and year-to-date sales of every customer for the Low Priority service.

QuickBooks requests per run, whatever the number of customers: one CompanyInfo query (the fiscal year's first
month), one CustomerSales report, and one paged query each of Invoice, SalesReceipt, CreditMemo and Payment
(about one request per 1,000 records). The rules are in domain/customer_totals.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Protocol, runtime_checkable

from inolink_tui.domain.customer_totals import (
    LAST_TRANSACTION_ENTITIES,
    CustomerTotals,
    customer_totals,
    last_transaction_dates,
    parse_customer_sales,
    sales_report_params,
)


@runtime_checkable
class TotalsReader(Protocol):
    async def report(self, name: str, params: Mapping[str, str] | None = None) -> dict[str, Any]: ...

    async def query(self, entity: str, where: Sequence[tuple[str, str, Any]] = ()) -> list[dict[str, Any]]: ...


async def read_totals(qbo: TotalsReader, today: date) -> dict[str, CustomerTotals]:
    """Customer Id -> last transaction date and year-to-date sales, as QuickBooks states them on `today`."""
    info = await qbo.query("CompanyInfo")
    params = sales_report_params(today, (info[0] if info else {}).get("FiscalYearStartMonth"))
    sales = parse_customer_sales(await qbo.report("CustomerSales", params))
    transactions: list[dict[str, Any]] = []
    for entity in LAST_TRANSACTION_ENTITIES:
        transactions += await qbo.query(entity)
    return customer_totals(sales, last_transaction_dates(transactions))
