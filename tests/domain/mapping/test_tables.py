"""The default mapping tables and the mapping functions agree exactly.

The functions execute the table rows without a `special` reason (apply.py) and write the special ones in code
(test_table_rows.py proves they give what the hand-written functions gave); these checks hold the whole table,
special rows included, to what the functions do. Two checks, both against the real functions (crm_to_customer,
customer_to_crm, crm_to_item, item_to_crm, crm_to_transaction):
- every field a function writes, for any generated record, is a row of the table in that direction;
- every (CRM column, QuickBooks field) pair carries a value in a direction exactly when a row says so:
  changing the source value changes the target value (so no row the code does not do, and no pairing
  the table hides).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inolink_tui.domain.enums import SYNCED_ENTITY_TYPES, EntityType
from inolink_tui.domain.limits import Overflow
from inolink_tui.domain.mapping import (
    ItemAccounts,
    MappingError,
    ServiceItems,
    crm_to_customer,
    crm_to_item,
    crm_to_transaction,
    customer_to_crm,
    item_to_crm,
)
from inolink_tui.domain.mapping.tables import (
    DEFAULT_MAPPINGS,
    Direction,
    Transform,
    crm_limit,
    qbo_limit,
)

ENTITIES = list(SYNCED_ENTITY_TYPES)
NUMBERS = {
    "price",
    "currentcost",
    "quantityonhand",
    "line.quantity",
    "line.priceperunit",
    "line.manualdiscountamount",
    "discountamount",
    "freightamount",
}
DATES = {"effectiveto", "requestdeliveryby", "duedate"}
QBO_NUMBERS = {"UnitPrice", "PurchaseCost", "QtyOnHand"}


def flatten(body: Mapping[str, Any]) -> dict[str, list[Any]]:
    """QuickBooks body -> {dotted path: values}, `Line[]` standing for every line."""
    out: dict[str, list[Any]] = defaultdict(list)
    for key, value in body.items():
        if isinstance(value, list):
            for item in value:
                for path, values in flatten(item).items():
                    out[f"{key}[].{path}"].extend(values)
        elif isinstance(value, Mapping):
            for path, values in flatten(value).items():
                out[f"{key}.{path}"].extend(values)
        else:
            out[key].append(value)
    return dict(out)


class Reads(dict[str, Any]):
    """A record that notes every key the mapping function reads (nested objects as dotted paths)."""

    def __init__(self, data: Mapping[str, Any], log: set[str], prefix: str = "") -> None:
        super().__init__(data)
        self.log = log
        self.prefix = prefix

    def _seen(self, key: str, value: Any) -> Any:
        self.log.add(self.prefix + key)
        return Reads(value, self.log, f"{self.prefix}{key}.") if isinstance(value, Mapping) else value

    def get(self, key: str, default: Any = None) -> Any:
        return self._seen(key, super().get(key, default))

    def __getitem__(self, key: str) -> Any:
        return self._seen(key, super().__getitem__(key))


def to_qbo(
    entity_type: EntityType, record: Mapping[str, Any], *, for_create: bool, reads: set[str] | None = None
) -> dict[str, list[Any]]:
    """The mapping function of `entity_type` towards QuickBooks, lookups resolved as the engine does."""
    log = reads if reads is not None else set()
    if entity_type in (EntityType.ACCOUNT, EntityType.CONTACT):
        parent = record.get("parentaccountid") if entity_type is EntityType.ACCOUNT else None
        currency = record.get("transactioncurrencyid") if for_create else None  # on create only (engine/lookups.py)
        terms = record.get("paymenttermscode")  # the Term of that name, resolved by the engine (engine/terms.py)
        term = {"value": f"T-{terms}"} if terms else None
        category = record.get("accountcategorycode")  # the Customer Type of that name (engine/customer_types.py)
        ctype = {"value": f"CT-{category}"} if category else None
        person = record.get("primarycontactid")  # the contact the engine reads (engine/primary_contact.py)
        contact = {"firstname": f"{person} first", "lastname": f"{person} last"} if person else None
        customer = crm_to_customer(
            entity_type,
            Reads(record, log),
            parent_qbo_id=parent,
            currency=currency,
            sales_term=term,
            customer_type=ctype,
            primary_contact=contact,
        )
        return flatten(customer)
    if entity_type is EntityType.PRODUCT:
        accounts = ItemAccounts(income="income", expense="expense", asset="asset")
        vendor = record.get("vendorname")  # the Vendor of that name, looked up by the engine (engine/vendors.py)
        ref = {"value": f"V-{vendor}"} if vendor else None
        item = crm_to_item(Reads(record, log), accounts, for_create=for_create, today=date(2026, 1, 2), pref_vendor=ref)
        return flatten(item)
    header = Reads({k: v for k, v in record.items() if not k.startswith("line.")}, log)
    columns = {k.removeprefix("line.").replace("productid", "_productid_value"): v for k, v in record.items()}
    line = Reads({k: v for k, v in columns.items() if k not in header}, log, "line.")
    product = line.get("_productid_value")
    body = crm_to_transaction(
        entity_type,
        header,
        [line],
        customer_qbo_id=str(record.get("customerid") or "C0"),
        item_ids={str(product).lower(): f"Q-{product}"} if product else {},
        service_items=ServiceItems(write_in="W", discount="D", shipping="S"),
    )
    if terms := record.get("paymenttermscode"):  # the Term of that name, added by the engine (engine/money.py)
        body["SalesTermRef"] = {"value": f"T-{terms}"}
    return flatten(body)


def to_crm(
    entity_type: EntityType, body: Mapping[str, Any], *, for_create: bool, reads: set[str] | None = None
) -> dict[str, Any]:
    log = reads if reads is not None else set()
    if entity_type in (EntityType.ACCOUNT, EntityType.CONTACT):
        return customer_to_crm(entity_type, Reads(body, log))
    if entity_type is EntityType.PRODUCT:
        return item_to_crm(Reads(body, log), for_create=for_create)
    return {}  # transactions are promoted from CRM only


def _unflatten(paths: Mapping[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for path, value in paths.items():
        *heads, last = path.split(".")
        holder = body
        for head in heads:
            holder = holder.setdefault(head, {})
        holder[last] = value
    return body


# ---- bases and mutations for the pairing check ----


def _crm_value(column: str, n: int) -> Any:
    if column in NUMBERS:
        return Decimal(3 + n)
    if column in DATES:
        return f"2026-0{1 + n}-15T00:00:00Z"
    if column == "producttypecode":
        return (1, 3)[n % 2]
    return f"{column.replace('.', '')} v{n} end"


def _crm_bases(entity_type: EntityType) -> list[dict[str, Any]]:
    columns = {row.crm for row in DEFAULT_MAPPINGS[entity_type] if row.crm}
    full = {c: _crm_value(c, 0) for c in columns}
    sparse_name = {k: v for k, v in full.items() if k not in ("fullname", "line.productdescription")}
    # each column left out in turn, so a value that only shows when another is empty is seen too
    each_missing = [{k: v for k, v in full.items() if k != gone} for gone in sorted(columns)]
    return [full, sparse_name, *each_missing]


def _crm_mutations(column: str, value: Any) -> list[Any]:
    if column == "producttypecode":
        return [code for code in (1, 2, 3, 4) if code != value]
    if column in NUMBERS or column in DATES:
        return [_crm_value(column, 1)]
    return [f"Z{value}", f"{value}Z"]


def _qbo_value(path: str, n: int) -> Any:
    if path == "Type":
        return ("Inventory", "Service")[n % 2]
    if path in QBO_NUMBERS:
        return float(5 + n)
    return f"{path} v{n} end"


def _qbo_bases(entity_type: EntityType) -> list[dict[str, Any]]:
    paths = {row.qbo for row in DEFAULT_MAPPINGS[entity_type] if row.direction.to_crm}
    full = {p: _qbo_value(p, 0) for p in paths}
    if entity_type is EntityType.PRODUCT:
        full["TrackQtyOnHand"] = True
        without = {k: v for k, v in full.items() if k not in ("Sku", "Description")}
    else:
        without = {k: v for k, v in full.items() if k not in ("CompanyName", "GivenName", "FamilyName")}
    each_missing = [{k: v for k, v in full.items() if k != gone} for gone in sorted(full)]
    return [_unflatten(base) for base in (full, without, *each_missing)]


def _get(body: Mapping[str, Any], path: str) -> Any:
    value: Any = body
    for head in path.split("."):
        value = value.get(head) if isinstance(value, Mapping) else None
    return value


def _set(body: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    head, _, rest = path.partition(".")
    copy = dict(body)
    copy[head] = _set(body.get(head) or {}, rest, value) if rest else value
    return copy


def _try_qbo(
    entity_type: EntityType, record: Mapping[str, Any], *, for_create: bool, reads: set[str] | None = None
) -> dict[str, list[Any]] | None:
    """What the function writes, or None when it refuses the record (a MappingError)."""
    try:
        return to_qbo(entity_type, record, for_create=for_create, reads=reads)
    except MappingError:
        return None


def carries_to_qbo(entity_type: EntityType, crm: str, qbo: str, *, for_create: bool) -> bool:
    """Changing CRM `crm` changes QuickBooks `qbo` for some base record."""
    for base in _crm_bases(entity_type):
        if crm not in base:
            continue
        before = _try_qbo(entity_type, base, for_create=for_create)
        for changed in _crm_mutations(crm, base[crm]):
            after = _try_qbo(entity_type, {**base, crm: changed}, for_create=for_create)
            if before is not None and after is not None and before.get(qbo) != after.get(qbo):
                return True
    return False


def carries_to_crm(entity_type: EntityType, crm: str, qbo: str) -> bool:
    """Changing QuickBooks `qbo` changes CRM `crm` for some base body (new or existing product)."""
    for base in _qbo_bases(entity_type):
        if _get(base, qbo) is None:
            continue
        value = _get(base, qbo)
        changes = [_qbo_value(qbo, 1)] if qbo == "Type" or qbo in QBO_NUMBERS else [f"Z{value}", f"{value}Z"]
        for for_create in (False, True):
            before = to_crm(entity_type, base, for_create=for_create)
            for changed in changes:
                after = to_crm(entity_type, _set(base, qbo, changed), for_create=for_create)
                if before.get(crm) != after.get(crm):
                    return True
    return False


def _pairs(entity_type: EntityType) -> set[tuple[str, str]]:
    """Every CRM column of the table with every QuickBooks field of the table, listed together or not."""
    rows = DEFAULT_MAPPINGS[entity_type]
    columns = {row.crm for row in rows if row.crm} | {row.when for row in rows if row.when}
    return {(crm, row.qbo) for crm in columns for row in rows}


@pytest.mark.parametrize("entity_type", ENTITIES)
def test_each_pair_carries_values_exactly_in_the_directions_the_table_gives(entity_type: EntityType) -> None:
    rows = DEFAULT_MAPPINGS[entity_type]
    for crm, qbo in sorted(_pairs(entity_type)):
        directions = {row.direction for row in rows if (row.crm, row.qbo) == (crm, qbo)}
        gates = {row.direction for row in rows if (row.when, row.qbo) == (crm, qbo)}
        if gates:
            # `when`: the column decides whether the field is written, in the row's direction, and no other way
            assert not directions, (crm, qbo)
            assert carries_to_qbo(entity_type, crm, qbo, for_create=Direction.ON_CREATE in gates), (crm, qbo, "gate")
            assert not carries_to_qbo(entity_type, crm, qbo, for_create=False) or Direction.ON_CREATE not in gates
            continue
        on_update = carries_to_qbo(entity_type, crm, qbo, for_create=False)
        on_create = carries_to_qbo(entity_type, crm, qbo, for_create=True)
        if on_update:
            assert directions & {Direction.BOTH, Direction.TO_QUICKBOOKS}, (crm, qbo, "is written to QuickBooks")
        elif on_create:
            assert Direction.ON_CREATE in directions, (crm, qbo, "is written to QuickBooks on create")
        else:
            assert not any(d.to_quickbooks for d in directions), (crm, qbo, "is never written to QuickBooks")
        if Direction.ON_CREATE in directions:
            assert on_create and not on_update, (crm, qbo, "on create only")
        bound = any(
            row.transform in (Transform.LOOKUP, Transform.SETTING) for row in rows if (row.crm, row.qbo) == (crm, qbo)
        )
        if bound:
            # Lookups coming back, and a new product's Unit Group and Default Unit ([sync] settings), are bound by
            # the engine (engine/pull.py, engine/custom_mapping.py), not by the mapping function.
            continue
        assert carries_to_crm(entity_type, crm, qbo) == any(d.to_crm for d in directions), (crm, qbo, "to CRM")


@pytest.mark.parametrize("entity_type", ENTITIES)
def test_constant_and_setting_rows_are_written(entity_type: EntityType) -> None:
    for row in DEFAULT_MAPPINGS[entity_type]:
        if row.crm is not None:
            continue
        produced = [_try_qbo(entity_type, base, for_create=True) or {} for base in _crm_bases(entity_type)]
        assert any(row.qbo in body for body in produced), row
        if row.direction is Direction.ON_CREATE:
            updates = [_try_qbo(entity_type, base, for_create=False) or {} for base in _crm_bases(entity_type)]
            assert not any(row.qbo in body for body in updates), row


# Keys the functions read that are not fields: the record's id (a name of last resort), a line's
# write-in flag and its order, and whether QuickBooks tracks an item's quantity (the row's note says so).
NOT_FIELDS = {
    "accountid",
    "contactid",
    "productid",
    "quoteid",
    "salesorderid",
    "invoiceid",
    "line.isproductoverridden",
    "line.sequencenumber",
    "line.lineitemnumber",
    "TrackQtyOnHand",
}


@pytest.mark.parametrize("entity_type", ENTITIES)
def test_every_column_the_functions_read_is_in_the_table(entity_type: EntityType) -> None:
    """A field the code uses but the table omits (e.g. a row deleted) fails here."""
    rows = DEFAULT_MAPPINGS[entity_type]
    reads: set[str] = set()
    for base in _crm_bases(entity_type):
        for for_create in (False, True):
            _try_qbo(entity_type, base, for_create=for_create, reads=reads)
    # a header lookup (parent account, customer) is resolved by the engine and handed to the function as an id
    listed = {r.crm for r in rows if r.crm and r.direction.to_quickbooks} | {r.when for r in rows if r.when}
    resolved = {r.crm for r in rows if r.transform is Transform.LOOKUP and not str(r.crm).startswith("line.")}
    assert {r.replace("_productid_value", "productid") for r in reads} - NOT_FIELDS == listed - resolved
    back: set[str] = set()
    for body in _qbo_bases(entity_type):
        for for_create in (False, True):
            to_crm(entity_type, body, for_create=for_create, reads=back)
    read_fields = {path for path in back if not any(other.startswith(path + ".") for other in back)}
    assert read_fields - NOT_FIELDS == {
        r.qbo for r in rows if r.direction.to_crm and r.transform not in (Transform.LOOKUP, Transform.SETTING)
    }


# ---- generated records: nothing written that the table does not list ----


def _column_strategy(column: str) -> st.SearchStrategy[Any]:
    if column in NUMBERS:
        return st.decimals(min_value=-1000, max_value=1000, places=2)
    if column in DATES:
        return st.dates().map(lambda d: d.isoformat() + "T00:00:00Z")
    if column == "producttypecode":
        return st.sampled_from([1, 2, 3, 4])
    return st.text(alphabet=st.characters(codec="utf-8"), max_size=12)


@st.composite
def crm_records(draw: st.DrawFn, entity_type: EntityType) -> dict[str, Any]:
    columns = sorted({row.crm for row in DEFAULT_MAPPINGS[entity_type] if row.crm})
    strategies = {c: _column_strategy(c) for c in columns}
    record: dict[str, Any] = draw(st.fixed_dictionaries({}, optional=strategies))
    return record


@st.composite
def qbo_bodies(draw: st.DrawFn, entity_type: EntityType) -> dict[str, Any]:
    paths = sorted({row.qbo for row in DEFAULT_MAPPINGS[entity_type] if row.direction.to_crm} | {"Job"})
    strategies: dict[str, st.SearchStrategy[Any]] = {}
    for path in paths:
        if path == "Type":
            strategies[path] = st.sampled_from(["Inventory", "NonInventory", "Service", "Group"])
        elif path in QBO_NUMBERS:
            strategies[path] = st.floats(min_value=-1e6, max_value=1e6)
        elif path == "Job":
            strategies[path] = st.booleans()
        else:
            strategies[path] = st.text(max_size=12)
    if entity_type is EntityType.PRODUCT:
        strategies["TrackQtyOnHand"] = st.booleans()
    flat: dict[str, Any] = draw(st.fixed_dictionaries({}, optional=strategies))
    return _unflatten(flat)


@pytest.mark.parametrize("entity_type", ENTITIES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_every_field_written_to_quickbooks_is_in_the_table(entity_type: EntityType, data: st.DataObject) -> None:
    record = data.draw(crm_records(entity_type))
    for_create = data.draw(st.booleans())
    rows = DEFAULT_MAPPINGS[entity_type]
    allowed = {
        r.qbo for r in rows if r.direction.to_quickbooks and (for_create or r.direction is not Direction.ON_CREATE)
    }
    try:
        produced = to_qbo(entity_type, record, for_create=for_create)
    except MappingError:
        return  # refused (no name, no lines...): nothing written
    assert set(produced) <= allowed, set(produced) - allowed


@pytest.mark.parametrize("entity_type", [EntityType.ACCOUNT, EntityType.CONTACT, EntityType.PRODUCT])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_every_column_written_to_crm_is_in_the_table(entity_type: EntityType, data: st.DataObject) -> None:
    body = data.draw(qbo_bodies(entity_type))
    for_create = data.draw(st.booleans())
    allowed = {r.crm for r in DEFAULT_MAPPINGS[entity_type] if r.direction.to_crm}
    produced = to_crm(entity_type, body, for_create=for_create)
    assert set(produced) <= allowed, set(produced) - allowed


def test_transactions_are_written_to_quickbooks_only_but_an_invoice_s_terms() -> None:
    # issue 16: money back refreshes a linked invoice's Payment Terms from QuickBooks (engine/money_back.py)
    for entity_type in (EntityType.QUOTE, EntityType.ORDER, EntityType.INVOICE):
        back = [row for row in DEFAULT_MAPPINGS[entity_type] if row.direction is not Direction.TO_QUICKBOOKS]
        expected = [("paymenttermscode", Direction.BOTH)] if entity_type is EntityType.INVOICE else []
        assert [(row.crm, row.direction) for row in back] == expected


@pytest.mark.parametrize("entity_type", [EntityType.QUOTE, EntityType.ORDER, EntityType.INVOICE])
def test_every_transaction_carries_its_payment_terms_to_quickbooks(entity_type: EntityType) -> None:
    """The row says what the engine does: a CRM document's Payment Terms become the QuickBooks SalesTermRef."""
    from inolink_tui.domain.mapping.money import CompanyMoney, MoneyPolicy, dress_transaction

    rows = [r for r in DEFAULT_MAPPINGS[entity_type] if r.crm == "paymenttermscode"]
    assert [(r.qbo, r.direction.to_quickbooks) for r in rows] == [("SalesTermRef.value", True)]
    company = CompanyMoney(terms={"net 45": "4"}, term_names={"4": "Net 45"})
    body = {"CustomerRef": {"value": "1"}, "Line": []}
    dressed = dress_transaction(body, company, MoneyPolicy(), items={}, header={"paymenttermscode": 3})
    assert dressed["SalesTermRef"] == {"value": "4", "name": "Net 45"}


