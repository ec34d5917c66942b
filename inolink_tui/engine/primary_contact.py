"""An account's primary contact -> its QuickBooks customer's GivenName / FamilyName (issue 17 item 1).

InoLink maps "Account.Primary Contact <-> Customer.Contact, two-way, optional" behind "Allow Primary contact to sync",
and turns a QuickBooks customer with a company and first/last names into an Account with a Primary Contact
(reference inolink-product.md §1.5-1.7). QuickBooks Online's Customer has no contact reference: the person's names are
its GivenName / FamilyName. With `[sync] primary_contact = true`, a push of an account whose `primarycontactid` is set
reads that contact (one read per push) and sends its names; QuickBooks -> CRM (creating the contact) is not done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.money import MoneyPolicy
from inolink_tui.engine.ports import CrmPort

LOOKUP_VALUE = "_primarycontactid_value"


async def primary_contact(
    crm: CrmPort, policy: MoneyPolicy, entity_type: EntityType, row: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The account's primary contact row (None: not allowed by the config, not an account, none set, or gone)."""
    if not policy.primary_contact or entity_type is not EntityType.ACCOUNT:
        return None
    contact_id = row.get(LOOKUP_VALUE)
    if not contact_id:
        return None
    found = await crm.get(EntityType.CONTACT, str(contact_id))
    return dict(found) if found is not None else None
