"""The built-in field mappings as data: one table per Entity Type, one row per field and direction.

Why a table: an operator (and `inolink-tui mapping show`) must see which fields a Link Job carries, and
custom mappings (issue 17) add rows of the same shape. A row without `special` is executed from this table by the
same code that applies custom rows (apply.py `table_to_qbo` / `table_to_crm`, called by the mapping functions of
`customers.py` and `transactions.py`): take the row out and the field is no longer written. A row marked `special`
is written by code in those modules (names, addresses, lines, money, values the engine resolves, item rules), and
describes it; tests/domain/mapping/test_tables.py runs the functions over generated records to prove every row
and every written field agree. The limits are not copied here: `qbo_limit` / `crm_limit` read them from
`domain.limits`, the one place the fitting uses.

CRM columns are Dataverse logical names (`line.` = a column of the document's product lines; lookups by
their column name, e.g. `parentaccountid`); QuickBooks fields are v3 JSON paths (`Line[]` = every line).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from inolink_tui.domain.enums import QBO_ENTITY_FOR, SYNCED_ENTITY_TYPES, EntityType

if TYPE_CHECKING:
    from inolink_tui.domain.limits import Limit


class Direction(StrEnum):
    """Which way a field is written."""

    BOTH = "both"
    TO_QUICKBOOKS = "to QuickBooks"
    TO_CRM = "to CRM"
    ON_CREATE = "on create only"
    """To QuickBooks, only when the record is created there (an update leaves the field alone)."""

    @property
    def to_quickbooks(self) -> bool:
        return self is not Direction.TO_CRM

    @property
    def to_crm(self) -> bool:
        return self in (Direction.BOTH, Direction.TO_CRM)


class Transform(StrEnum):
    """How a value changes on the way (the names issue 17 item 2 uses for custom mappings)."""

    COPY = "copy"
    TRUNCATE = "truncate"
    """Copied, cut to the target's documented limit (a custom mapping's way to accept long values)."""
    UPPER = "upper"
    LOWER = "lower"
    NAME = "name"
    """Copied; towards QuickBooks ':' becomes '-' and tabs / line breaks spaces (QuickBooks forbids them)."""
    VALUE_MAP = "value map"
    MONEY = "money"
    DATE = "date"
    TEMPLATE = "template"
    LOOKUP = "lookup"
    """A CRM lookup <-> the QuickBooks id of the linked record (resolved by the engine from its links)."""
    CONSTANT = "constant"
    SETTING = "setting"
    """A value from the configuration, not from the record."""


class Special(StrEnum):
    """Why a built-in row is written by code (customers.py, items.py, transactions.py, the engine) rather than
    executed from its table: the rule it follows is more than one field copied or transformed."""

    NAMES = "names"
    """A record's name and a contact's name parts: Display Name from the full name or first and last, Company Name
    cut to 100 coming back, a Display Name split into first and last (records.py `record_name`)."""
    ADDRESSES = "addresses"
    """Written to CRM only when QuickBooks sends the address (never cleared by its absence), line 3 one way."""
    LINES = "lines"
    """A transaction's lines: linked items, write-ins, discount and shipping lines, amounts to the cent."""
    MONEY = "money"
    """Amounts as CRM holds them (no rounding; an item's price and cost)."""
    RESOLVED = "resolved"
    """A value the engine resolves first and hands to the mapping function: a linked record's QuickBooks id, a
    Term, a Customer Type, a currency, a Vendor, the primary contact."""
    ITEMS = "item rules"
    """An item's type, inventory start, accounts, number and description fall-backs (reference §1.7), and a new
    product's unit settings."""
    DOCUMENT = "document"
    """A transaction's number (left out over 21 characters) and memo (cut to 4000, as CRM has it)."""


@dataclass(frozen=True, slots=True)
class FieldMapping:
    """One field, one direction: `crm` is None when the value is a constant or a setting."""

    crm: str | None
    qbo: str
    direction: Direction
    transform: Transform = Transform.COPY
    note: str = ""
    when: str | None = None
    """A CRM column the row depends on without copying it (e.g. only Inventory items track a quantity)."""
    values: tuple[tuple[str, str], ...] = ()
    """VALUE_MAP of a custom mapping: (CRM value, QuickBooks value) pairs; a CRM choice by its integer value
    as text or by its label, as the config wrote it."""
    constant: str | None = None
    """CONSTANT of a custom mapping: the value written."""
    template: str | None = None
    """TEMPLATE of a custom mapping: `{column}` placeholders joined with text, e.g. "{name} ({accountnumber})"."""
    fmt: str | None = None
    """DATE of a custom mapping: a strftime format (default ISO date); MONEY: decimal places as text."""
    custom: bool = False
    """True for a row that came from the config's `[[mapping.*]]`, not from the built-in tables."""
    special: Special | None = None
    """A built-in row written by code, for this reason; None: executed from the table (apply.py)."""


