"""Account Category <-> QuickBooks Customer Type as the engine applies it (rules in domain/mapping/customer_types.py).

The company's Customer Types are read through the cycle's MoneyLookups (one `select * from CustomerType` per cycle,
and only when a record has a Category or a Customer Type, so a company that uses neither costs no request).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.customer_types import category_columns, category_label, customer_type_ref
from inolink_tui.domain.mapping.customers import CustomerPolicy
from inolink_tui.engine.money import MoneyLookups


async def account_customer_type(
    lookups: MoneyLookups, policy: CustomerPolicy, entity_type: EntityType, row: Mapping[str, Any]
) -> dict[str, str] | None:
    """The CustomerTypeRef a CRM account's Category gives its customer (None: not an account, no Category, or no
    Customer Type of that name)."""
    if entity_type is not EntityType.ACCOUNT or category_label(row) is None:
        return None
    return customer_type_ref(await lookups.customer_types(), policy.customer_types, row)


async def account_category(
    lookups: MoneyLookups, policy: CustomerPolicy, entity_type: EntityType, record: Mapping[str, Any]
) -> dict[str, int]:
    """The Category column for a pulled QuickBooks Customer that becomes (or is linked to) an account."""
    if entity_type is not EntityType.ACCOUNT or not record.get("CustomerTypeRef"):
        return {}
    return category_columns(await lookups.customer_types(), policy.customer_types, record)
