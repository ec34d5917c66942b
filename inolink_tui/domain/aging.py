"""Aging per customer read from QuickBooks' AgedReceivables report, so CRM shows QuickBooks' own figures.

The report (GET /v3/company/<realm>/reports/AgedReceivables, developer.intuit.com/app/developer/qbo/docs/api/
accounting/report-entities/aragingsummary) has the columns Customer, Current, 1 - 30, 31 - 60, 61 - 90,
91 and over, Total; each Data row's first ColData carries the customer's `id`, empty cells are "", and a
GrandTotal section sums them. QuickBooks nests a parent's sub-customers in a Section whose Header names the
parent: the walk below reads Data rows at any depth and skips Summary rows, so a parent's own row is counted
once and its jobs under their own Ids. One request covers every customer: the Low Priority service stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

REPORT_COLUMNS = ("Current", "1 - 30", "31 - 60", "61 - 90", "91 and over", "Total")


class ReportShapeError(ValueError):
    """The report is not the AgedReceivables shape (columns missing): refuse rather than write zeros."""


@dataclass(frozen=True)
class Aging:
    """One customer's open balance and its buckets, in the report's currency (the home currency)."""

    current: Decimal = Decimal(0)
    days_1_30: Decimal = Decimal(0)
    days_31_60: Decimal = Decimal(0)
    days_61_90: Decimal = Decimal(0)
    over_90: Decimal = Decimal(0)
    total: Decimal = Decimal(0)

    def as_tuple(self) -> tuple[Decimal, ...]:
        """Open balance first, then current, 1-30, 31-60, 61-90, over 90: CrmSchema.aging_columns' order."""
        return (self.total, self.current, self.days_1_30, self.days_31_60, self.days_61_90, self.over_90)


NO_BALANCE = Aging()


def _money(cell: Mapping[str, Any]) -> Decimal:
    text = str(cell.get("value") or "").replace(",", "").strip()
    if not text:
        return Decimal(0)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ReportShapeError(f"{text!r} is not an amount") from None


def report_rows(rows: Mapping[str, Any] | None) -> Iterator[list[Mapping[str, Any]]]:
    """The ColData of every customer row of a Reports API body (summary reports by customer share the shape)."""
    for row in (rows or {}).get("Row") or []:
        if row.get("ColData") is not None and row.get("type", "Data") == "Data":
            yield row["ColData"]
        if row.get("Rows"):
            yield from report_rows(row["Rows"])
        header = row.get("Header") or {}
        if header.get("ColData") and header["ColData"][0].get("id"):
            # A parent customer's own amounts sit on its section's header row.
            yield header["ColData"]


def parse_aged_receivables(report: Mapping[str, Any]) -> dict[str, Aging]:
    """Customer Id -> Aging, from the report body. Customers absent from the report owe nothing."""
    columns = ((report.get("Columns") or {}).get("Column")) or []
    titles = [str(c.get("ColTitle") or "").strip() for c in columns]
    try:
        index = [titles.index(t) for t in REPORT_COLUMNS]
    except ValueError:
        raise ReportShapeError(f"AgedReceivables columns {titles} lack one of {REPORT_COLUMNS}") from None
    out: dict[str, Aging] = {}
    for cells in report_rows(report.get("Rows")):
        customer_id = str(cells[0].get("id") or "")
        if not customer_id:
            continue
        values = [_money(cells[i]) if i < len(cells) else Decimal(0) for i in index]
        out[customer_id] = Aging(*values)
    return out
