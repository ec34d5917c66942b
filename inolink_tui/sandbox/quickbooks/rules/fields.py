"""Field-level rules of the QuickBooks Online v3 API: string lengths, formats, forbidden characters, ranges.

Every rule comes from Intuit's API reference, entity by entity (the "Max length" / "max character" line
of each attribute, and each entity's "Business Rules" list); the table below is the one to check, the
entity-level rules (required fields, references, uniqueness) are tabled in `rules/__init__.py`, and
`tests/sandbox/quickbooks/test_conformance_fields.py` has a test per row. Sources
(developer.intuit.com/app/developer/qbo/docs/api/accounting/...):

  CUSTOMER  .../most-commonly-used/customer     VENDOR   .../all-entities/vendor
  EMPLOYEE  .../all-entities/employee           ITEM     .../most-commonly-used/item
  INVOICE   .../most-commonly-used/invoice      TERM     .../all-entities/term
  CLASS     .../all-entities/class              PAYMENTMETHOD .../all-entities/paymentmethod

| entity                          | field                                  | rule             | fault |
|---------------------------------|----------------------------------------|------------------|-------|
| Customer, Vendor, Employee      | DisplayName                            | <= 500           | 2050  |
| Customer, Vendor, Employee      | Title, Suffix                          | <= 16            | 2050  |
| Customer, Vendor, Employee      | GivenName, MiddleName, FamilyName      | <= 100           | 2050  |
| Customer, Vendor                | CompanyName                            | <= 100           | 2050  |
| Customer                        | PrintOnCheckName                       | <= 110           | 2050  |
| Employee                        | PrintOnCheckName                       | <= 100           | 2050  |
| Customer                        | Notes                                  | <= 2000          | 2050  |
| Customer                        | ResaleNum                              | <= 16            | 2050  |
| Customer, Vendor                | PrimaryPhone/AlternatePhone/Mobile/Fax .FreeFormNumber | <= 30 | 2050 |
| Employee                        | PrimaryPhone/Mobile .FreeFormNumber    | <= 20            | 2050  |
| Customer, Vendor, Employee      | PrimaryEmailAddr.Address               | <= 100           | 2050  |
| Customer, Vendor                | WebAddr.URI                            | <= 1000          | 2050  |
| Vendor                          | AcctNum                                | <= 100           | 2050  |
| Vendor                          | TaxIdentifier                          | <= 20            | 2050  |
| Employee                        | EmployeeNumber, SSN                    | <= 100           | 2050  |
| any PhysicalAddress             | Line1..Line5                           | <= 500 each, <= 2000 together | 2050 |
| any PhysicalAddress             | City, Country, CountrySubDivisionCode  | <= 255           | 2050  |
| any PhysicalAddress             | PostalCode                             | <= 30            | 2050  |
| Item                            | Name                                   | <= 100           | 2050  |
| Item                            | Description                            | <= 4000          | 2050  |
| Item                            | PurchaseDesc                           | <= 1000          | 2050  |
| Item                            | Sku                                    | <= 100           | 2050  |
| Item                            | UnitPrice, PurchaseCost                | <= 99999999999   | 2090  |
| sales forms (+CreditMemo)       | DocNumber (Payment too)                | <= 21            | 2050  |
| Estimate, Invoice, SalesReceipt, Payment | PrivateNote                   | <= 4000          | 2050  |
| sales forms (+CreditMemo)       | Line[].Description                     | <= 4000          | 2050  |
| sales forms (+CreditMemo)       | Line[].Amount                          | 15 digits, 10.5  | 2090  |
| sales forms (+CreditMemo)       | BillEmail.Address                      | <= 100           | 2050  |
| Account                         | Name (also no '"' or ':'; AcctNum no ':') | <= 100        | 2050  |
| Term                            | Name                                   | <= 31            | 2050  |
| Term                            | DueDays, DiscountDays, DueNextMonthDays / DayOfMonthDue | 0..999 / 1..31 | 2090 |
| Term                            | DiscountPercent                        | 0..100           | 2090  |
| Class, Department               | Name                                   | <= 100           | 2050  |
| PaymentMethod                   | Name                                   | <= 31            | 2050  |
| Customer, Vendor, Employee      | PrimaryEmailAddr.Address               | has "@" and "."  | 6000  |
| Customer, Vendor, Employee      | DisplayName, Title, GivenName, MiddleName,  | no ':', tab,  | 6000  |
|                                 | FamilyName, Suffix, PrintOnCheckName        | newline       |       |
| Item                            | Name                                   | no ':', tab, newline | 6000 |

Where the docs are vague, this says so: the e-mail rule ("must contain an at sign (@) and dot (.)")
and the forbidden characters have no documented fault code, so they answer 6000 (business validation,
with the rule in the Detail); the numeric-range code is not documented either and reuses 2090
(Invalid Number), the code the sandbox already gives unparseable numbers. Phone numbers and web
addresses are documented as free form, so only their length is checked. The length fault's `element`
is the dotted path of the field, e.g. `PrimaryPhone.FreeFormNumber`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.errors import QboFault

DOCS = "https://developer.intuit.com/app/developer/qbo/docs/api/accounting"
CUSTOMER = f"{DOCS}/most-commonly-used/customer"
VENDOR = f"{DOCS}/all-entities/vendor"
EMPLOYEE = f"{DOCS}/all-entities/employee"
ITEM = f"{DOCS}/most-commonly-used/item"
INVOICE = f"{DOCS}/most-commonly-used/invoice"
TERM = f"{DOCS}/all-entities/term"
ACCOUNT = f"{DOCS}/most-commonly-used/account"
CLASS = f"{DOCS}/all-entities/class"
DEPARTMENT = f"{DOCS}/all-entities/department"
PAYMENT_METHOD = f"{DOCS}/all-entities/paymentmethod"

PEOPLE = ("Customer", "Vendor", "Employee")
SALES = ("Estimate", "Invoice", "SalesReceipt", "CreditMemo", "RefundReceipt")
ADDRESS_LINES = ("Line1", "Line2", "Line3", "Line4", "Line5")
ADDRESS_LINE_MAX = 500
ADDRESS_LINES_TOTAL = 2000
ADDRESSES: dict[str, tuple[str, ...]] = {
    "Customer": ("BillAddr", "ShipAddr"),
    "Vendor": ("BillAddr",),
    "Employee": ("PrimaryAddr",),
    "Estimate": ("BillAddr", "ShipAddr"),
    "Invoice": ("BillAddr", "ShipAddr"),
    "SalesReceipt": ("BillAddr", "ShipAddr"),
    "CreditMemo": ("BillAddr", "ShipAddr"),
    "RefundReceipt": ("BillAddr", "ShipAddr"),
}
FORBIDDEN_IN_NAMES = (":", "\t", "\n")
NAME_PARTS = ("DisplayName", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "PrintOnCheckName")
MAX_AMOUNT = Decimal("9999999999.99999")
"""Line amounts are documented as "Max 15 digits in 10.5 format": ten integer digits."""
MAX_PRICE = Decimal("99999999999")


@dataclass(frozen=True)
class Limit:
    """One documented maximum length: `path` is dotted, `Line[]` walks every line."""

    entities: tuple[str, ...]
    path: str
    maximum: int
    source: str


@dataclass(frozen=True)
class Range:
    """One documented numeric range (inclusive)."""

    entities: tuple[str, ...]
    path: str
    low: Decimal | None
    high: Decimal
    source: str


def _phones(entities: tuple[str, ...], names: tuple[str, ...], maximum: int, source: str) -> list[Limit]:
    return [Limit(entities, f"{n}.FreeFormNumber", maximum, source) for n in names]


LIMITS: tuple[Limit, ...] = (
    Limit(PEOPLE, "DisplayName", 500, CUSTOMER),
    Limit(PEOPLE, "Title", 16, CUSTOMER),
    Limit(PEOPLE, "Suffix", 16, CUSTOMER),
    Limit(PEOPLE, "GivenName", 100, CUSTOMER),
    Limit(PEOPLE, "MiddleName", 100, CUSTOMER),
    Limit(PEOPLE, "FamilyName", 100, CUSTOMER),
    Limit(("Customer", "Vendor"), "CompanyName", 100, CUSTOMER),
    Limit(("Customer",), "PrintOnCheckName", 110, CUSTOMER),
    Limit(("Employee",), "PrintOnCheckName", 100, EMPLOYEE),
    Limit(("Customer",), "Notes", 2000, CUSTOMER),
    Limit(("Customer",), "ResaleNum", 16, CUSTOMER),
    *_phones(("Customer", "Vendor"), ("PrimaryPhone", "AlternatePhone", "Mobile", "Fax"), 30, CUSTOMER),
    *_phones(("Employee",), ("PrimaryPhone", "Mobile"), 20, EMPLOYEE),
    Limit(PEOPLE, "PrimaryEmailAddr.Address", 100, CUSTOMER),
    Limit(("Customer", "Vendor"), "WebAddr.URI", 1000, CUSTOMER),
    Limit(("Vendor",), "AcctNum", 100, VENDOR),
    Limit(("Vendor",), "TaxIdentifier", 20, VENDOR),
    Limit(("Employee",), "EmployeeNumber", 100, EMPLOYEE),
    Limit(("Employee",), "SSN", 100, EMPLOYEE),
    Limit(("Item",), "Name", 100, ITEM),
    Limit(("Item",), "Description", 4000, ITEM),
    Limit(("Item",), "PurchaseDesc", 1000, ITEM),
    Limit(("Item",), "Sku", 100, ITEM),
    Limit((*SALES, "Payment"), "DocNumber", 21, INVOICE),
    Limit((*SALES, "Payment"), "PrivateNote", 4000, INVOICE),
    Limit(SALES, "Line[].Description", 4000, INVOICE),
    Limit(SALES, "BillEmail.Address", 100, INVOICE),
    Limit(("Account",), "Name", 100, ACCOUNT),
    Limit(("Term",), "Name", 31, TERM),
    Limit(("Class",), "Name", 100, CLASS),
    Limit(("Department",), "Name", 100, DEPARTMENT),
    Limit(("PaymentMethod",), "Name", 31, PAYMENT_METHOD),
)
ADDRESS_PART_LIMITS = {"City": 255, "Country": 255, "CountrySubDivisionCode": 255, "PostalCode": 30}

RANGES: tuple[Range, ...] = (
    Range(("Item",), "UnitPrice", None, MAX_PRICE, ITEM),
    Range(("Item",), "PurchaseCost", None, MAX_PRICE, ITEM),
    Range(SALES, "Line[].Amount", -MAX_AMOUNT, MAX_AMOUNT, INVOICE),
    Range(("Term",), "DueDays", Decimal(0), Decimal(999), TERM),
    Range(("Term",), "DiscountDays", Decimal(0), Decimal(999), TERM),
    Range(("Term",), "DueNextMonthDays", Decimal(0), Decimal(999), TERM),
    Range(("Term",), "DayOfMonthDue", Decimal(1), Decimal(31), TERM),
    Range(("Term",), "DiscountDayOfMonth", Decimal(0), Decimal(31), TERM),
    Range(("Term",), "DiscountPercent", Decimal(0), Decimal(100), TERM),
)
EMAILS: dict[str, tuple[str, ...]] = {
    **{e: ("PrimaryEmailAddr.Address",) for e in PEOPLE},
    **{e: ("BillEmail.Address",) for e in SALES},
}


def _values(body: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(dotted path, value) for every value at `path`; `Line[]` visits each line."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        key = head[:-2]
        items = body.get(key) if isinstance(body, dict) else None
        if isinstance(items, list):
            for item in items:
                yield from ((f"{key}.{p}", v) for p, v in _values(item, rest))
        return
    if not isinstance(body, dict) or body.get(head) is None:
        return
    value = body[head]
    if not rest:
        yield head, value
        return
    if not isinstance(value, dict):
        raise errors.malformed_body(head, f"{head} must be an object")
    yield from ((f"{head}.{p}", v) for p, v in _values(value, rest))


def _length(path: str, value: Any, maximum: int) -> None:
    if isinstance(value, dict | list):
        raise errors.malformed_body(path, f"{path} must be a string")
    text = value if isinstance(value, str) else str(value)
    if len(text) > maximum:
        raise errors.string_length(path, maximum, len(text))


def invalid_range(path: str, value: Any, low: Decimal | None, high: Decimal) -> QboFault:
    bounds = f"between {low} and {high}" if low is not None else f"at most {high}"
    return QboFault("2090", "Invalid Number", f"Invalid Number : {value} must be {bounds}", element=path)


def _number(path: str, value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        parsed = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None  # unparseable numbers get their own 2090 where the entity's rules parse them
    return parsed if parsed.is_finite() else None


def bad_email(path: str, value: str) -> QboFault:
    return errors.business(
        f"Invalid email address format for {path}: {value!r}; the address must contain an at sign (@) and a dot (.)",
        element=path,
    )


def forbidden_characters(entity: str, path: str) -> QboFault:
    return errors.business(f"{entity} {path} cannot contain a colon (:), tab or newline.", element=path)


def check(entity: str, body: dict[str, Any]) -> None:
    """Raise the fault for the first documented field rule `body` breaks (lengths, ranges, formats)."""
    for limit in LIMITS:
        if entity in limit.entities:
            for path, value in _values(body, limit.path):
                _length(path, value, limit.maximum)
    for key in ADDRESSES.get(entity, ()):
        _check_address(key, body.get(key))
    for rng in RANGES:
        if entity in rng.entities:
            for path, value in _values(body, rng.path):
                number = _number(path, value)
                if number is not None and ((rng.low is not None and number < rng.low) or number > rng.high):
                    raise invalid_range(path, value, rng.low, rng.high)
    for email_path in EMAILS.get(entity, ()):
        for path, value in _values(body, email_path):
            text = str(value).strip()
            if text and ("@" not in text or "." not in text):
                raise bad_email(path, text)
    if entity in PEOPLE:
        for part in NAME_PARTS:
            value = body.get(part)
            if isinstance(value, str) and any(ch in value for ch in FORBIDDEN_IN_NAMES):
                raise forbidden_characters(entity, part)


def _check_address(key: str, address: Any) -> None:
    if address is None:
        return
    if not isinstance(address, dict):
        raise errors.malformed_body(key, f"{key} must be an object")
    total = 0
    for line in ADDRESS_LINES:
        if address.get(line) is not None:
            _length(f"{key}.{line}", address[line], ADDRESS_LINE_MAX)
            total += len(str(address[line]))
    if total > ADDRESS_LINES_TOTAL:
        raise errors.string_length(f"{key}.Line1-5", ADDRESS_LINES_TOTAL, total)
    for part, maximum in ADDRESS_PART_LIMITS.items():
        if address.get(part) is not None:
            _length(f"{key}.{part}", address[part], maximum)
