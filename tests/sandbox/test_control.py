"""The /_sandbox control API that tests and the demo use."""

from __future__ import annotations

import httpx
import pytest

from inolink_tui.sandbox.app import Sandbox, dataverse_available
from tests.sandbox.conftest import qbo_for


async def test_stats_log_clock_and_quickbooks_edits(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    qbo = qbo_for(sandbox, http)
    await qbo.get("companyinfo/1")
    stats = (await http.get("/_sandbox/stats", params={"api": "qbo"})).json()
    assert stats["requests"]["qbo"] == 1 and stats["log"][0]["status"] == 200
    assert stats["log"][0]["path"].endswith("/companyinfo/1") and stats["log"][0]["service_time"]
    later = (await http.get("/_sandbox/stats", params={"since": stats["last_seq"]})).json()
    assert later["log"] == []
    before = (await http.get("/_sandbox/clock")).json()["monotonic"]
    after = (await http.post("/_sandbox/clock/advance", json={"seconds": 90})).json()["monotonic"]
    assert after - before >= 90
    assert (await http.post("/_sandbox/clock/advance", json={"seconds": -1})).status_code == 400
    customer = sandbox.qbo.all("Customer")[0]
    edited = await http.post(
        "/_sandbox/qbo/edit", json={"entity": "Customer", "body": {"Id": customer["Id"], "Notes": "edited by a user"}}
    )
    assert edited.json()["SyncToken"] == str(int(customer["SyncToken"]) + 1)
    refused = await http.post("/_sandbox/qbo/create", json={"entity": "Customer", "body": {}})
    assert refused.status_code == 400 and refused.json()["Fault"]["Error"][0]["code"] == "6080"
    listed = (await http.get("/_sandbox/qbo/records/item")).json()["records"]
    assert {"Write-In", "Discount", "Shipping"} <= {i["Name"] for i in listed}


async def test_token_hooks_and_limits(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    qbo = qbo_for(sandbox, http)
    assert (await qbo.get("companyinfo/1")).status_code == 200
    await http.post("/_sandbox/intuit/expire-access")
    assert (await qbo.get("companyinfo/1")).status_code == 401
    fresh = (await http.post("/_sandbox/intuit/consent")).json()
    qbo.token = fresh["access_token"]
    assert (await qbo.get("companyinfo/1")).status_code == 200
    await http.post("/_sandbox/intuit/revoke")
    assert (await qbo.get("companyinfo/1")).status_code == 401
    limits = await http.post("/_sandbox/qbo/limits", json={"requests_per_minute": 1, "throttle_body": "json"})
    assert limits.json()["requests_per_minute"] == 1
    assert (await http.post("/_sandbox/qbo/limits", json={"per_hour": 3})).status_code == 400
    info = (await http.get("/_sandbox/info")).json()
    assert info["realm_id"] == sandbox.realm_id and info["qbo_refresh_token"]


@pytest.mark.skipif(not dataverse_available(), reason="inolink_tui.sandbox.dataverse is not installed")
async def test_promote_sets_to_be_linked_with_who_and_when(sandbox: Sandbox, http: httpx.AsyncClient) -> None:
    candidates = [r for r in sandbox.dataverse.rows("accounts") if r.get("ino_linkstatus") is None]
    assert candidates, "the seed leaves some accounts not linked"
    answer = await http.post("/_sandbox/promote", json={"entity_set": "accounts", "count": 1})
    promoted = answer.json()["promoted"]
    row = sandbox.dataverse.get_row("accounts", promoted[0])
    assert row["ino_linkstatus"] == 100000000 and row["ino_promotedon"] and row["_ino_promotedby_value"]
    bad = await http.post("/_sandbox/promote", json={"entity_set": "systemusers"})
    assert bad.status_code == 400
