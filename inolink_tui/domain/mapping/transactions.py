"""Quote -> Estimate, Order -> Invoice, Invoice -> Invoice, with their lines (reference §1.7).

Lines: an existing product -> its linked Item; a write-in line -> the Write-In item; a line's manual
discount and the document's manual discount -> the Discount item (negative amount); freight -> the
Shipping item. Price per unit -> UnitPrice, Quantity -> Qty, the document name -> PrivateNote (memo),
the CRM number -> DocNumber when QuickBooks accepts it (at most 21 characters), requested delivery ->
ShipDate, due date -> DueDate, quote expiry -> ExpirationDate.

The dates are executed from the tables (apply.py `table_to_qbo`); the customer, number, memo and lines are
written here (tables.py marks those rows special).

Every product a transaction uses must already be linked; the mapping names the missing ones so the
job's Error Description can tell the operator exactly what to promote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.mapping.apply import table_to_qbo
from inolink_tui.domain.mapping.errors import MappingError
from inolink_tui.domain.mapping.records import NUMBER_COLUMN

MAX_DOC_NUMBER = 21
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class ServiceItems:
    """QuickBooks ids of the configured Write-In, Discount and Shipping service items."""

    write_in: str | None = None
    discount: str | None = None
    shipping: str | None = None


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
    return table_to_qbo(entity_type, header, body, create=True)


def accounting_ref(entity_type: EntityType, created: Mapping[str, Any]) -> str:
    """What CRM's Accounting Ref shows: the QuickBooks document number (an Order says it became an Invoice)."""
    number = str(created.get("DocNumber") or created.get("Id") or "")
    if entity_type is EntityType.ORDER:
        return f"Invoice {number}"
    return number