QBO_ENTITY: dict[EntityType, str] = {et: QBO_ENTITY_FOR[et] for et in SYNCED_ENTITY_TYPES}
"""The QuickBooks entity of each Entity Type that has field mappings (derived from `QBO_ENTITY_FOR`; Payment has
none: it is recorded from QuickBooks, not mapped field by field)."""

B, Q, C, N = Direction.BOTH, Direction.TO_QUICKBOOKS, Direction.TO_CRM, Direction.ON_CREATE
NAMES, ADDRESSES, LINES, MONEY = Special.NAMES, Special.ADDRESSES, Special.LINES, Special.MONEY
RESOLVED, ITEMS, DOCUMENT = Special.RESOLVED, Special.ITEMS, Special.DOCUMENT
NO_QBO_FIELD = "-"
"""The QuickBooks side of a row that has none: a CRM value from the config (a new product's Unit Group)."""

ADDRESS_PARTS = (
    ("line1", "Line1"),
    ("line2", "Line2"),
    ("line3", "Line3"),
    ("city", "City"),
    ("stateorprovince", "CountrySubDivisionCode"),
    ("postalcode", "PostalCode"),
    ("country", "Country"),
)
"""A Dataverse address's parts (`address1_<part>`) and the QuickBooks address fields they go to (`BillAddr.<field>`)."""


def _addresses() -> tuple[FieldMapping, ...]:
    bill = tuple(
        FieldMapping(f"address1_{crm}", f"BillAddr.{qbo}", Q if crm == "line3" else B, special=ADDRESSES)
        for crm, qbo in ADDRESS_PARTS
    )
    ship = tuple(FieldMapping(f"address2_{crm}", f"ShipAddr.{qbo}", Q, special=ADDRESSES) for crm, qbo in ADDRESS_PARTS)
    return bill + ship


_PHONES_AND_WEB = (
    FieldMapping("telephone1", "PrimaryPhone.FreeFormNumber", B),
    FieldMapping("telephone2", "AlternatePhone.FreeFormNumber", Q),
    FieldMapping("emailaddress1", "PrimaryEmailAddr.Address", B),
)

_TERMS = FieldMapping(
    "paymenttermscode",
    "SalesTermRef.value",
    B,
    Transform.LOOKUP,
    "the Term named like the option, or [sync] payment_terms; back: the option named like the Term (engine)",
    special=RESOLVED,
)
_TERMS_OUT = replace(_TERMS, direction=Q, note="the Term named like the option, or [sync] payment_terms (engine)")
"""An Estimate's terms, and an Order's (it becomes an Invoice): a CRM quote or order is not updated from QuickBooks."""

_CURRENCY = FieldMapping(
    "transactioncurrencyid",
    "CurrencyRef.value",
    N,
    Transform.LOOKUP,
    "the currency's ISO code (isocurrencycode); foreign needs multicurrency",
    special=RESOLVED,
)

_CURRENCY_BACK = FieldMapping(
    "transactioncurrencyid",
    "CurrencyRef.value",
    C,
    Transform.LOOKUP,
    "a record created from a customer: the org's currency of that code",
    special=RESOLVED,
)

ACCOUNT: tuple[FieldMapping, ...] = (
    FieldMapping("name", "DisplayName", B, Transform.NAME, "to CRM when there is no Company Name", special=NAMES),
    FieldMapping(
        "name", "CompanyName", B, Transform.NAME, "to CRM unless cut to 100 (then Display Name)", special=NAMES
    ),
    *_PHONES_AND_WEB,
    FieldMapping("fax", "Fax.FreeFormNumber", B),
    FieldMapping("websiteurl", "WebAddr.URI", B),
    *_addresses(),
    FieldMapping(
        "parentaccountid",
        "ParentRef.value",
        B,
        Transform.LOOKUP,
        "the linked parent; makes a sub-customer",
        special=RESOLVED,
    ),
    FieldMapping(None, "Job", Q, Transform.CONSTANT, "true when there is a parent account", special=RESOLVED),
    _CURRENCY,
    _CURRENCY_BACK,
    _TERMS,
    FieldMapping(
        "accountcategorycode",
        "CustomerTypeRef.value",
        B,
        Transform.LOOKUP,
        "the Customer Type named like the category, or [sync] customer_types (engine)",
        special=RESOLVED,
    ),
    FieldMapping(
        "primarycontactid",
        "GivenName",
        B,
        Transform.LOOKUP,
        "[sync] primary_contact: the contact's first name (back: the primary contact's, made when there is none)",
        special=RESOLVED,
    ),
    FieldMapping(
        "primarycontactid",
        "FamilyName",
        B,
        Transform.LOOKUP,
        "[sync] primary_contact: the contact's last name (back: the primary contact's, made when there is none)",
        special=RESOLVED,
    ),
)

