"""Fuzz: whatever text goes into our builders, the sandbox's parsers read back exactly that text.

The sandbox implements each service's documented literal rules independently of the connectors,
so agreement here is evidence that no user text can escape its literal on either API.
"""

from __future__ import annotations

import importlib.util
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inolink_tui.connectors import odata
from inolink_tui.connectors.qbo_query import QboQuery

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("inolink_tui.sandbox.dataverse") is None
    or importlib.util.find_spec("inolink_tui.sandbox.quickbooks") is None,
    reason="the sandbox is not merged yet",
)

texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(texts, texts)
def test_odata_filters_parse_back_to_the_same_literals(a: str, b: str) -> None:
    from inolink_tui.sandbox.dataverse.odata_filter import BoolOp, Call, Compare, parse

    tree = parse((odata.eq("name", a) | ~odata.contains("description", b, literal_wildcards=False)).text)
    assert isinstance(tree, BoolOp) and tree.op == "or"
    assert isinstance(tree.left, Compare) and tree.left.right.value == a  # type: ignore[union-attr]
    call = tree.right.operand  # type: ignore[union-attr]
    assert isinstance(call, Call) and call.argument.value == b  # type: ignore[union-attr]


@settings(max_examples=150, deadline=None)
@given(texts, st.lists(texts, min_size=1, max_size=5))
def test_qbo_queries_parse_back_to_the_same_literals(a: str, many: list[str]) -> None:
    from inolink_tui.sandbox.quickbooks.query_parser import parse_query

    when = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    text = (
        QboQuery("Customer")
        .where("DisplayName", "=", a)
        .where_in("CompanyName", many)
        .where("MetaData.LastUpdatedTime", ">", when)
        .text(start=3, max_results=7)
    )
    parsed = parse_query(text)
    assert parsed.entity.lower() == "customer"
    assert [c.values for c in parsed.where[:2]] == [[a], many]
    assert (parsed.start_position, parsed.max_results) == (3, 7)
