"""What each service accepts in the fields the engine writes, and fitting a record into it before it is sent.

The engine's own copy of the services' documented field rules (the sandbox cannot be imported here).
Each limit says what happens to a value that does not fit: TRUNCATE where a shorter value keeps its
meaning (a phone with a long extension, an address line, a description, the Accounting Ref display),
recorded in the job's history; REFUSE where it does not (a name unique only in its first N characters, a
key, a URL, a postal code, an e-mail without '@'), which fails the job with a VALIDATION error naming the
field, its limit and the record's value before the value is ever sent.

QuickBooks Online (Intuit API reference, developer.intuit.com/app/developer/qbo/docs/api/accounting/...):

| entity    | field                                   | max   | overflow | source page                        |
|-----------|-----------------------------------------|-------|----------|------------------------------------|
| Customer  | DisplayName                             | 500   | refuse   | most-commonly-used/customer        |
| Customer  | CompanyName                             | 100   | truncate | (DisplayName keeps the full name)  |
| Customer  | GivenName, MiddleName, FamilyName       | 100   | refuse   | most-commonly-used/customer        |
| Customer  | PrimaryPhone/AlternatePhone/Mobile/Fax  | 30    | truncate | .FreeFormNumber, same page         |
| Customer  | PrimaryEmailAddr.Address                | 100   | refuse   | + must contain '@' and '.'         |
| Customer  | WebAddr.URI                             | 1000  | refuse   | most-commonly-used/customer        |
| Customer  | Notes                                   | 2000  | truncate | most-commonly-used/customer        |
| Customer  | BillAddr/ShipAddr Line1..5              | 500   | truncate | PhysicalAddress, same page         |
| Customer  | BillAddr/ShipAddr City, Country, State  | 255   | truncate | PhysicalAddress                    |
| Customer  | BillAddr/ShipAddr PostalCode            | 30    | refuse   | PhysicalAddress                    |
| Item      | Name                                    | 100   | refuse   | most-commonly-used/item            |
| Item      | Sku                                     | 100   | refuse   | most-commonly-used/item            |
| Item      | Description                             | 4000  | truncate | most-commonly-used/item            |
| Item      | PurchaseDesc                            | 1000  | truncate | most-commonly-used/item            |
| Item      | UnitPrice, PurchaseCost                 | 99999999999 | refuse | most-commonly-used/item      |
| sales forms | DocNumber (the mapping omits one > 21) | 21 | refuse | most-commonly-used/invoice         |
| Estimate, Invoice | PrivateNote                     | 4000  | truncate | most-commonly-used/invoice         |
| Estimate, Invoice | Line[].Description              | 4000  | truncate | most-commonly-used/invoice         |
| Estimate, Invoice | Line[].Amount                   | 10.5 digits | refuse | most-commonly-used/invoice   |

Names (DisplayName and its parts, Item Name) may not contain ':', tab or newline (refused; the mappings
replace them first). Dataverse (Microsoft Learn, learn.microsoft.com/power-apps/developer/data-platform/
reference/entities/<table>, MaxLength of each column; the `ino_` columns as the setup creates them):

| table   | column                                   | max  | overflow |
|---------|------------------------------------------|------|----------|
| account | name                                     | 160  | refuse   |
| account | telephone1, fax                          | 50   | truncate |
| account | emailaddress1                            | 100  | refuse   |
| account | websiteurl                               | 200  | refuse   |
| account, contact | address1_line1, address1_line2  | 250  | truncate |
| account, contact | address1_city, address1_country | 80   | truncate |
| account, contact | address1_stateorprovince        | 50   | truncate |
| account, contact | address1_postalcode             | 20   | refuse   |
| contact | firstname, lastname                      | 50   | refuse   |
| contact | telephone1, mobilephone                  | 50   | truncate |
| contact | emailaddress1                            | 100  | refuse   |
| product | name, productnumber                      | 100  | refuse   |
| product | description                              | 2000 | truncate |
| product | vendorname                               | 100  | truncate |
| all     | ino_accountingid                         | 50   | refuse   |
| all     | ino_accountingref                        | 100  | truncate |
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from copy import deepcopy
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.errors import MappingError


class Overflow(StrEnum):
    TRUNCATE = "truncate"
    REFUSE = "refuse"


T, R = Overflow.TRUNCATE, Overflow.REFUSE


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `maximum` characters at `path` (dotted; `Line[]` walks every line)."""

    path: str
    maximum: int
    overflow: Overflow