CONTACT: tuple[FieldMapping, ...] = (
    FieldMapping("fullname", "DisplayName", Q, Transform.NAME, "else first and last name", special=NAMES),
    FieldMapping("firstname", "GivenName", B, Transform.NAME, special=NAMES),
    FieldMapping(
        "firstname",
        "DisplayName",
        B,
        Transform.TEMPLATE,
        "to QuickBooks without a full name (first last); to CRM without Given Name (all but the last word)",
        special=NAMES,
    ),
    FieldMapping("middlename", "MiddleName", Q, Transform.NAME),
    FieldMapping("lastname", "FamilyName", B, Transform.NAME, special=NAMES),
    FieldMapping(
        "lastname",
        "DisplayName",
        B,
        Transform.TEMPLATE,
        "to QuickBooks without a full name (first last); to CRM without Family Name (the last word)",
        special=NAMES,
    ),
    FieldMapping("mobilephone", "Mobile.FreeFormNumber", B),
    *_PHONES_AND_WEB,
    FieldMapping("fax", "Fax.FreeFormNumber", Q),
    FieldMapping("websiteurl", "WebAddr.URI", Q),
    *_addresses(),
    _CURRENCY,
    _CURRENCY_BACK,
    _TERMS,
)


def _marked(special: Special, rows: tuple[FieldMapping, ...]) -> tuple[FieldMapping, ...]:
    """`rows` with `special` on each row that has no reason of its own."""
    return tuple(row if row.special else replace(row, special=special) for row in rows)


PRODUCT: tuple[FieldMapping, ...] = _marked(
    ITEMS,
    (
        FieldMapping("name", "Name", B, Transform.NAME, special=NAMES),
        FieldMapping("productnumber", "Sku", B),
        FieldMapping("productnumber", "Name", C, note="a new product from an item without SKU"),
        FieldMapping("description", "Description", B),
        FieldMapping("description", "PurchaseDesc", C, note="when the item has no Description"),
        FieldMapping("price", "UnitPrice", B, Transform.MONEY, special=MONEY),
        FieldMapping("currentcost", "PurchaseCost", B, Transform.MONEY, special=MONEY),
        FieldMapping(
            "producttypecode",
            "Type",
            N,
            Transform.VALUE_MAP,
            "Sales Inventory: Inventory; Services: Service; Misc. Charges, Flat Fees: NonInventory",
        ),
        FieldMapping(
            "producttypecode",
            "Type",
            C,
            Transform.VALUE_MAP,
            "Inventory: Sales Inventory; Service: Services; NonInventory: Misc. Charges",
        ),
        FieldMapping("quantityonhand", "QtyOnHand", N, note="Inventory items", when="producttypecode"),
        FieldMapping("quantityonhand", "QtyOnHand", C, note="when QuickBooks tracks the quantity"),
        FieldMapping(
            None,
            "IncomeAccountRef.value",
            N,
            Transform.SETTING,
            "Service, Inventory: the product income account",
            when="producttypecode",
        ),
        FieldMapping(None, "ExpenseAccountRef.value", N, Transform.SETTING, "the product expense account"),
        FieldMapping(
            None,
            "AssetAccountRef.value",
            N,
            Transform.SETTING,
            "Inventory: the product asset account",
            "producttypecode",
        ),
        FieldMapping(
            "defaultuomscheduleid",
            NO_QBO_FIELD,
            C,
            Transform.SETTING,
            "a new product: [sync] unit_group (QuickBooks has no unit)",
        ),
        FieldMapping(
            "defaultuomid", NO_QBO_FIELD, C, Transform.SETTING, "a new product: [sync] default_unit of that group"
        ),
        FieldMapping(None, "TrackQtyOnHand", N, Transform.CONSTANT, "Inventory: true", "producttypecode"),
        FieldMapping(
            None, "InvStartDate", N, Transform.CONSTANT, "Inventory: the day it is created", "producttypecode"
        ),
        FieldMapping(
            "vendorname",
            "PrefVendorRef.value",
            Q,
            Transform.LOOKUP,
            "the Vendor of that Display Name (never created; none: left out, said in the job)",
            special=RESOLVED,
        ),
        FieldMapping("vendorname", "PrefVendorRef.name", C, note="the preferred vendor's name", special=RESOLVED),
    ),
)


