"""The customer and transaction mapping functions as they were written by hand before the built-in rows ran from
the tables (commit 3d2eca2, domain/mapping/customers.py and transactions.py), kept frozen as the oracle of
test_table_rows.py: the functions that now execute table rows must give exactly what these gave.

Do not edit to follow the package: a difference between this copy and the package is what the test is for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.records import NUMBER_COLUMN, record_name
from inolink_tui.domain.mapping.transactions import ServiceItems

_ADDRESS_FIELDS = (
    ("line1", "Line1"),
    ("line2", "Line2"),
    ("line3", "Line3"),
    ("city", "City"),
    ("stateorprovince", "CountrySubDivisionCode"),
    ("postalcode", "PostalCode"),
    ("country", "Country"),
)


def qbo_name(name: str) -> str:
    """QuickBooks forbids ':' (its hierarchy separator), tabs and newlines in names."""
    cleaned = name.replace(":", "-").replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return " ".join(cleaned.split())


def _text(row: Mapping[str, Any], column: str) -> str | None:
    value = row.get(column)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _address(row: Mapping[str, Any], prefix: str) -> dict[str, str] | None:
    addr = {qbo: v for crm, qbo in _ADDRESS_FIELDS if (v := _text(row, f"{prefix}_{crm}"))}
    return addr or None


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
        for crm, qbo in (("firstname", "GivenName"), ("middlename", "MiddleName"), ("lastname", "FamilyName")):
            if value := _text(row, crm):
                body[qbo] = qbo_name(value)  # the same characters are forbidden in the name parts
        if value := _text(row, "mobilephone"):
            body["Mobile"] = {"FreeFormNumber": value}
    if value := _text(row, "telephone1"):
        body["PrimaryPhone"] = {"FreeFormNumber": value}
    if value := _text(row, "telephone2"):
        body["AlternatePhone"] = {"FreeFormNumber": value}
    if value := _text(row, "fax"):
        body["Fax"] = {"FreeFormNumber": value}
    if value := _text(row, "emailaddress1"):
        body["PrimaryEmailAddr"] = {"Address": value}
    if value := _text(row, "websiteurl"):
        body["WebAddr"] = {"URI": value}
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


def _free(customer: Mapping[str, Any], key: str, inner: str) -> str | None:
    value = customer.get(key)
    if isinstance(value, Mapping):
        text = value.get(inner)
        return str(text) if text else None
    return None


_WRITTEN_ADDRESS = tuple(pair for pair in _ADDRESS_FIELDS if pair[0] != "line3")


def customer_to_crm(entity_type: EntityType, customer: Mapping[str, Any]) -> dict[str, Any]:
    """CRM columns for a QuickBooks Customer (lookups such as Parent Account are bound by the caller).

    Only columns every Dynamics 365 organisation has are written (main phone, mobile for contacts,
    fax and web site for accounts, e-mail, the first address), so a write never names a column the
    organisation lacks; QuickBooks' alternate phone and shipping address stay in QuickBooks.
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
        cols["mobilephone"] = _free(customer, "Mobile", "FreeFormNumber")
    else:
        raise MappingError(f"{entity_type.value} is not a customer")
    cols["telephone1"] = _free(customer, "PrimaryPhone", "FreeFormNumber")
    cols["emailaddress1"] = _free(customer, "PrimaryEmailAddr", "Address")
    if entity_type is EntityType.ACCOUNT:
        cols["fax"] = _free(customer, "Fax", "FreeFormNumber")
        cols["websiteurl"] = _free(customer, "WebAddr", "URI")
    addr = customer.get("BillAddr")
    if isinstance(addr, Mapping):
        for crm, qbo in _WRITTEN_ADDRESS:
            cols[f"address1_{crm}"] = addr.get(qbo)
    return cols


MAX_DOC_NUMBER = 21
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class TransactionLine:
    """A CRM detail line as the mapping needs it."""

    product_id: str | None
    description: str | None
    quantity: Decimal
    price: Decimal
    discount: Decimal
    sequence: int


