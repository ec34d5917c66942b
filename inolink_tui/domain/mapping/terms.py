"""Payment terms QuickBooks -> CRM (issue 16 item 4): a QuickBooks Term becomes the CRM Payment Terms choice.

CRM -> QuickBooks is domain/mapping/money.py `sales_term_ref` (the CRM label, through `[sync] payment_terms`,
names a Term). Coming back, the same table is read the other way: the CRM label whose configured Term name is the
Term's; without a configured entry, the CRM option whose label is the Term's name. Names are compared without
case, spaces or punctuation other than '%', so CRM's stock "2% 10, Net 30" and a QuickBooks Term "2% 10 Net 30"
pair up (the default table). A `[sync] payment_terms` key may be a CRM label or an option value as digits (an
org's own option, e.g. "100000000" = "Net 90"). A Term no CRM option matches leaves the CRM column alone.

QuickBooks' SalesTermRef carries the Term's Id (its name is optional, developer.intuit.com .../all-entities/term),
so the engine resolves Id -> name from the company's Terms (CompanyMoney.term_names).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.mapping.money import (
    PAYMENT_TERMS_COLUMN,
    PAYMENT_TERMS_LABELS,
    CompanyMoney,
    MoneyPolicy,
    same_term,
)


def _option(label: str) -> int | None:
    if label.strip().isdigit():
        return int(label.strip())
    return next((value for value, stock in PAYMENT_TERMS_LABELS.items() if same_term(stock, label)), None)


def crm_terms_value(term_name: str, policy: MoneyPolicy) -> int | None:
    """The CRM Payment Terms option for a QuickBooks Term name, or None when no option matches."""
    for label, qbo_name in policy.payment_terms.items():
        if same_term(qbo_name, term_name) and (value := _option(label)) is not None:
            return value
    return _option(term_name)


def terms_columns(company: CompanyMoney, policy: MoneyPolicy, record: Mapping[str, Any]) -> dict[str, int]:
    """`{paymenttermscode: option}` for a QuickBooks Customer or Invoice with a SalesTermRef that maps, else {}."""
    ref = record.get("SalesTermRef")
    if not isinstance(ref, Mapping) or ref.get("value") is None:
        return {}
    name = company.term_names.get(str(ref["value"])) or str(ref.get("name") or "")
    value = crm_terms_value(name, policy) if name else None
    return {PAYMENT_TERMS_COLUMN: value} if value is not None else {}
