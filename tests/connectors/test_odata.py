from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inolink_tui.connectors import odata

HOSTILE = [
    "O'Brien",
    "''",
    "'; drop table accounts; --",
    "back\\slash\\",
    "new\nline\r\n",
    "tab\tand & ampersand + plus # hash ? q = eq",
    "emoji 🧾😀 and ünïcödé 東京 עברית",
    "x" * 4000,
    "%_[wild]%",
    ") or (1 eq 1",
]


def decode_string_literal(text: str) -> str:
    """A strict reading of an OData string literal: the whole text must be exactly one literal."""
    assert text.startswith("'") and text.endswith("'") and len(text) >= 2
    out: list[str] = []
    i = 1
    while i < len(text) - 1:
        ch = text[i]
        if ch == "'":
            assert text[i + 1] == "'", f"lone quote at {i}: literal would end early"
            assert i + 1 < len(text) - 1, "doubled quote runs into the closing quote"
            out.append("'")
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@given(st.text())
def test_string_literal_round_trips(value: str) -> None:
    assert decode_string_literal(odata.literal(value)) == value


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_strings_round_trip(value: str) -> None:
    assert decode_string_literal(odata.literal(value)) == value


def test_eq_filter_keeps_user_text_inside_the_literal() -> None:
    f = odata.eq("name", "x' or name ne 'y")
    assert f.text == "name eq 'x'' or name ne ''y'"
    assert decode_string_literal(f.text.removeprefix("name eq ")) == "x' or name ne 'y"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (1.5, "1.5"),
        (Decimal("10.50"), "10.50"),
        (Decimal("1E+3"), "1000"),
        (datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "2025-01-02T03:04:05Z"),
        (datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-8))), "2025-01-02T11:04:05Z"),
        (date(2025, 1, 2), "2025-01-02"),
        (uuid.UUID("00000000-0000-0000-0000-000000000001"), "00000000-0000-0000-0000-000000000001"),
    ],
)
def test_literals(value: odata.Literal, expected: str) -> None:
    assert odata.literal(value) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), Decimal("NaN"), datetime(2025, 1, 1)])
def test_unrepresentable_literals_are_refused(bad: odata.Literal) -> None:
    with pytest.raises(ValueError):
        odata.literal(bad)


@pytest.mark.parametrize("name", ["name eq 'x'", "a)", "", "1abc", "a b", "name;", "a//b"])
def test_property_names_are_validated(name: str) -> None:
    with pytest.raises(ValueError):
        odata.eq(name, "x")


def test_combinators_and_functions() -> None:
    f = (odata.eq("statecode", 0) & odata.contains("name", "50%_off")) | ~odata.eq("ino_linkstatus", None)
    assert f.text == "((statecode eq 0) and (contains(name,'50[%][_]off'))) or (not (ino_linkstatus eq null))"
    assert odata.startswith("name", "a'b", literal_wildcards=False).text == "startswith(name,'a''b')"
    assert odata.any_of("accountnumber", ["A", "B'"]).text == "accountnumber eq 'A' or accountnumber eq 'B'''"
    assert odata.all_of(odata.eq("a", 1)).text == "a eq 1"
    assert odata.eq("primarycontactid/fullname", "x").text == "primarycontactid/fullname eq 'x'"
    with pytest.raises(ValueError):
        odata.any_of("a", [])


def test_record_path_requires_a_guid() -> None:
    guid = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert odata.record_path("accounts", "{" + guid + "}") == f"accounts({guid})"
    with pytest.raises(ValueError):
        odata.record_path("accounts", "1) or (1")
    with pytest.raises(ValueError):
        odata.record_path("accounts/x", guid)
