"""Hostile CRM data pushed through the engine: every job ends Success with values within the services'
limits, or a classified VALIDATION Error before anything is sent for that record.

The fakes record every body the engine sends and check it with the sandboxes' own validators
(QuickBooks field rules, Dataverse column lengths), so "within limits" means what the services enforce.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.engine.runtime import Engine
from inolink_tui.sandbox.dataverse.schema import build_tables
from inolink_tui.sandbox.quickbooks.entities import spec_for
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.rules import fields
from inolink_tui.sandbox.quickbooks.rules.names import check_name
from tests.engine.conftest import OPTIONS
from tests.engine.fakes import FakeClock, FakeCrm, FakeQbo
from tests.fakes.memstore import MemoryStore as MemStore

TABLES = build_tables()
SETS = {EntityType.ACCOUNT: "accounts", EntityType.CONTACT: "contacts", EntityType.PRODUCT: "products"}


class StrictQbo(FakeQbo):
    """Records a violation for every body QuickBooks would refuse under its documented field rules."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.violations: list[str] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.add("Account", {"Name": "Cost of Goods Sold", "AccountType": "Cost of Goods Sold"})

    def _check(self, entity: str, body: Any) -> None:
        self.sent.append((entity, dict(body)))
        try:
            fields.check(entity, dict(body))
            if entity == "Item" and "Name" in body:
                spec = spec_for("Item")
                assert spec is not None
                check_name(spec, "Name", body["Name"])
        except QboFault as fault:
            self.violations.append(f"{entity}: {fault}")

    async def create(self, entity: str, body: Any, *, request_id: str) -> dict[str, Any]:
        self._check(entity, body)
        return await super().create(entity, body, request_id=request_id)

    async def update(self, entity: str, body: Any, *, request_id: str) -> dict[str, Any]:
        self._check(entity, body)
        return await super().update(entity, body, request_id=request_id)


