"""Issue 12 item 4: an answer whose body cannot be read is a transient fault, retried with back-off like a 5xx.

A 200 with JSON cut short (the chaos profile's "not JSON" jobs), a connection reset in the middle of the body, and
an HTML page from a proxy all said nothing about the request itself; before, the first of them ended the job in
Error with class `unknown` after one attempt.
"""

from __future__ import annotations

import httpx
import pytest
import respx

from inolink_tui.connectors.errors import ConnectorError, ProtocolError
from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.errors import ErrorFacts, Service, classify
from tests.connectors.conftest import FakeClock, StaticTokens
from tests.connectors.test_dataverse_client import API
from tests.connectors.test_dataverse_client import make_client as make_dataverse
from tests.connectors.test_quickbooks_client import CO
from tests.connectors.test_quickbooks_client import make_client as make_quickbooks

TRUNCATED = b'{"QueryResponse": {"Customer": [{"Id": "1", "DisplayName": "Trunc'
PROXY_PAGE = b"<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
GOOD_QBO = {"QueryResponse": {"Customer": [{"Id": "1", "DisplayName": "Contoso"}]}}


def truncated() -> httpx.Response:
    return httpx.Response(200, content=TRUNCATED, headers={"Content-Type": "application/json;charset=utf-8"})


def proxy_page(status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=PROXY_PAGE, headers={"Content-Type": "text/html"})


def reset_mid_body(request: httpx.Request) -> httpx.Response:
    raise httpx.RemoteProtocolError("peer closed connection without sending complete message body", request=request)


@pytest.mark.parametrize("bad", [truncated, proxy_page, reset_mid_body], ids=["truncated", "html", "reset"])
@respx.mock
async def test_quickbooks_query_survives_an_unreadable_answer(clock: FakeClock, tokens: StaticTokens, bad) -> None:  # type: ignore[no-untyped-def]
    first = bad if bad is reset_mid_body else bad()
    route = respx.get(f"{CO}/query").mock(side_effect=[first, httpx.Response(200, json=GOOD_QBO)])
    async with make_quickbooks(clock, tokens) as client:
        rows = await client.query("select * from Customer")
    assert route.call_count == 2
    assert rows == GOOD_QBO["QueryResponse"]
    assert len(clock.sleeps) == 1 and clock.sleeps[0] > 0, "the retry waited its back-off"


@pytest.mark.parametrize("bad", [truncated, proxy_page], ids=["truncated", "html"])
@respx.mock
async def test_dataverse_read_survives_an_unreadable_answer(clock: FakeClock, tokens: StaticTokens, bad) -> None:  # type: ignore[no-untyped-def]
    route = respx.get(f"{API}WhoAmI").mock(
        side_effect=[bad(), httpx.Response(200, json={"UserId": "u", "BusinessUnitId": "b", "OrganizationId": "o"})]
    )
    async with make_dataverse(clock, tokens) as client:
        who = await client.who_am_i()
    assert route.call_count == 2 and who["UserId"] == "u"
    assert len(clock.sleeps) == 1


@respx.mock
async def test_an_answer_that_stays_unreadable_is_a_transient_error_after_the_retries(
    clock: FakeClock, tokens: StaticTokens
) -> None:
    route = respx.get(f"{CO}/query").mock(side_effect=lambda request: truncated())
    async with make_quickbooks(clock, tokens) as client:
        with pytest.raises(ProtocolError) as caught:
            await client.query("select * from Customer")
    assert route.call_count == 4  # max_attempts of the client's RetrySettings
    assert clock.sleeps == sorted(clock.sleeps) and len(clock.sleeps) == 3, "back-off grew between attempts"
    error: ConnectorError = caught.value
    assert error.error_class is ErrorClass.TRANSIENT and error.retryable
    assert error.code == "bad_json" and "truncated or malformed JSON" in error.message


@respx.mock
async def test_an_html_error_page_on_a_5xx_is_retried_and_classified_transient(
    clock: FakeClock, tokens: StaticTokens
) -> None:
    route = respx.get(f"{CO}/query").mock(side_effect=lambda request: proxy_page(502))
    async with make_quickbooks(clock, tokens) as client:
        with pytest.raises(ConnectorError) as caught:
            await client.query("select * from Customer")
    assert route.call_count == 4
    assert caught.value.error_class is ErrorClass.TRANSIENT


def test_readable_bodies_are_left_alone() -> None:
    from inolink_tui.connectors.transport import unreadable_body

    assert unreadable_body(httpx.Response(200, json={"a": 1})) is None
    assert unreadable_body(httpx.Response(204)) is None
    assert unreadable_body(httpx.Response(200, content=b"--b\r\n", headers={"Content-Type": "multipart/mixed"})) is None
    assert unreadable_body(httpx.Response(200, content=b"<x/>", headers={"Content-Type": "application/xml"})) is None
    odata = {"Content-Type": "application/json; odata.metadata=minimal"}
    assert unreadable_body(httpx.Response(200, content=b'{"value": []}', headers=odata)) is None
    assert unreadable_body(httpx.Response(200, content=b'{"value": [', headers=odata)) is not None
    assert unreadable_body(httpx.Response(200, content=b"\xff\xfe{", headers={"Content-Type": "application/json"}))


def test_a_body_the_clients_cannot_parse_is_classified_transient_for_both_services() -> None:
    for service in Service:
        result = classify(ErrorFacts(service, 200, "bad_json", "not JSON: '{\"Query'"))
        assert result.error_class is ErrorClass.TRANSIENT and result.retryable
        assert "not JSON" in result.hint