def _extra_line(crm: str, note: str) -> tuple[FieldMapping, ...]:
    """An amount sent as a line of its own (one of the configured Discount or Shipping items, quantity 1)."""
    return (
        FieldMapping(crm, "Line[].SalesItemLineDetail.UnitPrice", Q, Transform.MONEY, note, special=LINES),
        FieldMapping(crm, "Line[].Amount", Q, Transform.MONEY, note, special=LINES),
    )


def _transaction(number: str, dates: tuple[FieldMapping, ...]) -> tuple[FieldMapping, ...]:
    """The header's customer, number and memo, then `dates` (its dates, executed from the table, and its terms,
    which the engine adds: engine/money.py `dress`), then the lines."""
    lines = _marked(
        LINES,
        (
            FieldMapping(
                "line.productid",
                "Line[].SalesItemLineDetail.ItemRef.value",
                Q,
                Transform.LOOKUP,
                "the linked item; a write-in line: the Write-In item",
            ),
            FieldMapping("line.productdescription", "Line[].Description", Q, note="a write-in line's description"),
            FieldMapping("line.description", "Line[].Description", Q, note="when there is no product description"),
            FieldMapping("line.quantity", "Line[].SalesItemLineDetail.Qty", Q),
            FieldMapping("line.priceperunit", "Line[].SalesItemLineDetail.UnitPrice", Q, Transform.MONEY),
            FieldMapping("line.quantity", "Line[].Amount", Q, Transform.TEMPLATE, "quantity x price, to the cent"),
            FieldMapping("line.priceperunit", "Line[].Amount", Q, Transform.TEMPLATE, "quantity x price, to the cent"),
            *_extra_line("line.manualdiscountamount", "a Discount item line after it, negative"),
            *_extra_line("discountamount", "a Discount item line, negative"),
            *_extra_line("freightamount", "a Shipping item line"),
            FieldMapping(None, "Line[].DetailType", Q, Transform.CONSTANT, "SalesItemLineDetail"),
        ),
    )
    return (
        FieldMapping(
            "customerid", "CustomerRef.value", Q, Transform.LOOKUP, "the linked account or contact", special=RESOLVED
        ),
        FieldMapping(number, "DocNumber", Q, note="left out when longer than 21 characters", special=DOCUMENT),
        FieldMapping("name", "PrivateNote", Q, special=DOCUMENT),
        *dates,
        *lines,
    )


QUOTE = _transaction("quotenumber", (FieldMapping("effectiveto", "ExpirationDate", Q, Transform.DATE), _TERMS_OUT))
ORDER = _transaction("ordernumber", (FieldMapping("requestdeliveryby", "ShipDate", Q, Transform.DATE), _TERMS_OUT))
INVOICE = _transaction(
    "invoicenumber",
    (
        FieldMapping("requestdeliveryby", "ShipDate", Q, Transform.DATE),
        FieldMapping("duedate", "DueDate", Q, Transform.DATE),
        _TERMS,
    ),
)

DEFAULT_MAPPINGS: dict[EntityType, tuple[FieldMapping, ...]] = {
    EntityType.ACCOUNT: ACCOUNT,
    EntityType.CONTACT: CONTACT,
    EntityType.PRODUCT: PRODUCT,
    EntityType.QUOTE: QUOTE,
    EntityType.ORDER: ORDER,
    EntityType.INVOICE: INVOICE,
}
"""The mappings shipped as the default (InoLink's fixed mappings, reference §1.7)."""


def _find(limits: tuple[Limit, ...], path: str | None) -> Limit | None:
    return next((limit for limit in limits if limit.path == path), None)


def qbo_limit(entity_type: EntityType, row: FieldMapping) -> Limit | None:
    """QuickBooks' documented limit on the row's field, as the fitting applies it (domain.limits)."""
    from inolink_tui.domain.limits import QBO_LIMITS  # not at the top: domain.limits imports this package (a cycle)

    return _find(QBO_LIMITS.get(QBO_ENTITY[entity_type], ()), row.qbo)


def crm_limit(entity_type: EntityType, row: FieldMapping) -> Limit | None:
    """Dataverse's column length for the row's column, as the fitting applies it (domain.limits)."""
    from inolink_tui.domain.limits import CRM_LIMITS  # not at the top: see qbo_limit

    return _find(CRM_LIMITS.get(entity_type, ()), row.crm)


def qbo_range(entity_type: EntityType, row: FieldMapping) -> Decimal | None:
    """The largest amount QuickBooks accepts in the row's field (a larger one is refused), from domain.limits."""
    from inolink_tui.domain.limits import QBO_RANGES  # not at the top: see qbo_limit

    return next((top for path, top in QBO_RANGES.get(QBO_ENTITY[entity_type], ()) if path == row.qbo), None)
