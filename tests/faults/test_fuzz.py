"""Hypothesis fuzzing of the query builders (read back by the sandbox's independent parsers) and of
the clients' response handling (arbitrary bodies must become a typed, classified error or a result).

The builders are checked against a *different* implementation: the sandbox's OData `$filter` and
QuickBooks query parsers. A literal that escapes its quotes, or a wildcard that stays live, shows up
as a parse failure or a different value, not as a string that merely looks right.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inolink_tui.connectors import odata
from inolink_tui.connectors.dataverse import DataverseClient
from inolink_tui.connectors.dataverse import parse_error as dv_parse_error
from inolink_tui.connectors.dataverse_batch import BatchOperation, parse_batch
from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.connectors.qbo_query import QboQuery
from inolink_tui.connectors.quickbooks import QuickBooksClient, fault_facts
from inolink_tui.connectors.quickbooks import parse_error as qbo_parse_error
from inolink_tui.connectors.settings import DataverseSettings, QuickBooksClientSettings, RetrySettings
from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.errors import ErrorFacts, Service, classify
from inolink_tui.sandbox.dataverse import odata_filter
from inolink_tui.sandbox.dataverse.predicates import like_pattern
from inolink_tui.sandbox.quickbooks.query_parser import parse_query
from tests.connectors.conftest import FakeClock, StaticTokens
from tests.faults.support import scaled

GUID = "4f5c7f0e-1d1b-4c55-9a8e-3f9c2b1a0d11"
FUZZ = settings(max_examples=scaled(60, 1000), deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text the way users type it, and the way it arrives from other systems: every plane, control
# characters, lone surrogates excluded (they cannot be encoded as UTF-8 at all).
user_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
wildcard_heavy = st.text(alphabet="%_[]^-'\\\"ab 🧾\u202e\x00\n", max_size=30)


# --- OData ----------------------------------------------------------------------------------------


@FUZZ
@given(value=st.one_of(user_text, wildcard_heavy))
def test_odata_eq_literal_is_read_back_exactly(value: str) -> None:
    node = odata_filter.parse(odata.eq("name", value).text)
    assert isinstance(node, odata_filter.Compare) and node.op == "eq"
    assert node.left == odata_filter.Path(("name",))
    assert node.right == odata_filter.Literal(value, "Edm.String")


@FUZZ
@given(values=st.lists(st.one_of(user_text, wildcard_heavy), min_size=1, max_size=5))
def test_odata_any_of_keeps_every_value_a_literal(values: list[str]) -> None:
    node = odata_filter.parse(odata.any_of("name", values).text)
    found: list[str] = []

    def walk(n: Any) -> None:
        if isinstance(n, odata_filter.BoolOp):
            assert n.op == "or", "a value escaped its literal and changed the expression"
            walk(n.left)
            walk(n.right)
        else:
            assert isinstance(n, odata_filter.Compare) and n.op == "eq"
            found.append(n.right.value)

    walk(node)
    assert found == values


@FUZZ
@given(
    needle=st.one_of(user_text, wildcard_heavy),
    before=user_text,
    after=user_text,
    func=st.sampled_from(["contains", "startswith", "endswith"]),
)
def test_odata_text_functions_treat_wildcards_literally(needle: str, before: str, after: str, func: str) -> None:
    built = getattr(odata, func)("name", needle)
    node = odata_filter.parse(built.text)
    assert isinstance(node, odata_filter.Call) and node.name == func
    assert isinstance(node.argument, odata_filter.Literal)
    pattern = like_pattern(str(node.argument.value), prefix=func == "startswith", suffix=func == "endswith")
    haystack = {"contains": before + needle + after, "startswith": needle + after, "endswith": before + needle}[func]
    assert pattern.fullmatch(haystack), "a value holding the text must match"
    # A wildcard in the needle must not stand for another character: swap each for a letter.
    if any(c in needle for c in "%_["):
        tamed = "".join("Q" if c in "%_[" else c for c in needle)
        if needle.casefold() not in tamed.casefold():
            assert not pattern.fullmatch(tamed), "a wildcard in user text matched something else"


@FUZZ
@given(name=st.text(max_size=20))
def test_odata_property_names_are_checked_not_trusted(name: str) -> None:
    try:
        text = odata.eq(name, 1).text
    except ValueError:
        return
    node = odata_filter.parse(text)
    assert isinstance(node, odata_filter.Compare) and node.left == odata_filter.Path((name,))


# --- QuickBooks query -----------------------------------------------------------------------------


@FUZZ
@given(value=st.one_of(user_text, wildcard_heavy))
def test_qbo_where_literal_is_read_back_exactly(value: str) -> None:
    parsed = parse_query(QboQuery("Customer").where("DisplayName", "=", value).text())
    assert parsed.entity == "Customer" and len(parsed.where) == 1
    condition = parsed.where[0]
    assert (condition.prop, condition.op, condition.values) == ("DisplayName", "=", [value])


@FUZZ
@given(values=st.lists(st.one_of(user_text, wildcard_heavy), min_size=1, max_size=6))
def test_qbo_in_list_keeps_every_value(values: list[str]) -> None:
    query = QboQuery("Customer").where_in("DisplayName", values).where("Active", "=", True)
    parsed = parse_query(query.text(start=3, max_results=10))
    assert [(c.prop, c.op) for c in parsed.where] == [("DisplayName", "IN"), ("Active", "=")]
    assert parsed.where[0].values == values
    assert (parsed.start_position, parsed.max_results) == (3, 10)


@FUZZ
@given(field=st.text(max_size=20), entity=st.text(max_size=12))
def test_qbo_names_are_checked_not_trusted(field: str, entity: str) -> None:
    try:
        text = QboQuery(entity).where(field, "=", "x").text()
    except ValueError:
        return
    parsed = parse_query(text)
    assert parsed.entity == entity and parsed.where[0].prop == field


@FUZZ
@given(amount=st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**9), max_value=10**9))
def test_qbo_decimal_literals_are_exact(amount: Decimal) -> None:
    parsed = parse_query(QboQuery("Invoice").where("TotalAmt", ">", amount).text())
    assert Decimal(str(parsed.where[0].values[0])) == amount


# --- response parsers -----------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | user_text,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["Fault", "fault", "Error", "error", "code", "Message", "Detail", "element", "type", "x"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.sampled_from([b"", b"{", b'{"Fault":', b'<IntuitResponse><Fault><Error code="3001">', b"\xff\xfe"]),
)
statuses = st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 412, 429, 500, 502, 503, 504])


@FUZZ
@given(
    status=statuses, body=bodies, content_type=st.sampled_from(["application/json", "application/xml", "text/plain"])
)
def test_error_parsers_always_classify(status: int, body: bytes, content_type: str) -> None:
    response = httpx.Response(status, content=body, headers={"Content-Type": content_type})
    for error in (qbo_parse_error(response), dv_parse_error(response)):
        assert isinstance(error, ConnectorError)
        assert isinstance(error.error_class, ErrorClass) and error.hint
        assert error.status == status
        assert str(error)


@FUZZ
@given(body=json_values)
def test_fault_facts_never_raise(body: Any) -> None:
    facts = fault_facts(body, 400)
    if facts is not None:
        assert isinstance(classify(facts).error_class, ErrorClass)


@FUZZ
@given(code=st.one_of(st.none(), user_text, st.integers().map(str)), message=user_text, status=st.none() | statuses)
def test_classifier_is_total(code: str | None, message: str, status: int | None) -> None:
    for service in Service:
        result = classify(ErrorFacts(service, status, code, message))
        assert isinstance(result.error_class, ErrorClass) and result.hint


@FUZZ
@given(text=st.text(max_size=300), boundary=st.sampled_from(["batchresponse_1", "b", ""]))
def test_batch_parser_fails_only_with_value_error(text: str, boundary: str) -> None:
    body = f"--{boundary}\r\n{text}\r\n--{boundary}--" if boundary else text
    try:
        parts = parse_batch(f"multipart/mixed; boundary={boundary}", body)
    except ValueError:
        return  # the client turns this into ProtocolError (tested below)
    assert all(100 <= p.status <= 599 for p in parts)


def mock_clients(handler: Any) -> tuple[QuickBooksClient, DataverseClient]:
    retry = RetrySettings(max_attempts=2, base_delay=0, max_delay=0)
    transport = httpx.MockTransport(handler)
    qbo = QuickBooksClient(
        QuickBooksClientSettings(
            environment="sandbox",
            client_id="id",
            client_secret="secret",
            realm_id="123",
            api_base_url="http://127.0.0.1:9",
            retry=retry,
        ),
        tokens=StaticTokens(),
        http=httpx.AsyncClient(transport=transport),
        clock=FakeClock(),
        rng=random.Random(1),
    )
    dv = DataverseClient(
        DataverseSettings(url="http://127.0.0.1:9", tenant="t", client_id="c", client_secret="s", retry=retry),
        tokens=StaticTokens(),
        http=httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:9/api/data/v9.2/"),
        clock=FakeClock(),
        rng=random.Random(1),
    )
    return qbo, dv


@FUZZ
@given(status=statuses, body=bodies, ctype=st.sampled_from(["application/json", "multipart/mixed; boundary=x", ""]))
def test_clients_turn_any_answer_into_a_result_or_a_classified_error(status: int, body: bytes, ctype: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=body, headers={"Content-Type": ctype} if ctype else {})

    async def run() -> None:
        qbo, dv = mock_clients(handler)
        calls: list[Callable[[], Awaitable[object]]] = [
            qbo.company_info,
            lambda: qbo.query(QboQuery("Customer").text()),
            lambda: qbo.query_all(QboQuery("Customer")),
            lambda: qbo.create("Customer", {"DisplayName": "x"}, request_id=GUID),
            lambda: qbo.batch([{"bId": "1", "operation": "create", "Customer": {"DisplayName": "x"}}]),
            dv.who_am_i,
            lambda: dv.list_rows("accounts"),
            lambda: dv.get("accounts", GUID),
            lambda: dv.create("accounts", {"name": "x"}),
            lambda: dv.upsert("accounts", GUID, {"name": "x"}),
            lambda: dv.batch([BatchOperation("PATCH", f"accounts({GUID})", {"name": "x"})]),
        ]
        try:
            for call in calls:
                try:
                    await call()
                except ConnectorError as exc:
                    assert isinstance(exc.error_class, ErrorClass) and exc.hint
        finally:
            await qbo.aclose()
            await dv.aclose()

    asyncio.run(run())
