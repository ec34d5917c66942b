"""Arbitrary JSON bodies and queries never crash the API: every answer is a 200 or a well-formed QBO fault."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inolink_tui.sandbox.quickbooks.entities import SPECS
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.query import run_query
from tests.sandbox.conftest import make_sandbox

SANDBOX = make_sandbox(records=2)
FIELDS = [
    "DisplayName",
    "Name",
    "Line",
    "CustomerRef",
    "TotalAmt",
    "Amount",
    "Qty",
    "UnitPrice",
    "Type",
    "IncomeAccountRef",
    "Active",
    "DetailType",
    "SalesItemLineDetail",
    "ItemRef",
    "LinkedTxn",
    "TxnId",
    "TxnType",
    "DocNumber",
    "TxnDate",
    "ParentRef",
    "Id",
    "SyncToken",
    "sparse",
    "value",
    "DiscountLineDetail",
    "PercentBased",
    "DiscountPercent",
    "TxnTaxDetail",
    "TotalTax",
    "AccountType",
    "DueDays",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=8),
    st.sampled_from(["1", "2", "TAX", "NON", "Invoice", "SalesItemLineDetail", "DiscountLineDetail", "Service"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4)),
    max_leaves=12,
)
ENTITIES = ["Customer", "Item", "Invoice", "Estimate", "Payment", "SalesReceipt", "Term"]


def bodies(entity: str) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly the entity's own properties (so rules run), with nested values from every property name."""
    own = sorted(SPECS[entity].fields & set(FIELDS)) or FIELDS
    return st.dictionaries(st.sampled_from(own), values, max_size=6)


def _check(call: Any) -> None:
    try:
        call()
    except QboFault as fault:
        body = fault.fault_json()
        assert body["Error"][0]["code"].isdigit() and fault.status in (400, 500)


@pytest.mark.timeout(120)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), entity=st.sampled_from(ENTITIES), sparse=st.booleans())
def test_writes_answer_or_fault(data: st.DataObject, entity: str, sparse: bool) -> None:
    body = data.draw(bodies(entity))
    state = SANDBOX.qbo
    _check(lambda: state.create(entity, dict(body)))
    existing = state.all(entity)
    if existing:
        target = {**body, "Id": existing[0]["Id"], "SyncToken": existing[0]["SyncToken"]}
        _check(lambda: state.update(entity, target, sparse=sparse))


@pytest.mark.timeout(60)
@settings(max_examples=150, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.builds(
            lambda e, w: f"select * from {e} where {w}",
            st.sampled_from(["Customer", "Invoice", "Item"]),
            st.text(alphabet="abcIdNameTotalAmt<>=' ()%,.\\0123456789", max_size=30),
        ),
    )
)
def test_queries_answer_or_fault(text: str) -> None:
    _check(lambda: run_query(SANDBOX.qbo, text))


numbers = st.one_of(
    st.none(),
    st.integers(-100, 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, places=3),
    st.text(max_size=4),
    st.booleans(),
)
lines = st.fixed_dictionaries(
    {
        "DetailType": st.sampled_from(
            ["SalesItemLineDetail", "DiscountLineDetail", "DescriptionOnly", "SubTotalLineDetail"]
        ),
        "Amount": numbers,
        "SalesItemLineDetail": st.fixed_dictionaries(
            {
                "ItemRef": st.fixed_dictionaries({"value": st.sampled_from(["1", "2", "3", "99", ""])}),
                "Qty": numbers,
                "UnitPrice": numbers,
            }
        ),
        "DiscountLineDetail": st.fixed_dictionaries({"PercentBased": st.booleans(), "DiscountPercent": numbers}),
    }
)


@pytest.mark.timeout(60)
@settings(max_examples=150, deadline=None)
@given(entity=st.sampled_from(["Invoice", "Estimate", "SalesReceipt"]), body_lines=st.lists(lines, max_size=4))
def test_transaction_lines_answer_or_fault(entity: str, body_lines: list[dict[str, Any]]) -> None:
    customer = SANDBOX.qbo.all("Customer")[0]["Id"]
    _check(lambda: SANDBOX.qbo.create(entity, {"CustomerRef": {"value": customer}, "Line": body_lines}))
