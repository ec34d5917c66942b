"""Fault injection: rules, profiles, and what a real HTTP client sees (including dropped connections)."""

from __future__ import annotations

import time

import httpx
import pytest

from inolink_tui.sandbox.faults import FAULT_PROFILES, FaultRule
from inolink_tui.sandbox.options import SandboxOptions
from inolink_tui.sandbox.server import run_sandbox
from tests.sandbox.conftest import BASE, Qbo, make_sandbox, qbo_for


def test_rules_validate_their_input() -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        FaultRule.from_json({"kind": "explode"})
    with pytest.raises(ValueError, match="probability"):
        FaultRule("status", probability=2)
    with pytest.raises(ValueError, match="unknown api"):
        FaultRule("status", api="salesforce")
    with pytest.raises(ValueError, match="regex"):
        FaultRule("status", path="(")
    with pytest.raises(ValueError, match="unknown fault rule keys"):
        FaultRule.from_json({"kind": "status", "sttaus": 500})
    for name in FAULT_PROFILES:
        make_sandbox(records=0, faults=name, seed_data=False)
    with pytest.raises(ValueError, match="unknown fault profile"):
        make_sandbox(records=0, faults="apocalypse", seed_data=False)


async def test_status_throttle_and_malformed_rules_fire_a_fixed_number_of_times(qbo: Qbo) -> None:
    faults = qbo.sandbox.faults
    faults.add(FaultRule("status", api="qbo", path=r"/companyinfo/", status=503, remaining=2))
    codes = [(await qbo.get("companyinfo/1")).status_code for _ in range(3)]
    assert codes == [503, 503, 200]
    faults.add(FaultRule("throttle", api="qbo", remaining=1, retry_after=30))
    throttled = await qbo.get("companyinfo/1")
    assert throttled.status_code == 429 and "3001" in throttled.text and throttled.headers["retry-after"] == "30"
    faults.add(FaultRule("malformed", api="qbo", method="GET", remaining=1))
    broken = await qbo.get("companyinfo/1")
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    assert faults.fired == {"status": 2, "throttle": 1, "malformed": 1}
    assert qbo.sandbox.stats.statuses["qbo:503"] == 2


async def test_probability_uses_a_seeded_rng() -> None:
    def run() -> list[bool]:
        sandbox = make_sandbox(records=0, seed=7, seed_data=False)
        sandbox.faults.add(FaultRule("status", probability=0.5))
        return [sandbox.faults.pick("qbo", "GET", "/v3/company/1/x") is not None for _ in range(40)]

    first, second = run(), run()
    assert first == second and 5 < sum(first) < 35


async def test_control_api_sets_profiles_and_rules_and_is_never_faulted() -> None:
    sandbox = make_sandbox(records=0, seed_data=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=sandbox.asgi), base_url=BASE) as http:
        answer = await http.post("/_sandbox/faults", json={"profile": "chaos"})
        assert answer.json()["profile"] == "chaos" and answer.json()["rules"]
        answer = await http.post("/_sandbox/faults", json={"clear": True, "rules": [{"kind": "status", "status": 500}]})
        assert [r["kind"] for r in answer.json()["rules"]] == ["status"]
        assert (await http.get("/_sandbox/faults")).status_code == 200  # control stays reachable
        bad = await http.post("/_sandbox/faults", json={"rules": [{"kind": "nope"}]})
        assert bad.status_code == 400 and "unknown fault kind" in bad.json()["error"]
        qbo = qbo_for(sandbox, http)
        failed = await qbo.get("companyinfo/1")
        assert failed.status_code == 500 and failed.json()["Fault"]["type"] == "SystemFault"


@pytest.mark.timeout(30)
async def test_reset_latency_and_slow_body_over_a_real_socket() -> None:
    async with run_sandbox(SandboxOptions(records=0)) as handle:
        sandbox = handle.sandbox
        token = sandbox.intuit.consent().access_token
        url = f"/v3/company/{sandbox.realm_id}/companyinfo/1"
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=handle.base_url, timeout=10) as http:
            sandbox.faults.add(FaultRule("reset", api="qbo", remaining=1))
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                await http.get(url, headers=headers)
            assert (await http.get(url, headers=headers)).status_code == 200
            sandbox.faults.add(FaultRule("latency", api="qbo", delay=0.3, remaining=1))
            started = time.monotonic()
            assert (await http.get(url, headers=headers)).status_code == 200
            assert time.monotonic() - started >= 0.3
            sandbox.faults.add(FaultRule("slow_body", api="qbo", delay=0.1, remaining=1))
            started = time.monotonic()
            slow = await http.get(url, headers=headers)
            assert slow.status_code == 200 and slow.json()["CompanyInfo"]["Id"] == "1"
            assert time.monotonic() - started >= 0.3
        assert sandbox.stats.statuses["qbo:0"] == 1  # the reset is logged as "no answer"


async def test_injected_qbo_errors_carry_the_trace_header(qbo: Qbo) -> None:
    qbo.sandbox.faults.add(FaultRule("status", api="qbo", status=500, remaining=1))
    failed = await qbo.get("companyinfo/1")
    assert failed.status_code == 500 and failed.headers["intuit-tid"].startswith("1-")