@dataclass(frozen=True, slots=True)
class Truncation:
    """One value cut to fit, for the job's history."""

    system: str
    field: str
    limit: int
    original_length: int

    def describe(self) -> str:
        return f"{self.system} {self.field} cut to {self.limit} characters (was {self.original_length})"

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "field": self.field, "limit": self.limit, "length": self.original_length}


@dataclass(frozen=True, slots=True)
class Fitted:
    values: dict[str, Any]
    truncations: tuple[Truncation, ...] = ()


class FieldLimitError(MappingError):
    """A value the target would refuse and that cannot be shortened without losing its meaning."""

    def __init__(self, message: str, *, field: str, limit: int | str, value: Any) -> None:
        super().__init__(message)
        self.field = field
        self.limit = limit
        self.value = value


QUICKBOOKS = "QuickBooks"
CRM = "CRM"
FORBIDDEN_IN_NAMES = (":", "\t", "\n")
MAX_PRICE = Decimal("99999999999")
MAX_LINE_AMOUNT = Decimal("9999999999.99999")


def _address(prefix: str) -> tuple[Limit, ...]:
    lines = tuple(Limit(f"{prefix}.Line{i}", 500, T) for i in range(1, 6))
    return (
        *lines,
        Limit(f"{prefix}.City", 255, T),
        Limit(f"{prefix}.Country", 255, T),
        Limit(f"{prefix}.CountrySubDivisionCode", 255, T),
        Limit(f"{prefix}.PostalCode", 30, R),
    )


_SALES: tuple[Limit, ...] = (
    Limit("DocNumber", 21, R),
    Limit("PrivateNote", 4000, T),
    Limit("Line[].Description", 4000, T),
    *_address("BillAddr"),
    *_address("ShipAddr"),
)

QBO_LIMITS: dict[str, tuple[Limit, ...]] = {
    "Customer": (
        Limit("DisplayName", 500, R),
        Limit("CompanyName", 100, T),
        Limit("GivenName", 100, R),
        Limit("MiddleName", 100, R),
        Limit("FamilyName", 100, R),
        Limit("PrimaryPhone.FreeFormNumber", 30, T),
        Limit("AlternatePhone.FreeFormNumber", 30, T),
        Limit("Mobile.FreeFormNumber", 30, T),
        Limit("Fax.FreeFormNumber", 30, T),
        Limit("PrimaryEmailAddr.Address", 100, R),
        Limit("WebAddr.URI", 1000, R),
        Limit("Notes", 2000, T),
        *_address("BillAddr"),
        *_address("ShipAddr"),
    ),
    "Item": (
        Limit("Name", 100, R),
        Limit("Sku", 100, R),
        Limit("Description", 4000, T),
        Limit("PurchaseDesc", 1000, T),
    ),
    "Estimate": _SALES,
    "Invoice": _SALES,
    "SalesReceipt": _SALES,
    "CreditMemo": _SALES,
}
QBO_NAMES: dict[str, tuple[str, ...]] = {
    "Customer": ("DisplayName", "GivenName", "MiddleName", "FamilyName"),
    "Item": ("Name",),
}
QBO_EMAILS: dict[str, tuple[str, ...]] = {"Customer": ("PrimaryEmailAddr.Address",)}
QBO_RANGES: dict[str, tuple[tuple[str, Decimal], ...]] = {
    "Item": (("UnitPrice", MAX_PRICE), ("PurchaseCost", MAX_PRICE)),
    "Estimate": (("Line[].Amount", MAX_LINE_AMOUNT),),
    "Invoice": (("Line[].Amount", MAX_LINE_AMOUNT),),
    "SalesReceipt": (("Line[].Amount", MAX_LINE_AMOUNT),),
}

_INOLINK = (Limit("ino_accountingid", 50, R), Limit("ino_accountingref", 100, T))
_CRM_ADDRESS = (
    Limit("address1_line1", 250, T),
    Limit("address1_line2", 250, T),
    Limit("address1_city", 80, T),
    Limit("address1_stateorprovince", 50, T),
    Limit("address1_country", 80, T),
    Limit("address1_postalcode", 20, R),
)
CRM_LIMITS: dict[EntityType, tuple[Limit, ...]] = {
    EntityType.ACCOUNT: (
        Limit("name", 160, R),
        Limit("telephone1", 50, T),
        Limit("fax", 50, T),
        Limit("emailaddress1", 100, R),
        Limit("websiteurl", 200, R),
        *_CRM_ADDRESS,
        *_INOLINK,
    ),
    EntityType.CONTACT: (
        Limit("firstname", 50, R),
        Limit("lastname", 50, R),
        Limit("telephone1", 50, T),
        Limit("mobilephone", 50, T),
        Limit("emailaddress1", 100, R),
        *_CRM_ADDRESS,
        *_INOLINK,
    ),
    EntityType.PRODUCT: (
        Limit("name", 100, R),
        Limit("productnumber", 100, R),
        Limit("description", 2000, T),
        Limit("vendorname", 100, T),
        *_INOLINK,
    ),
    EntityType.QUOTE: _INOLINK,
    EntityType.ORDER: _INOLINK,
    EntityType.INVOICE: _INOLINK,
}
CRM_EMAILS = ("emailaddress1",)


