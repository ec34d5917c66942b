"""The $filter parser: grammar, literals, escaping, and robustness (it raises only ParseError)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inolink_tui.sandbox.dataverse.odata_filter import (
    BoolOp,
    Call,
    Compare,
    Literal,
    Not,
    ParseError,
    Path,
    parse,
)


def test_doubled_quotes_unescape() -> None:
    node = parse("lastname eq 'O''Bryan'")
    assert node == Compare("eq", Path(("lastname",)), Literal("O'Bryan", "Edm.String"))


def test_unterminated_literal_reports_position() -> None:
    with pytest.raises(
        ParseError, match=r"There is an unterminated literal at position 20 in 'lastname eq 'O'Bryan''\."
    ):
        parse("lastname eq 'O'Bryan'")


@pytest.mark.parametrize(
    ("text", "literal"),
    [
        ("x eq 42", Literal(42, "Edm.Int32")),
        ("x eq -3", Literal(-3, "Edm.Int32")),
        ("x eq 10000000000", Literal(10000000000, "Edm.Int64")),
        ("x eq 1.25", Literal(Decimal("1.25"), "Edm.Decimal")),
        ("x eq true", Literal(True, "Edm.Boolean")),
        ("x eq null", Literal(None, "null")),
        ("x eq 2025-01-01T00:00:00Z", Literal(datetime(2025, 1, 1, tzinfo=UTC), "Edm.DateTimeOffset")),
        ("x eq 2025-01-01T02:00:00+02:00", Literal(datetime(2025, 1, 1, tzinfo=UTC), "Edm.DateTimeOffset")),
        ("x eq 2025-03-04", Literal(date(2025, 3, 4), "Edm.Date")),
        (
            "x eq 0A1B2C3D-0000-0000-0000-000000000001",
            Literal("0a1b2c3d-0000-0000-0000-000000000001", "Edm.Guid"),
        ),
        ("x eq abcdef01-0000-0000-0000-000000000001", Literal("abcdef01-0000-0000-0000-000000000001", "Edm.Guid")),
    ],
)
def test_literals(text: str, literal: Literal) -> None:
    node = parse(text)
    assert isinstance(node, Compare) and node.right == literal


def test_precedence_and_not_parentheses() -> None:
    node = parse("a eq 1 or b eq 2 and not (c eq 3)")
    assert isinstance(node, BoolOp) and node.op == "or"
    assert isinstance(node.right, BoolOp) and node.right.op == "and"
    assert isinstance(node.right.right, Not)


def test_functions_and_lookup_paths() -> None:
    node = parse("contains(name,'con') and primarycontactid/fullname eq 'X'")
    assert isinstance(node, BoolOp)
    assert node.left == Call("contains", Path(("name",)), Literal("con", "Edm.String"))
    assert isinstance(node.right, Compare) and node.right.left == Path(("primarycontactid", "fullname"))


@pytest.mark.parametrize(
    "text",
    [
        "",
        "name eq",
        "name eq 'x' and",
        "(name eq 'x'",
        "name eq 'x')",
        "name foo 'x'",
        "eq 'x'",
        "name eq #",
        "unknownfn(name) eq 1",
        "contains(name 'x')",
        "a/ eq 1",
        "2025-13-45T00:00:00Z eq x",
    ],
)
def test_malformed_filters_raise_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)


def test_deep_nesting_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError):
        parse("(" * 5000 + "a eq 1" + ")" * 5000)
    with pytest.raises(ParseError):
        parse("not " * 5000 + "a eq 1")


def test_long_flat_chains_parse() -> None:
    node = parse(" or ".join(f"a eq {i}" for i in range(3000)))
    assert isinstance(node, BoolOp)


_ALPHABET = st.sampled_from(
    [
        *"abcnot ()'/,-:.eqandor0123456789TZ_%[]^ \t\"=",
        *("eq", " and ", " or ", "not ", "null", "'"),
        *("Microsoft.Dynamics.CRM.In(", "PropertyName=", "PropertyValues=[", "]"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_fuzz_arbitrary_text_only_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=40).map("".join))
def test_fuzz_filter_like_text_only_raises_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse(text)


_STATE = None


def _bind_state() -> tuple[object, object]:
    from inolink_tui.sandbox.clock import SandboxClock
    from inolink_tui.sandbox.dataverse import DataverseState

    global _STATE
    if _STATE is None:
        _STATE = DataverseState(SandboxClock(), org_url="http://dv.test")
        _STATE.create_row("accounts", {"name": "A", "revenue": 5, "accountnumber": "X"})
    return _STATE, _STATE.table("accounts")


_COLUMN_WORDS = st.sampled_from(
    [
        "name",
        "revenue",
        "createdon",
        "accountid",
        "_primarycontactid_value",
        "primarycontactid/fullname",
        " eq ",
        " gt ",
        " ne ",
        "'a'",
        "5",
        "null",
        "true",
        "2025-01-01",
        "contains(name,'%')",
        " and ",
        " or ",
        "not ",
        "(",
        ")",
        "00000000-0000-0000-0000-000000000001",
        "1.5",
        "'x''y'",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_COLUMN_WORDS, max_size=12).map("".join))
def test_fuzz_binding_and_evaluation_only_raise_dataverse_error(text: str) -> None:
    from inolink_tui.sandbox.dataverse.errors import DataverseError
    from inolink_tui.sandbox.dataverse.query import parse_options, select_rows

    state, table = _bind_state()
    try:
        options = parse_options(state, table, {"$filter": text})  # type: ignore[arg-type]
    except DataverseError as exc:
        assert exc.status == 400
        return
    select_rows(state, table, options)  # type: ignore[arg-type]


def test_query_function_syntax() -> None:
    from inolink_tui.sandbox.dataverse.odata_filter import QueryFunction

    node = parse('Microsoft.Dynamics.CRM.In(PropertyName=\'name\',PropertyValues=["O\'Brian","a\\"b",3])')
    assert node == QueryFunction(
        "In", "name", (Literal("O'Brian", "Edm.String"), Literal('a"b', "Edm.String"), Literal(3, "Edm.Int32"))
    )
    for bad in (
        "Microsoft.Dynamics.CRM.In(PropertyName='x')",
        "Microsoft.Dynamics.CRM.Between(PropertyName='x',PropertyValues=[1])",
        "Microsoft.Dynamics.CRM.In(PropertyValues=[1])",
        'Microsoft.Dynamics.CRM.In(PropertyName=\'x\',PropertyValues=["a" "b"])',
        "Microsoft.Dynamics.CRM.In(PropertyName='x',PropertyValues=[\"a\"",
        'name eq "x"',
    ):
        with pytest.raises(ParseError):
            parse(bad)


_EXTENDED_WORDS = st.sampled_from(
    [
        "contact_customer_accounts/any(",
        "contact_customer_accounts/all(c:",
        "contact_customer_accounts/any()",
        "primarycontactid/contact_customer_accounts/any(",
        "c:",
        "d:",
        "c/fullname eq 'A'",
        "c/jobtitle",
        "c",
        "d/fullname",
        "name",
        " eq ",
        "'A'",
        "Microsoft.Dynamics.CRM.LastXDays(PropertyName='createdon',PropertyValue=",
        "Microsoft.Dynamics.CRM.On(PropertyName='createdon',PropertyValue=",
        "Microsoft.Dynamics.CRM.Today(PropertyName=",
        "Microsoft.Dynamics.CRM.In(PropertyName='jobtitle',PropertyValues=[",
        "'createdon'",
        "'2024-02-29'",
        "@p1",
        "@p2",
        "@p3",
        "7",
        "-1",
        ",",
        "[",
        "]",
        "(",
        ")",
        " and ",
        " or ",
        "not ",
    ]
)
_LAMBDA_STATE: Any = None


@settings(max_examples=400, deadline=None)
@given(st.lists(_EXTENDED_WORDS, max_size=10).map("".join))
def test_fuzz_lambdas_query_functions_and_aliases_only_raise_dataverse_error(text: str) -> None:
    from inolink_tui.sandbox.clock import SandboxClock
    from inolink_tui.sandbox.dataverse import DataverseState
    from inolink_tui.sandbox.dataverse.errors import DataverseError
    from inolink_tui.sandbox.dataverse.query import parse_options, select_rows

    global _LAMBDA_STATE
    if _LAMBDA_STATE is None:
        _LAMBDA_STATE = DataverseState(SandboxClock(), org_url="http://dv.test")
        account = _LAMBDA_STATE.create_row("accounts", {"name": "A"})["accountid"]
        _LAMBDA_STATE.create_row("contacts", {"lastname": "A", "jobtitle": "A", "_parentcustomerid_value": account})
    table = _LAMBDA_STATE.table("accounts")
    params = {"$filter": text, "@p1": "'createdon'", "@p2": "7", "@p3": "['a','b']"}
    try:
        options = parse_options(_LAMBDA_STATE, table, params)
    except DataverseError as exc:
        assert exc.status == 400
        return
    select_rows(_LAMBDA_STATE, table, options)


def test_query_function_and_lambda_syntax_errors() -> None:
    from inolink_tui.sandbox.dataverse.odata_filter import Lambda, Path
    from inolink_tui.sandbox.dataverse.odata_filter import QueryFunction as QueryFunctionNode

    for bad in (
        "Microsoft.Dynamics.CRM.Today(PropertyName='x',)",  # trailing comma
        "Microsoft.Dynamics.CRM.Today(PropertyName='x',PropertyName='y')",  # repeated parameter
        "Microsoft.Dynamics.CRM.LastXDays(PropertyName='x',PropertyValue=@p)",  # unassigned alias: null, no number
        "contact_customer_accounts/all()",  # all needs a lambda expression
        "contact_customer_accounts/any(c)",  # no ':'
        "contact_customer_accounts/any(c:c/x eq 1 and contact_customer_accounts/any(c:c/x eq 1))",  # c redeclared
        "name eq contact_customer_accounts/any()",  # a lambda is not a value
    ):
        with pytest.raises(ParseError):
            parse(bad)
    node = parse("contact_customer_accounts/any()")
    assert node == Lambda("any", Path(("contact_customer_accounts",)), None, None)
    aliased = parse("Microsoft.Dynamics.CRM.LastXDays(PropertyName=@p1,PropertyValue=@p2)", {"@p1": "'x'", "@p2": "3"})
    assert aliased == QueryFunctionNode("LastXDays", "x", (Literal(3, "Edm.Int32"),))
