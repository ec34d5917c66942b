"""The in-process server, persistence, config writing, seed determinism and simulated activity."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import httpx
import pytest

from inolink_tui.sandbox.app import dataverse_available
from inolink_tui.sandbox.config_writer import write_config
from inolink_tui.sandbox.options import SandboxOptions
from inolink_tui.sandbox.persist import StateFileError, load_state
from inolink_tui.sandbox.server import run_sandbox
from tests.sandbox.conftest import make_sandbox

pytestmark = pytest.mark.timeout(60)
LINE_KEYS = {
    "crm_url",
    "aad_authority",
    "crm_tenant",
    "crm_client_id",
    "crm_client_secret",
    "qbo_base_url",
    "intuit_discovery_url",
    "qbo_client_id",
    "qbo_client_secret",
    "realm_id",
    "qbo_refresh_token",
    "qbo_webhook_verifier_token",
}


async def test_run_sandbox_yields_urls_and_credentials() -> None:
    async with run_sandbox(SandboxOptions(records=0)) as handle:
        info = handle.info()
        assert set(info) == LINE_KEYS
        assert info["crm_url"] == info["qbo_base_url"] == handle.base_url
        assert info["aad_authority"] == f"{handle.base_url}/{info['crm_tenant']}"
        async with httpx.AsyncClient() as http:
            discovery = await http.get(info["intuit_discovery_url"])
            assert discovery.status_code == 200
            control = await http.get(f"{handle.base_url}/_sandbox/info")
            assert control.json()["realm_id"] == info["realm_id"]
            unknown = await http.get(f"{handle.base_url}/nowhere")
            assert unknown.status_code == 404


def test_identity_and_seed_are_deterministic() -> None:
    first, second, other = make_sandbox(seed=5), make_sandbox(seed=5), make_sandbox(seed=6)
    assert first.identity == second.identity != other.identity

    def names(sandbox: object) -> list[str]:
        return [c["DisplayName"] for c in sandbox.qbo.all("Customer")]  # type: ignore[attr-defined]

    assert names(first) == names(second) != names(other)
    items = {i["Name"]: i for i in first.qbo.all("Item")}
    assert {"Write-In", "Discount", "Shipping"} <= set(items)
    assert any(not c["Active"] for c in first.qbo.all("Customer"))  # an inactive customer freed its name
    assert any(v["DisplayName"] for v in first.qbo.all("Vendor"))
    invoices = first.qbo.all("Invoice")
    assert invoices and any(i["Balance"] < i["TotalAmt"] for i in invoices)  # some are (partly) paid


async def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    options = SandboxOptions(records=0, state_path=path)
    async with run_sandbox(options) as handle:
        created = handle.sandbox.qbo.create("Customer", {"DisplayName": "Persistent Customer"})
        refresh = handle.sandbox.intuit.refresh(handle.info()["qbo_refresh_token"]).refresh_token
    assert path.exists()
    async with run_sandbox(options) as handle:
        again = handle.sandbox.qbo.get("Customer", created["Id"])
        assert again is not None and again["DisplayName"] == "Persistent Customer"
        assert handle.info()["qbo_refresh_token"] == refresh  # the rotated token is the live one
        handle.sandbox.intuit.refresh(refresh)
        next_customer = handle.sandbox.qbo.create("Customer", {"DisplayName": "After Restart"})
        assert int(next_customer["Id"]) == int(created["Id"]) + 1
    with pytest.raises(StateFileError, match="seed"):
        load_state(path, seed=99)
    path.write_text("{not json")
    with pytest.raises(StateFileError):
        load_state(path, seed=1)


def test_write_config_and_token_file(tmp_path: Path) -> None:
    info = {key: f"value-{key}" for key in LINE_KEYS}
    config_path = tmp_path / "conf" / "config.toml"
    write_config(config_path, info)
    document = tomllib.loads(config_path.read_text())
    assert document["crm"] == {
        "url": info["crm_url"],
        "tenant": info["crm_tenant"],
        "client_id": info["crm_client_id"],
        "client_secret": info["crm_client_secret"],
        "authority": info["aad_authority"],
    }
    quickbooks = document["quickbooks"]
    assert quickbooks["environment"] == info["intuit_discovery_url"]
    assert quickbooks["api_base_url"] == info["qbo_base_url"] and quickbooks["realm_id"] == info["realm_id"]
    assert set(quickbooks) == {
        "environment",
        "client_id",
        "client_secret",
        "realm_id",
        "redirect_uri",
        "api_base_url",
        "token_file",
        "webhook_verifier_token",
    }
    assert quickbooks["webhook_verifier_token"] == info["qbo_webhook_verifier_token"]
    assert document["services"] == {"mode": "live"}, "a new config runs in live mode"
    token_file = Path(quickbooks["token_file"])
    assert token_file.parent == config_path.parent
    assert Path(document["store"]["path"]).parent == config_path.parent
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    tokens = json.loads(token_file.read_text())
    assert tokens == {
        f"quickbooks:{info['realm_id']}": {"refresh_token": info["qbo_refresh_token"], "realm_id": info["realm_id"]}
    }


async def test_activity_steps_change_quickbooks() -> None:
    async with run_sandbox(SandboxOptions(records=6, seed=3)) as handle:
        runner = handle.sandbox.extra["activity"]
        before = {c["Id"]: c["SyncToken"] for c in handle.sandbox.qbo.all("Customer")}
        invoices_before = len(handle.sandbox.qbo.records["Invoice"])
        events = [runner.step() for _ in range(40)]
        kinds = {e["event"] for e in events}
        assert {"qbo_edit_customer", "qbo_invoice", "qbo_payment"} <= kinds
        after = {c["Id"]: c["SyncToken"] for c in handle.sandbox.qbo.all("Customer")}
        assert any(after[k] != v for k, v in before.items())
        assert len(handle.sandbox.qbo.records["Invoice"]) > invoices_before
        async with httpx.AsyncClient() as http:
            answer = await http.post(f"{handle.base_url}/_sandbox/activity", json={"rate": 120})
        assert answer.json() == {"rate": 120.0}


@pytest.mark.skipif(not dataverse_available(), reason="inolink_tui.sandbox.dataverse is not installed")
def test_crm_seed_sets_up_natural_duplicates_and_errors() -> None:
    sandbox = make_sandbox(records=12, seed=2)
    accounts = sandbox.dataverse.rows("accounts")
    assert len(accounts) == 12
    qbo_customers = {c["Id"]: c for c in sandbox.qbo.all("Customer")}
    linked = [a for a in accounts if a.get("ino_linkstatus") == 100000001]
    assert linked and any(a["ino_accountingid"] not in qbo_customers for a in linked)  # one dangling link
    assert all(
        qbo_customers[a["ino_accountingid"]]["DisplayName"] == a["name"]
        for a in linked
        if a["ino_accountingid"] in qbo_customers
    )
    promoted = [a for a in accounts if a.get("ino_linkstatus") == 100000000]
    assert promoted and all(a["ino_promotedon"] and a["_ino_promotedby_value"] for a in promoted)
    vendors = {v["DisplayName"] for v in sandbox.qbo.all("Vendor")}
    assert any(a["name"] in vendors for a in promoted)  # promoting it will meet 6240
    inactive = {c["DisplayName"].removesuffix(" (deleted)") for c in qbo_customers.values() if not c["Active"]}
    assert any(a["name"] in inactive for a in promoted)  # the inactive customer freed its name
    assert sandbox.dataverse.rows("products") and sandbox.dataverse.rows("contacts")
    for entity_set, detail_set, parent in (
        ("quotes", "quotedetails", "_quoteid_value"),
        ("salesorders", "salesorderdetails", "_salesorderid_value"),
        ("invoices", "invoicedetails", "_invoiceid_value"),
    ):
        headers = sandbox.dataverse.rows(entity_set)
        details = sandbox.dataverse.rows(detail_set)
        assert headers and {d[parent] for d in details} <= {h[f"{entity_set[:-1]}id"] for h in headers}
        assert all(d["_productid_value"] for d in details)
