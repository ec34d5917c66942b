"""Payment terms QuickBooks -> CRM as the engine applies them: on linked accounts and contacts when a customer is
pulled, and on linked invoices when money back refreshes them (rules in domain/mapping/terms.py).

The Term Id -> name table comes from the cycle's MoneyLookups (one Term query per cycle, shared with the
transactions' terms going to QuickBooks); money back (engine/money_back.py) reads the Terms once per run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.mapping.money import MoneyPolicy
from inolink_tui.domain.mapping.terms import terms_columns
from inolink_tui.engine.money import MoneyLookups


async def customer_terms(
    lookups: MoneyLookups, policy: MoneyPolicy, entity: str, record: Mapping[str, Any]
) -> dict[str, int]:
    """The Payment Terms column for a pulled QuickBooks Customer (nothing for Items or a customer without terms)."""
    if entity != "Customer" or not record.get("SalesTermRef"):
        return {}
    return terms_columns(await lookups.company(), policy, record)