def _shown(value: Any) -> str:
    text = str(value)
    return repr(text) if len(text) <= 60 else repr(text[:57] + "...") + f" ({len(text)} characters)"


def _locations(body: Any, path: str) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(dotted path, the dict holding the value, its key) for every value at `path`."""
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = body.get(head[:-2]) if isinstance(body, dict) else None
        if isinstance(items, list):
            for item in items:
                for where, holder, key in _locations(item, rest):
                    yield f"{head[:-2]}.{where}", holder, key
        return
    if not isinstance(body, dict) or body.get(head) is None:
        return
    if not rest:
        yield head, body, head
        return
    for where, holder, key in _locations(body[head], rest):
        yield f"{head}.{where}", holder, key


def _fit(system: str, what: str, limits: tuple[Limit, ...], values: dict[str, Any]) -> list[Truncation]:
    cut: list[Truncation] = []
    for limit in limits:
        for where, holder, key in _locations(values, limit.path):
            value = holder[key]
            if not isinstance(value, str) or len(value) <= limit.maximum:
                continue
            if limit.overflow is Overflow.REFUSE:
                raise FieldLimitError(
                    f"{system} {what} {where} holds at most {limit.maximum} characters; this record's value has "
                    f"{len(value)}: {_shown(value)}; shorten it, then requeue this job",
                    field=where,
                    limit=limit.maximum,
                    value=value,
                )
            holder[key] = value[: limit.maximum]
            cut.append(Truncation(system, where, limit.maximum, len(value)))
    return cut


def _check_email(system: str, what: str, where: str, value: Any) -> None:
    text = str(value).strip()
    if text and ("@" not in text or "." not in text):
        raise FieldLimitError(
            f"{system} {what} {where} must be an e-mail address with '@' and '.'; this record's value is "
            f"{_shown(text)}; correct it, then requeue this job",
            field=where,
            limit="'@' and '.'",
            value=text,
        )


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return parsed if parsed.is_finite() else None


def fit_qbo(entity: str, body: Mapping[str, Any]) -> Fitted:
    """`body` made to fit QuickBooks' documented field rules, or a FieldLimitError naming the first refusal."""
    values = deepcopy(dict(body))
    for field in QBO_NAMES.get(entity, ()):
        value = values.get(field)
        if isinstance(value, str) and any(ch in value for ch in FORBIDDEN_IN_NAMES):
            raise FieldLimitError(
                f"{QUICKBOOKS} {entity} {field} may contain no ':', tab or line break; this record's value is "
                f"{_shown(value)}; rename it, then requeue this job",
                field=field,
                limit="no ':', tab or line break",
                value=value,
            )
    for path in QBO_EMAILS.get(entity, ()):
        for where, holder, key in _locations(values, path):
            _check_email(QUICKBOOKS, entity, where, holder[key])
    for path, maximum in QBO_RANGES.get(entity, ()):
        for where, holder, key in _locations(values, path):
            number = _number(holder[key])
            if number is not None and abs(number) > maximum:
                raise FieldLimitError(
                    f"{QUICKBOOKS} {entity} {where} is at most {maximum}; this record's value is {holder[key]}; "
                    "correct it, then requeue this job",
                    field=where,
                    limit=str(maximum),
                    value=holder[key],
                )
    cut = _fit(QUICKBOOKS, entity, QBO_LIMITS.get(entity, ()), values)
    return Fitted(values, tuple(cut))


def fit_crm(entity_type: EntityType, columns: Mapping[str, Any]) -> Fitted:
    """CRM columns made to fit Dataverse's column lengths, or a FieldLimitError naming the first refusal."""
    values = dict(columns)
    for column in CRM_EMAILS:
        if values.get(column) is not None:
            _check_email(CRM, entity_type.value, column, values[column])
    cut = _fit(CRM, entity_type.value, CRM_LIMITS.get(entity_type, ()), values)
    return Fitted(values, tuple(cut))
