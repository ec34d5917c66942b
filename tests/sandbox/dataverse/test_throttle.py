"""Service protection limits: request count, execution time, concurrency; 429 codes, messages, Retry-After."""

from __future__ import annotations

import asyncio

from inolink_tui.sandbox.dataverse import DataverseLimits
from tests.sandbox.dataverse.harness import in_process


async def test_request_count_limit_answers_429_with_real_code_and_retry_after() -> None:
    async with in_process(DataverseLimits(requests_per_window=3)) as sb:
        remaining = [
            int((await sb.get("WhoAmI")).headers["x-ms-ratelimit-burst-remaining-xrm-requests"]) for _ in range(3)
        ]
        assert remaining == [2, 1, 0]
        throttled = await sb.get("WhoAmI")
        assert throttled.status_code == 429
        assert throttled.headers["content-type"] == "application/json; odata.metadata=minimal"
        assert throttled.headers["OData-Version"] == "4.0"
        assert throttled.json() == {
            "error": {
                "code": "0x80072322",
                "message": "Number of requests exceeded the limit of 3 over time window of 300 seconds.",
            }
        }
        retry_after = int(throttled.headers["Retry-After"])
        assert 290 <= retry_after <= 300
        sb.clock.advance(retry_after)
        assert (await sb.get("WhoAmI")).status_code == 200


async def test_window_slides_rather_than_resets() -> None:
    async with in_process(DataverseLimits(requests_per_window=2)) as sb:
        await sb.get("WhoAmI")
        sb.clock.advance(200)
        await sb.get("WhoAmI")
        sb.clock.advance(101)  # the first request left the window, the second has not
        assert (await sb.get("WhoAmI")).status_code == 200
        assert (await sb.get("WhoAmI")).status_code == 429


async def test_execution_time_limit_message_has_two_spaces() -> None:
    limits = DataverseLimits(execution_seconds=10, latency_seconds=6)
    async with in_process(limits, time_scale=200) as sb:
        assert (await sb.get("WhoAmI")).status_code == 200
        assert (await sb.get("WhoAmI")).status_code == 200
        throttled = await sb.get("WhoAmI")
        assert throttled.status_code == 429
        error = throttled.json()["error"]
        assert error["code"] == "0x80072321"
        assert error["message"] == (
            "Combined execution time of incoming requests exceeded limit of 10,000  milliseconds over time window "
            "of 300 seconds. Decrease number of concurrent requests or reduce the duration of requests and try "
            "again later."
        )
        assert int(throttled.headers["Retry-After"]) >= 1


async def test_concurrency_overrun_fails_immediately() -> None:
    limits = DataverseLimits(max_concurrency=2, latency_seconds=20)
    async with in_process(limits, time_scale=100) as sb:
        responses = await asyncio.gather(*(sb.get("WhoAmI") for _ in range(3)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 200, 429]
        throttled = next(r for r in responses if r.status_code == 429)
        assert throttled.json()["error"] == {
            "code": "0x80072326",
            "message": "Number of concurrent requests exceeded the limit of 2.",
        }
        assert (await sb.get("WhoAmI")).status_code == 200  # slots are released afterwards


def test_limits_are_per_user() -> None:
    import pytest

    from inolink_tui.sandbox.clock import SandboxClock
    from inolink_tui.sandbox.dataverse.errors import DataverseError
    from inolink_tui.sandbox.dataverse.throttle import Throttle

    throttle = Throttle(SandboxClock(), DataverseLimits(requests_per_window=1))
    throttle.release("a", throttle.admit("a"))
    with pytest.raises(DataverseError) as caught:
        throttle.admit("a")
    assert caught.value.status == 429
    throttle.release("b", throttle.admit("b"))  # another user has its own window
