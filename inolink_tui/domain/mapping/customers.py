"""Account / Contact <-> QuickBooks Customer (reference §1.7).

The rows of tables.ACCOUNT / CONTACT that are plain copies (phones, e-mail, fax, web site, a contact's middle name)
are executed from the tables (apply.py `table_to_qbo` / `table_to_crm`); this module writes the special ones: names,
addresses, and the values the engine resolves (parent, currency, terms, category, primary contact).

Phones: Main -> PrimaryPhone, Other/Home -> AlternatePhone; Email -> PrimaryEmailAddr; Fax; web site;
address 1 -> BillAddr and address 2 -> ShipAddr with lines kept as Line1..3. Coming back, a customer
with a Company Name becomes an Account, one with only first/last names a Contact, and a sub-customer
an Account with its Parent Account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.apply import table_to_crm, table_to_qbo
from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.records import qbo_name as qbo_name  # re-exported: callers import it from here
from inolink_tui.domain.mapping.records import record_name
from inolink_tui.domain.mapping.tables import ADDRESS_PARTS


def _text(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _address(row: Mapping[str, Any], prefix: str) -> dict[str, str] | None:
    addr = {qbo: v for crm, qbo in ADDRESS_PARTS if (v := _text(row, f"{prefix}_{crm}"))}
    return addr or None


@dataclass(frozen=True, slots=True)
class CustomerPolicy:
    """[sync] keys of the customer mapping that are not money (tax and terms are `money.MoneyPolicy`)."""

    customer_types: Mapping[str, str] = field(default_factory=dict)
    """CRM account Category label (or option value as digits) -> QuickBooks Customer Type name."""
    primary_contact: bool = False
    """[sync] primary_contact (InoLink's "Allow Primary contact to sync"): an account's primary contact's names
    become its customer's GivenName / FamilyName, and come back (engine/primary_contact.py)."""


def crm_to_customer(
    entity_type: EntityType,
    row: Mapping[str, Any],
    *,
    parent_qbo_id: str | None = None,
    currency: str | None = None,
    sales_term: Mapping[str, str] | None = None,
    customer_type: Mapping[str, str] | None = None,
    primary_contact: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The QuickBooks Customer body (create or the desired state for a sparse update). `currency`: the ISO code of
    the CRM record's currency, given on create only (QuickBooks fixes a customer's CurrencyRef once set);
    `sales_term`: the SalesTermRef of the record's Payment Terms (money.py `sales_term_ref`, resolved by the engine);
    `customer_type`: an account's CustomerTypeRef from its Category (customer_types.py, resolved by the engine);
    `primary_contact`: an account's primary contact row, whose first and last names become the company customer's
    GivenName / FamilyName (InoLink: "Company + first/last name -> an Account ... with a Primary Contact")."""
    if entity_type not in (EntityType.ACCOUNT, EntityType.CONTACT):
        raise MappingError(f"{entity_type.value} is not a customer")
    name = qbo_name(record_name(entity_type, row))
    if not name:
        raise MappingError(f"the {entity_type.value} has no name; QuickBooks needs a Display Name (error 6080)")
    body: dict[str, Any] = {"DisplayName": name}
    if entity_type is EntityType.ACCOUNT:
        body["CompanyName"] = name
    else:
        for crm, qbo in (("firstname", "GivenName"), ("lastname", "FamilyName")):
            if value := _text(row, crm):
                body[qbo] = qbo_name(value)  # the same characters are forbidden in the name parts
    body = table_to_qbo(entity_type, row, body, create=True)
    if bill := _address(row, "address1"):
        body["BillAddr"] = bill
    if ship := _address(row, "address2"):
        body["ShipAddr"] = ship
    if parent_qbo_id:
        body["ParentRef"] = {"value": parent_qbo_id}
        body["Job"] = True
    if currency:
        body["CurrencyRef"] = {"value": currency}
    if sales_term:
        body["SalesTermRef"] = dict(sales_term)
    if customer_type and entity_type is EntityType.ACCOUNT:
        body["CustomerTypeRef"] = dict(customer_type)
    if primary_contact and entity_type is EntityType.ACCOUNT:
        for crm, qbo in (("firstname", "GivenName"), ("lastname", "FamilyName")):
            if value := _text(primary_contact, crm):
                body[qbo] = qbo_name(value)
    return body


def customer_entity_type(customer: Mapping[str, Any]) -> EntityType:
    """Company name or sub-customer -> Account; first/last name only -> Contact (reference §1.6)."""
    if customer.get("CompanyName") or customer.get("ParentRef") or customer.get("Job"):
        return EntityType.ACCOUNT
    if customer.get("GivenName") or customer.get("FamilyName"):
        return EntityType.CONTACT
    return EntityType.ACCOUNT


_WRITTEN_ADDRESS = tuple(pair for pair in ADDRESS_PARTS if pair[0] != "line3")


def customer_to_crm(entity_type: EntityType, customer: Mapping[str, Any]) -> dict[str, Any]:
    """CRM columns for a QuickBooks Customer (lookups such as Parent Account are bound by the caller).

    Only columns every Dynamics 365 organisation has are written (main phone, mobile for contacts,
    fax and web site for accounts, e-mail: the table rows towards CRM; the first address), so a write never names a
    column the organisation lacks; QuickBooks' alternate phone and shipping address stay in QuickBooks.
    """
    display = str(customer.get("DisplayName") or "").strip()
    cols: dict[str, Any] = {}
    if entity_type is EntityType.ACCOUNT:
        company = str(customer.get("CompanyName") or "")
        # a Company Name cut to QuickBooks' 100 characters is a prefix of the full Display Name
        cols["name"] = display if not company or (len(company) == 100 and display.startswith(company)) else company
    elif entity_type is EntityType.CONTACT:
        first = customer.get("GivenName")
        last = customer.get("FamilyName")
        if not first and not last:
            first, _, last = display.rpartition(" ")
        cols["firstname"] = first or None
        cols["lastname"] = last or display
    else:
        raise MappingError(f"{entity_type.value} is not a customer")
    cols.update(table_to_crm(entity_type, customer))
    addr = customer.get("BillAddr")
    if isinstance(addr, Mapping):
        for crm, qbo in _WRITTEN_ADDRESS:
            cols[f"address1_{crm}"] = addr.get(qbo)
    return cols
