from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inolink_tui.connectors.qbo_query import QboQuery, literal, quote_string
from tests.connectors.test_odata import HOSTILE


def decode_qbo_literal(text: str) -> str:
    """A strict reading of a QuickBooks string literal (backslash escapes); the text must be one literal."""
    assert text.startswith("'") and len(text) >= 2
    out: list[str] = []
    i = 1
    while True:
        ch = text[i]
        if ch == "\\":
            out.append(text[i + 1])
            i += 2
        elif ch == "'":
            assert i == len(text) - 1, f"literal closed early at {i}"
            return "".join(out)
        else:
            out.append(ch)
            i += 1


@given(st.text())
def test_qbo_string_literal_round_trips(value: str) -> None:
    assert decode_qbo_literal(quote_string(value)) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_qbo_hostile_strings_round_trip(value: str) -> None:
    assert decode_qbo_literal(literal(value)) == value


def test_amy_example_from_the_reference() -> None:
    assert quote_string("Amy's Bird Sanctuary") == "'Amy\\'s Bird Sanctuary'"
    assert quote_string("ends with \\") == "'ends with \\\\'"


def test_query_text_and_paging() -> None:
    q = QboQuery("Customer").where("DisplayName", "=", "O'Neil").where("Active", "=", True).order_by("Id")
    assert q.text(start=1001, max_results=1000) == (
        "SELECT * FROM Customer WHERE DisplayName = 'O\\'Neil' AND Active = true ORDERBY Id ASC "
        "STARTPOSITION 1001 MAXRESULTS 1000"
    )
    assert q.count_text() == "SELECT COUNT(*) FROM Customer WHERE DisplayName = 'O\\'Neil' AND Active = true"


def test_in_and_inactive() -> None:
    q = QboQuery("Item").where_in("Name", ["a", "b'c"]).include_inactive()
    assert q.text() == (
        "SELECT * FROM Item WHERE Name IN ('a', 'b\\'c') AND Active IN (true, false) STARTPOSITION 1 MAXRESULTS 1000"
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("300.00"), "300.00"),
        (5, "5"),
        (False, "false"),
        (date(2025, 1, 2), "'2025-01-02'"),
        (datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "'2025-01-02T03:04:05+00:00'"),
    ],
)
def test_other_literals(value: object, expected: str) -> None:
    assert literal(value) == expected  # type: ignore[arg-type]


def test_invalid_queries_are_refused() -> None:
    with pytest.raises(ValueError):
        QboQuery("Customer; DROP")
    with pytest.raises(ValueError):
        QboQuery("Customer").where("DisplayName'", "=", "x")
    with pytest.raises(ValueError):
        QboQuery("Customer").where("Id", ">", "5")
    with pytest.raises(ValueError):
        QboQuery("Customer").where("Name", "OR", "x")
    with pytest.raises(ValueError):
        QboQuery("Customer").text(start=0)
    with pytest.raises(ValueError):
        QboQuery("Customer").text(max_results=1001)
    with pytest.raises(ValueError):
        QboQuery("Customer").where_in("Id", [])
    with pytest.raises(ValueError):
        literal(datetime(2025, 1, 1))
    assert QboQuery("Invoice").where("MetaData.LastUpdatedTime", ">", "2025-01-01").conditions