def _dec(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    return Decimal(str(value))


def parse_line(row: Mapping[str, Any], index: int) -> TransactionLine:
    product = row.get("_productid_value")
    overridden = bool(row.get("isproductoverridden"))
    return TransactionLine(
        product_id=None if overridden or not product else str(product),
        description=row.get("productdescription") or row.get("description"),
        quantity=_dec(row.get("quantity") if row.get("quantity") is not None else 1),
        price=_dec(row.get("priceperunit")),
        discount=_dec(row.get("manualdiscountamount")),
        sequence=int(row.get("sequencenumber") or row.get("lineitemnumber") or index + 1),
    )


def line_products(lines: Sequence[Mapping[str, Any]]) -> list[str]:
    """CRM product ids the lines use (write-in lines excluded), in line order, without repeats."""
    seen: dict[str, None] = {}
    for i, row in enumerate(lines):
        if (pid := parse_line(row, i).product_id) is not None:
            seen.setdefault(pid.lower(), None)
    return list(seen)


def _money(value: Decimal) -> float:
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _sales_line(item_id: str, qty: Decimal, price: Decimal, description: str | None) -> dict[str, Any]:
    line: dict[str, Any] = {
        "Amount": _money(qty * price),
        "DetailType": "SalesItemLineDetail",
        "SalesItemLineDetail": {"ItemRef": {"value": item_id}, "Qty": float(qty), "UnitPrice": float(price)},
    }
    if description:
        line["Description"] = str(description)[:4000]
    return line


def _date(value: Any) -> str | None:
    if not value:
        return None
    return str(value)[:10]


def crm_to_transaction(
    entity_type: EntityType,
    header: Mapping[str, Any],
    lines: Sequence[Mapping[str, Any]],
    *,
    customer_qbo_id: str,
    item_ids: Mapping[str, str],
    service_items: ServiceItems,
    product_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The Estimate or Invoice body; `item_ids` maps lower-case CRM product id -> QuickBooks Item id."""
    if not entity_type.is_transaction:
        raise MappingError(f"{entity_type.value} is not a transaction")
    parsed = sorted((parse_line(row, i) for i, row in enumerate(lines)), key=lambda ln: ln.sequence)
    missing = [p.product_id for p in parsed if p.product_id and p.product_id.lower() not in item_ids]
    if missing:
        names = product_names or {}
        shown = ", ".join(dict.fromkeys(names.get(m.lower(), m) for m in missing))
        raise MappingError(
            f"products not linked to QuickBooks: {shown}; promote them, then requeue this job",
            missing=tuple(dict.fromkeys(m.lower() for m in missing)),
        )
    out: list[dict[str, Any]] = []
    for ln in parsed:
        if ln.product_id:
            out.append(_sales_line(item_ids[ln.product_id.lower()], ln.quantity, ln.price, ln.description))
        else:
            if not service_items.write_in:
                raise MappingError("a write-in line needs the Write-In item; set sync.write_in_item")
            out.append(_sales_line(service_items.write_in, ln.quantity, ln.price, ln.description or "Write-in"))
        if ln.discount:
            if not service_items.discount:
                raise MappingError("a line discount needs the Discount item; set sync.discount_item")
            out.append(_sales_line(service_items.discount, Decimal(1), -ln.discount, "Line discount"))
    doc_discount = _dec(header.get("discountamount"))
    if doc_discount:
        if not service_items.discount:
            raise MappingError("a manual discount needs the Discount item; set sync.discount_item")
        out.append(_sales_line(service_items.discount, Decimal(1), -doc_discount, "Discount"))
    freight = _dec(header.get("freightamount"))
    if freight:
        if not service_items.shipping:
            raise MappingError("freight needs the Shipping item; set sync.shipping_item")
        out.append(_sales_line(service_items.shipping, Decimal(1), freight, "Shipping"))
    if not out:
        raise MappingError(f"the {entity_type.value} has no lines; QuickBooks needs at least one (error 2020)")
    body: dict[str, Any] = {"CustomerRef": {"value": customer_qbo_id}, "Line": out}
    number = str(header.get(NUMBER_COLUMN[entity_type]) or "").strip()
    if number and len(number) <= MAX_DOC_NUMBER:
        body["DocNumber"] = number
    if memo := header.get("name"):
        body["PrivateNote"] = str(memo)[:4000]
    if entity_type is EntityType.QUOTE and (expiry := _date(header.get("effectiveto"))):
        body["ExpirationDate"] = expiry
    if entity_type is not EntityType.QUOTE:
        if ship := _date(header.get("requestdeliveryby")):
            body["ShipDate"] = ship
        if entity_type is EntityType.INVOICE and (due := _date(header.get("duedate"))):
            body["DueDate"] = due
    return body
