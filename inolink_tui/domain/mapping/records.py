"""Per-table facts of the CRM rows the engine syncs: keys, name and number columns, lookups."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inolink_tui.domain.enums import EntityType

PRIMARY_KEY: dict[EntityType, str] = {
    EntityType.ACCOUNT: "accountid",
    EntityType.CONTACT: "contactid",
    EntityType.PRODUCT: "productid",
    EntityType.QUOTE: "quoteid",
    EntityType.ORDER: "salesorderid",
    EntityType.INVOICE: "invoiceid",
}

NAME_COLUMN: dict[EntityType, str] = {
    EntityType.ACCOUNT: "name",
    EntityType.CONTACT: "fullname",
    EntityType.PRODUCT: "name",
    EntityType.QUOTE: "name",
    EntityType.ORDER: "name",
    EntityType.INVOICE: "name",
}

NUMBER_COLUMN: dict[EntityType, str] = {
    EntityType.QUOTE: "quotenumber",
    EntityType.ORDER: "ordernumber",
    EntityType.INVOICE: "invoicenumber",
}
"""The CRM document number of each transaction, sent as QuickBooks DocNumber."""

DETAIL_SET: dict[EntityType, str] = {
    EntityType.QUOTE: "quotedetails",
    EntityType.ORDER: "salesorderdetails",
    EntityType.INVOICE: "invoicedetails",
}

CUSTOMER_LOOKUP = "_customerid_value"
"""The polymorphic customer lookup of quotes, orders and invoices (an account or a contact)."""
CUSTOMER_LOOKUP_TYPE = "_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"


def record_name(entity_type: EntityType, row: Mapping[str, Any]) -> str:
    """A human name for a row, falling back to parts or the document number."""
    name = row.get(NAME_COLUMN[entity_type])
    if not name and entity_type is EntityType.CONTACT:
        name = " ".join(str(p) for p in (row.get("firstname"), row.get("lastname")) if p)
    if not name and entity_type in NUMBER_COLUMN:
        name = row.get(NUMBER_COLUMN[entity_type])
    return str(name or row.get(PRIMARY_KEY[entity_type]) or "").strip()


def customer_of(row: Mapping[str, Any]) -> tuple[EntityType, str] | None:
    """The (Account|Contact, id) a transaction row is for, from its polymorphic lookup."""
    value = row.get(CUSTOMER_LOOKUP)
    if not value:
        return None
    logical = str(row.get(CUSTOMER_LOOKUP_TYPE) or "account").lower()
    return (EntityType.CONTACT if logical == "contact" else EntityType.ACCOUNT, str(value))


def qbo_name(name: str) -> str:
    """QuickBooks forbids ':' (its hierarchy separator), tabs and newlines in names."""
    cleaned = name.replace(":", "-").replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return " ".join(cleaned.split())