def test_limits_come_from_the_fitting_rules() -> None:
    account = {(r.crm, r.qbo): r for r in DEFAULT_MAPPINGS[EntityType.ACCOUNT]}
    name = account[("name", "DisplayName")]
    assert (crm_limit(EntityType.ACCOUNT, name), qbo_limit(EntityType.ACCOUNT, name)) is not None
    crm, qbo = crm_limit(EntityType.ACCOUNT, name), qbo_limit(EntityType.ACCOUNT, name)
    assert crm is not None and (crm.maximum, crm.overflow) == (160, Overflow.REFUSE)
    assert qbo is not None and (qbo.maximum, qbo.overflow) == (500, Overflow.REFUSE)
    postal = account[("address1_postalcode", "BillAddr.PostalCode")]
    assert qbo_limit(EntityType.ACCOUNT, postal) is not None
    assert crm_limit(EntityType.ACCOUNT, postal) is not None


def test_every_column_the_crm_fitting_limits_is_a_mapped_column() -> None:
    """domain.limits and the tables spell columns alike, so `mapping show` finds every CRM limit."""
    from inolink_tui.domain.limits import CRM_LIMITS, QBO_LIMITS
    from inolink_tui.domain.mapping.tables import QBO_ENTITY

    for entity_type, rows in DEFAULT_MAPPINGS.items():
        qbo_paths = {limit.path for limit in QBO_LIMITS.get(QBO_ENTITY[entity_type], ())}
        crm_paths = {limit.path for limit in CRM_LIMITS.get(entity_type, ())}
        assert qbo_paths & {row.qbo for row in rows}, entity_type
        mapped_crm = {row.crm for row in rows}
        # every column the fitting limits on the CRM side, other than InoLink's own, is a mapped column
        assert crm_paths - {"ino_accountingid", "ino_accountingref"} <= mapped_crm, entity_type


def test_amount_ranges_come_from_the_fitting_rules() -> None:
    from inolink_tui.domain.limits import MAX_LINE_AMOUNT, MAX_PRICE
    from inolink_tui.domain.mapping.tables import qbo_range

    product = {(r.crm, r.qbo): r for r in DEFAULT_MAPPINGS[EntityType.PRODUCT]}
    assert qbo_range(EntityType.PRODUCT, product[("price", "UnitPrice")]) == MAX_PRICE
    assert qbo_range(EntityType.PRODUCT, product[("name", "Name")]) is None
    quote = {(r.crm, r.qbo): r for r in DEFAULT_MAPPINGS[EntityType.QUOTE]}
    assert qbo_range(EntityType.QUOTE, quote[("line.priceperunit", "Line[].Amount")]) == MAX_LINE_AMOUNT
