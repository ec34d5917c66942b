"""Payment terms both ways as the engine applies them on customers: a CRM account's or contact's Payment Terms
become its customer's SalesTermRef; a pulled customer's Term comes back to the linked account or contact (and
money back refreshes linked invoices' terms). Rules in domain/mapping/terms.py and money.py.

The Term Id -> name table comes from the cycle's MoneyLookups (one Term query per cycle, shared with the
transactions' terms going to QuickBooks); money back (engine/money_back.py) reads the Terms once per run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.mapping.money import PAYMENT_TERMS_COLUMN, MoneyPolicy, sales_term_ref
from inolink_tui.domain.mapping.terms import terms_columns
from inolink_tui.engine.money import MoneyLookups


async def customer_terms(
    lookups: MoneyLookups, policy: MoneyPolicy, entity: str, record: Mapping[str, Any]
) -> dict[str, int]:
    """The Payment Terms column for a pulled QuickBooks Customer (nothing for Items or a customer without terms)."""
    if entity != "Customer" or not record.get("SalesTermRef"):
        return {}
    return terms_columns(await lookups.company(), policy, record)


async def customer_term(lookups: MoneyLookups, policy: MoneyPolicy, row: Mapping[str, Any]) -> dict[str, str] | None:
    """The SalesTermRef a CRM account's or contact's Payment Terms give its QuickBooks customer (None: no terms,
    or no Term QuickBooks has by that name; the company's Terms are read only when the row has terms)."""
    if row.get(PAYMENT_TERMS_COLUMN) in (None, ""):
        return None
    return sales_term_ref(await lookups.company(), policy, row)
