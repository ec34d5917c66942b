"""An account's primary contact <-> its QuickBooks customer's GivenName / FamilyName (issue 17 item 1), both ways.

InoLink maps "Account.Primary Contact <-> Customer.Contact, two-way, optional" behind "Allow Primary contact to sync"
(an option of both its CRM -> QuickBooks and its QuickBooks -> CRM settings), and turns a QuickBooks customer with a
company and first/last names into "an Account named after the company, with a Primary Contact" (reference
inolink-product.md §1.5-1.7). QuickBooks Online's Customer has no contact reference: the person's names are its
GivenName / FamilyName. With `[sync] primary_contact = true` (off by default):

- a push of an account whose `primarycontactid` is set reads that contact (one read per push) and sends its names;
- a pull of a customer with a Company Name (an Account) and a Given or Family Name names the account's primary
  contact: the contact the account has is renamed to match; an account without one gets a contact of those names
  under it (`parentcustomerid`; one already there of that full name is reused, so a pull retried after a crash does
  not make a second one) and `primarycontactid` pointing at it. Names QuickBooks leaves empty leave the contact
  alone. A primary contact that is itself linked to a QuickBooks customer is not renamed from another customer's
  names (it follows its own customer); the job says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inolink_tui.domain.enums import CRM_ENTITY_SET_FOR, EntityType, RecordLinkStatus
from inolink_tui.domain.mapping import changed_fields
from inolink_tui.domain.mapping.customers import CustomerPolicy
from inolink_tui.domain.mapping.records import PRIMARY_KEY
from inolink_tui.engine import fit
from inolink_tui.engine.ports import CrmPort
from inolink_tui.store.base import JobStore

LOOKUP_VALUE = "_primarycontactid_value"
PARENT_VALUE = "_parentcustomerid_value"
BIND = "primarycontactid@odata.bind"


async def primary_contact(
    crm: CrmPort, policy: CustomerPolicy, entity_type: EntityType, row: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The account's primary contact row (None: not allowed by the config, not an account, none set, or gone)."""
    if not policy.primary_contact or entity_type is not EntityType.ACCOUNT:
        return None
    contact_id = row.get(LOOKUP_VALUE)
    if not contact_id:
        return None
    found = await crm.get(EntityType.CONTACT, str(contact_id))
    return dict(found) if found is not None else None


@dataclass(frozen=True, slots=True)
class ContactPull:
    """What a pulled customer's person did in CRM: the account's columns to write (its `primarycontactid` bind when
    it changes) and a note for the job's message."""

    account_columns: dict[str, Any]
    note: str | None = None


NOTHING = ContactPull({})


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None


def person_columns(customer: Mapping[str, Any]) -> dict[str, Any] | None:
    """The contact columns of the customer's Given / Family Name (None: QuickBooks has neither). Dataverse needs a
    last name (contact.lastname is required), so a lone given name is the last name, as a customer becomes a Contact
    (domain/mapping/customers.py `customer_to_crm`)."""
    first, last = _text(customer.get("GivenName")), _text(customer.get("FamilyName"))
    if not first and not last:
        return None
    if not last:
        first, last = None, first
    return fit.crm_values(EntityType.CONTACT, {"firstname": first, "lastname": last})


def _full_name(columns: Mapping[str, Any]) -> str:
    return " ".join(str(p) for p in (columns.get("firstname"), columns.get("lastname")) if p)


async def pull_primary_contact(
    crm: CrmPort,
    store: JobStore,
    policy: CustomerPolicy,
    entity_type: EntityType,
    customer: Mapping[str, Any],
    account_id: str,
    account: Mapping[str, Any] | None,
) -> ContactPull:
    """Name the primary contact of CRM account `account_id` (its current row `account`, None when just created)
    after the QuickBooks customer's person."""
    if not policy.primary_contact or entity_type is not EntityType.ACCOUNT:
        return NOTHING
    wanted = person_columns(customer)
    if wanted is None:
        return NOTHING
    current_id = str((account or {}).get(LOOKUP_VALUE) or "") or None
    contact = await crm.get(EntityType.CONTACT, current_id) if current_id else None
    if contact is not None and current_id is not None:
        changes = changed_fields(contact, wanted)
        if not changes:
            return NOTHING
        link = await store.get_link(EntityType.CONTACT, current_id)
        if link is not None and link.link_status is RecordLinkStatus.LINKED and link.qbo_id:
            return ContactPull(
                {}, f"primary contact not renamed: it is linked to QuickBooks customer {link.qbo_id} of its own"
            )
        await crm.update(EntityType.CONTACT, current_id, changes)
        return ContactPull({}, f"primary contact renamed {_full_name(wanted)!r}")
    key = PRIMARY_KEY[EntityType.CONTACT]
    namesakes = await crm.find_by_name(EntityType.CONTACT, _full_name(wanted))
    mine = next((r for r in namesakes if str(r.get(PARENT_VALUE) or "").lower() == account_id.lower()), None)
    if mine is not None:
        contact_id, note = str(mine[key]), f"primary contact {_full_name(wanted)!r} (already under the account)"
    else:
        bind = {"parentcustomerid_account@odata.bind": f"/{CRM_ENTITY_SET_FOR[EntityType.ACCOUNT]}({account_id})"}
        contact_id = (await crm.create(EntityType.CONTACT, {**wanted, **bind})).id
        note = f"primary contact {_full_name(wanted)!r} created"
    return ContactPull({BIND: f"/{CRM_ENTITY_SET_FOR[EntityType.CONTACT]}({contact_id})"}, note)