class StrictCrm(FakeCrm):
    """Records a violation for every CRM write longer than the Dataverse column holds."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__(clock)
        self.violations: list[str] = []

    def _apply(self, entity_type: EntityType, row: dict[str, Any], columns: Any) -> None:
        table = TABLES.get(SETS.get(entity_type, ""))
        for key, value in dict(columns).items():
            column = table.column(key) if table is not None else None
            if column is not None and isinstance(value, str) and len(value) > column.max_length:
                self.violations.append(f"{entity_type.value}.{key}: {len(value)} > {column.max_length}")
        super()._apply(entity_type, row, columns)


ALPHABET = st.sampled_from([*"ab Z09:'\"\t\n@.-", "é", "🧾"])


def text(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    """Short values, or values near the source system's own maximum (where the other side's limits bite)."""
    short = st.text(ALPHABET, min_size=min_size, max_size=min(max_size, 40))
    long = st.text(ALPHABET, min_size=max(min_size, max_size * 3 // 4), max_size=max_size)
    return st.one_of(short, long).filter(lambda s: s.strip() != "")


accounts = st.fixed_dictionaries(
    {"name": text(1, 160)},
    optional={
        "telephone1": text(1, 50),
        "emailaddress1": st.one_of(text(1, 100), st.emails().filter(lambda e: len(e) <= 100)),
        "websiteurl": text(1, 200),
        "address1_line1": text(1, 250),
        "address1_postalcode": text(1, 20),
    },
)
contacts = st.fixed_dictionaries(
    {"firstname": text(1, 50), "lastname": text(1, 50)},
    optional={"mobilephone": text(1, 50), "emailaddress1": text(1, 100)},
)
products = st.fixed_dictionaries(
    {"name": text(1, 100), "producttypecode": st.sampled_from([1, 2, 3])},
    optional={
        "productnumber": text(1, 100),
        "description": text(1, 2000),
        "price": st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False),
    },
)


async def push(records: list[tuple[EntityType, dict[str, Any]]]) -> tuple[StrictCrm, StrictQbo, MemStore]:
    clock = FakeClock()
    crm, qbo, store = StrictCrm(clock), StrictQbo(clock), MemStore()
    for et, row in records:
        rid = crm.add(et, **row)
        crm.promote(et, rid)
    engine = Engine(store, crm, qbo, OPTIONS, clock=clock)
    await engine.run_once()
    return crm, qbo, store


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            accounts.map(lambda r: (EntityType.ACCOUNT, r)),
            contacts.map(lambda r: (EntityType.CONTACT, r)),
            products.map(lambda r: (EntityType.PRODUCT, r)),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_hostile_crm_records_end_within_limits_or_in_a_validation_error(
    records: list[tuple[EntityType, dict[str, Any]]],
) -> None:
    crm, qbo, store = asyncio.run(push(records))
    assert qbo.violations == [] and crm.violations == []
    page = asyncio.run(store.page(JobFilter(sources=(Source.CRM,)), JobSort("id", descending=False), limit=100))
    assert len(page.jobs) == len(records)
    for job in page.jobs:
        if job.link_status is LinkStatus.ERROR and job.error_class is ErrorClass.VALIDATION:
            continue  # refused; QuickBooks never got a value it would refuse (checked above)
        assert job.link_status is LinkStatus.SUCCESS or job.error_class is ErrorClass.DUPLICATE, job


async def test_a_long_phone_extension_is_cut_and_shown_in_the_job() -> None:
    phone = "+1 (650) 555-0100 extension 123456789"
    _crm, qbo, store = await push([(EntityType.ACCOUNT, {"name": "Phone Co", "telephone1": phone})])
    (job,) = store.jobs.values()
    assert job.link_status is LinkStatus.SUCCESS
    (customer,) = qbo.active("Customer")
    assert customer["PrimaryPhone"]["FreeFormNumber"] == phone[:30]
    assert job.payload is not None
    assert job.payload["truncated"] == [
        {"system": "QuickBooks", "field": "PrimaryPhone.FreeFormNumber", "limit": 30, "length": len(phone)}
    ]
    attempts = await store.attempts(job.id)
    assert "PrimaryPhone.FreeFormNumber cut to 30 characters" in str(attempts[-1].message)


async def test_an_email_without_at_sign_fails_before_any_quickbooks_request() -> None:
    _crm, qbo, store = await push([(EntityType.ACCOUNT, {"name": "No Mail Co", "emailaddress1": "sales.example.com"})])
    (job,) = store.jobs.values()
    assert job.link_status is LinkStatus.ERROR and job.error_class is ErrorClass.VALIDATION
    assert "PrimaryEmailAddr.Address" in str(job.error_description)
    assert "'sales.example.com'" in str(job.error_description)
    assert qbo.calls.get("find_by_names", 0) == 0 and qbo.calls.get("all_names", 0) == 0
    assert qbo.calls.get("create", 0) == 0 and qbo.calls.get("read", 0) == 0


async def test_a_display_name_longer_than_the_accounting_ref_column_is_cut_in_crm() -> None:
    name = "Very Long Account Name " * 6  # 138 characters: fits QuickBooks and CRM's name, not ino_accountingref
    crm, _qbo, store = await push([(EntityType.ACCOUNT, {"name": name.strip()})])
    (job,) = store.jobs.values()
    assert job.link_status is LinkStatus.SUCCESS
    (row,) = crm.tables["accounts"].values()
    assert row["ino_accountingref"] == name.strip()[:100]
    assert job.payload is not None and {"system": "CRM", "field": "ino_accountingref", "limit": 100} in [
        {k: v for k, v in t.items() if k != "length"} for t in job.payload["truncated"]
    ]


qbo_customers = st.fixed_dictionaries(
    {"DisplayName": text(1, 500)},
    optional={
        "CompanyName": text(1, 100),
        "GivenName": text(1, 100),
        "FamilyName": text(1, 100),
        "PrimaryPhone": st.fixed_dictionaries({"FreeFormNumber": text(1, 30)}),
        "PrimaryEmailAddr": st.fixed_dictionaries({"Address": st.emails().filter(lambda e: len(e) <= 100)}),
        "WebAddr": st.fixed_dictionaries({"URI": text(1, 1000)}),
        "BillAddr": st.fixed_dictionaries({}, optional={"Line1": text(1, 500), "City": text(1, 255)}),
    },
)
qbo_items = st.fixed_dictionaries(
    {"Name": text(1, 100), "Type": st.just("Service")},
    optional={"Sku": text(1, 100), "Description": text(1, 4000)},
)


async def pull(customers: list[dict[str, Any]], items: list[dict[str, Any]]) -> tuple[StrictCrm, MemStore]:
    clock = FakeClock()
    crm, qbo, store = StrictCrm(clock), StrictQbo(clock), MemStore()
    engine = Engine(store, crm, qbo, OPTIONS, clock=clock)
    await engine.run_once()  # starts the change feed
    for body in customers:
        qbo.add("Customer", body)
    for body in items:
        qbo.add("Item", body)
    await engine.run_once()
    return crm, store


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(qbo_customers, max_size=3), st.lists(qbo_items, max_size=2))
def test_hostile_quickbooks_records_end_within_crm_limits_or_in_a_validation_error(
    customers: list[dict[str, Any]], items: list[dict[str, Any]]
) -> None:
    crm, store = asyncio.run(pull(customers, items))
    assert crm.violations == []
    page = asyncio.run(store.page(JobFilter(sources=(Source.ACCOUNTING,)), JobSort("id"), limit=100))
    for job in page.jobs:
        assert job.link_status is LinkStatus.SUCCESS or job.error_class in (
            ErrorClass.VALIDATION,
            ErrorClass.DUPLICATE,
        ), job


transactions = st.fixed_dictionaries(
    {
        "kind": st.sampled_from([EntityType.QUOTE, EntityType.ORDER, EntityType.INVOICE]),
        "name": text(1, 300),
        "number": text(1, 100),
        "lines": st.lists(
            st.fixed_dictionaries(
                {
                    "productdescription": text(1, 500),
                    "quantity": st.integers(min_value=1, max_value=1000),
                    "priceperunit": st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
                }
            ),
            min_size=1,
            max_size=3,
        ),
    }
)
NUMBER = {EntityType.QUOTE: "quotenumber", EntityType.ORDER: "ordernumber", EntityType.INVOICE: "invoicenumber"}


async def push_documents(documents: list[dict[str, Any]]) -> tuple[StrictCrm, StrictQbo, MemStore]:
    clock = FakeClock()
    crm, qbo, store = StrictCrm(clock), StrictQbo(clock), MemStore()
    customer = crm.add(EntityType.ACCOUNT, name="Document Customer")
    product = crm.add(EntityType.PRODUCT, name="Document Product", producttypecode=3)
    for rid, et in ((customer, EntityType.ACCOUNT), (product, EntityType.PRODUCT)):
        crm.promote(et, rid)
    for doc in documents:
        et = doc["kind"]
        rid = crm.add(
            et,
            name=doc["name"],
            **{NUMBER[et]: doc["number"]},
            _customerid_value=customer,
            **{"_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account"},
        )
        for line in doc["lines"]:
            crm.add_line(et, rid, _productid_value=product, **line)
        crm.promote(et, rid)
    await Engine(store, crm, qbo, OPTIONS, clock=clock).run_once()
    return crm, qbo, store


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(transactions, min_size=1, max_size=3))
def test_hostile_crm_documents_end_within_limits_or_in_a_validation_error(documents: list[dict[str, Any]]) -> None:
    crm, qbo, store = asyncio.run(push_documents(documents))
    assert qbo.violations == [] and crm.violations == []
    page = asyncio.run(store.page(JobFilter(sources=(Source.CRM,)), JobSort("id"), limit=100))
    assert len(page.jobs) == len(documents) + 2
    for job in page.jobs:
        assert job.link_status is LinkStatus.SUCCESS or job.error_class is ErrorClass.VALIDATION, job
        if job.link_status is LinkStatus.SUCCESS and job.entity_type in NUMBER:
            # the CRM number is kept as DocNumber when it fits QuickBooks' 21 characters, else QuickBooks numbers it
            entity = "Estimate" if job.entity_type is EntityType.QUOTE else "Invoice"
            number = str(crm.row(job.entity_type, job.crm_record_id)[NUMBER[job.entity_type]]).strip()
            sent = qbo.data[entity][str(job.accounting_id)]["DocNumber"]
            assert sent == number if len(number) <= 21 else sent != number
