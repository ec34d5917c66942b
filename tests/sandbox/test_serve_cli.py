"""End to end: `inolink-tui sandbox serve` as a process, driven by a plain HTTP client holding only its JSON line.

The QuickBooks half always runs; the Dataverse half needs `inolink_tui.sandbox.dataverse` (the other sandbox
helper's package) and is skipped only when that package is absent.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from inolink_tui.sandbox.app import dataverse_available

pytestmark = pytest.mark.timeout(90)
READY_SECONDS = 3.0
READY_CPU_SECONDS = 1.5


def _cpu_seconds(pid: int) -> float:
    """User + system CPU a running process has used (Linux /proc), to judge readiness on a loaded machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _command() -> list[str]:
    script = Path(sys.executable).with_name("inolink-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "inolink_tui"]


class Served:
    def __init__(self, process: subprocess.Popen[str], info: dict[str, str], ready_after: float, cpu: float) -> None:
        self.process = process
        self.info = info
        self.ready_after = ready_after
        self.cpu = cpu


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("serve")
    args = [*_command(), "sandbox", "serve", "--port", "0", "--records", "6", "--seed", "11"]
    args += ["--state", str(folder / "state.json"), "--write-config", str(folder / "config.toml")]
    started = time.monotonic()
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"}
    )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    if not ready:
        process.kill()
        pytest.fail("the sandbox printed nothing within 20 seconds")
    line = process.stdout.readline()
    ready_after = time.monotonic() - started
    cpu = _cpu_seconds(process.pid) if Path(f"/proc/{process.pid}/stat").exists() else 0.0
    if not line:
        process.kill()
        pytest.fail(f"the sandbox exited: {process.stderr.read() if process.stderr else ''}")
    served = Served(process, json.loads(line), ready_after, cpu)
    served.folder = folder  # type: ignore[attr-defined]
    yield served
    if process.poll() is None:
        process.kill()
        process.wait(5)


def test_prints_one_json_line_quickly(served: Served) -> None:
    # Wall time is the brief's bound; on a machine loaded far beyond its cores (shared by several test runs)
    # wall time measures the queue, so there the CPU the process needed to get ready is checked instead.
    overloaded = os.getloadavg()[0] > 2 * (os.cpu_count() or 1)
    assert served.cpu < READY_CPU_SECONDS, f"{served.cpu:.2f} CPU seconds to get ready"
    if not overloaded:
        assert served.ready_after < READY_SECONDS, f"ready after {served.ready_after:.2f}s"
    assert set(served.info) == {
        "crm_url", "aad_authority", "crm_tenant", "crm_client_id", "crm_client_secret", "qbo_base_url",
        "intuit_discovery_url", "qbo_client_id", "qbo_client_secret", "realm_id", "qbo_refresh_token",
        "qbo_webhook_verifier_token",
    }  # fmt: skip
    folder: Path = served.folder  # type: ignore[attr-defined]
    assert (folder / "config.toml").exists() and (folder / "tokens.json").exists()


async def _qbo_token(http: httpx.AsyncClient, info: dict[str, str]) -> str:
    discovery = (await http.get(info["intuit_discovery_url"])).json()
    answer = await http.post(
        discovery["token_endpoint"],
        data={"grant_type": "refresh_token", "refresh_token": info["qbo_refresh_token"]},
        auth=(info["qbo_client_id"], info["qbo_client_secret"]),
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["intuit_tid"] and "id_token" not in answer.json()
    assert answer.json()["refresh_token"] != info["qbo_refresh_token"]  # rotated
    info["qbo_refresh_token"] = answer.json()["refresh_token"]  # the old one is spent: later tests use the new one
    token: str = answer.json()["access_token"]
    return token


async def test_quickbooks_half(served: Served) -> None:
    info = served.info
    async with httpx.AsyncClient(timeout=10) as http:
        token = await _qbo_token(http, info)
        api = f"{info['qbo_base_url']}/v3/company/{info['realm_id']}"
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        ids = []
        for index in range(3):
            created = await http.post(
                f"{api}/customer?minorversion=75", json={"DisplayName": f"E2E Customer {index}"}, headers=headers
            )
            assert created.status_code == 200 and created.headers["content-type"] == "application/json;charset=utf-8"
            ids.append(created.json()["Customer"]["Id"])
        pages: list[str] = []
        for start in (1, 3, 5):
            text = f"select * from Customer where DisplayName like 'e2e customer%' startposition {start} maxresults 2"
            page = (await http.get(f"{api}/query?query={quote(text)}", headers=headers)).json()["QueryResponse"]
            pages += [c["Id"] for c in page.get("Customer", [])]
            if start == 5:
                assert page == {}
        assert pages == ids
        update = {"Id": ids[0], "SyncToken": "0", "sparse": True, "Notes": "updated"}
        assert (await http.post(f"{api}/customer", json=update, headers=headers)).json()["Customer"]["SyncToken"] == "1"
        stale = await http.post(f"{api}/customer", json=update, headers=headers)
        assert stale.status_code == 400 and stale.json()["Fault"]["Error"][0]["code"] == "5010"
        burst = await asyncio.gather(
            *(http.get(f"{api}/companyinfo/{info['realm_id']}", headers=headers) for _ in range(25))
        )
        throttled = [r for r in burst if r.status_code == 429]
        assert throttled, [r.status_code for r in burst]
        assert '<Error code="3001">' in throttled[0].text
        await asyncio.sleep(1.1)
        unauthorized = await http.get(f"{api}/companyinfo/{info['realm_id']}", headers={"Authorization": "Bearer x"})
        assert unauthorized.status_code == 401 and unauthorized.json()["fault"]["error"][0]["code"] == "3200"


@pytest.mark.skipif(not dataverse_available(), reason="inolink_tui.sandbox.dataverse is not installed")
async def test_dataverse_half(served: Served) -> None:
    info = served.info
    async with httpx.AsyncClient(timeout=10) as http:
        token_answer = await http.post(
            f"{info['aad_authority']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": info["crm_client_id"],
                "client_secret": info["crm_client_secret"],
                "scope": f"{info['crm_url']}/.default",
            },
        )
        assert token_answer.status_code == 200, token_answer.text
        token = token_answer.json()["access_token"]
        wrong = await http.post(
            f"{info['aad_authority']}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": info["crm_client_id"], "client_secret": "nope",
                  "scope": f"{info['crm_url']}/.default"},
        )  # fmt: skip
        assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
        api = f"{info['crm_url']}/api/data/v9.2"
        headers: dict[str, Any] = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "OData-Version": "4.0",
            "OData-MaxVersion": "4.0",
        }
        for index in range(3):
            created = await http.post(f"{api}/accounts", json={"name": f"E2E Account {index}"}, headers=headers)
            assert created.status_code == 204, created.text
        url: str | None = f"{api}/accounts?$select=name&$filter=startswith(name,'E2E Account')"
        names: list[str] = []
        while url:
            page = await http.get(url, headers={**headers, "Prefer": "odata.maxpagesize=2"})
            assert page.status_code == 200, page.text
            names += [row["name"] for row in page.json()["value"]]
            url = page.json().get("@odata.nextLink")
        assert sorted(names) == [f"E2E Account {i}" for i in range(3)]
        row = (await http.get(f"{api}/accounts?$filter=name eq 'E2E Account 0'", headers=headers)).json()["value"][0]
        target = f"{api}/accounts({row['accountid']})"
        first = await http.patch(target, json={"telephone1": "1"}, headers={**headers, "If-Match": row["@odata.etag"]})
        assert first.status_code == 204
        stale = await http.patch(target, json={"telephone1": "2"}, headers={**headers, "If-Match": row["@odata.etag"]})
        assert stale.status_code == 412
        limits = await http.post(f"{info['crm_url']}/_sandbox/dataverse/limits", json={"requests_per_window": 5})
        assert limits.status_code == 200
        statuses = [(await http.get(f"{api}/WhoAmI", headers=headers)).status_code for _ in range(8)]
        assert 429 in statuses
        throttled = await http.get(f"{api}/WhoAmI", headers=headers)
        assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) >= 1


async def test_stops_on_sigint_and_keeps_state(served: Served) -> None:
    # Writes its own customer: under pytest-xdist the other tests of this module may run in another worker,
    # against another sandbox process, so nothing they wrote can be expected here.
    async with httpx.AsyncClient(timeout=10) as http:
        token = await _qbo_token(http, served.info)
        created = await http.post(
            f"{served.info['qbo_base_url']}/v3/company/{served.info['realm_id']}/customer",
            json={"DisplayName": "E2E Kept On Stop"},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        assert created.status_code == 200, created.text
    process = served.process
    process.send_signal(signal.SIGINT)
    assert process.wait(10) == 0
    assert process.stdout is not None
    assert process.stdout.read() == ""  # exactly one line on stdout, ever
    state = json.loads((served.folder / "state.json").read_text())  # type: ignore[attr-defined]
    names = [c["DisplayName"] for c in state["qbo"]["records"]["Customer"].values()]
    assert "E2E Kept On Stop" in names


def test_bad_invocations_fail_with_one_clear_line(tmp_path: Path) -> None:
    import socket

    from click.testing import CliRunner

    from inolink_tui.cli.main import cli

    runner = CliRunner()
    remote = runner.invoke(cli, ["sandbox", "serve", "--host", "0.0.0.0"])
    assert remote.exit_code == 2 and "loopback only" in remote.output
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = runner.invoke(cli, ["sandbox", "serve", "--port", str(busy.getsockname()[1])])
    assert taken.exit_code == 1 and "cannot serve on 127.0.0.1" in taken.output
    state = tmp_path / "state.json"
    state.write_text('{"format": 1, "seed": 4, "qbo": {}}')
    foreign = runner.invoke(cli, ["sandbox", "serve", "--state", str(state)])
    assert foreign.exit_code == 1 and "--seed 4" in foreign.output
    assert state.read_text() == '{"format": 1, "seed": 4, "qbo": {}}'  # nothing lost
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    unwritable = runner.invoke(cli, ["sandbox", "serve", "--write-config", str(blocker / "config.toml")])
    assert unwritable.exit_code == 1 and "cannot write the config" in unwritable.output
    scale = runner.invoke(cli, ["sandbox", "serve", "--time-scale", "0"])
    assert scale.exit_code == 2


def _start(args: list[str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    process = subprocess.Popen(
        [*_command(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 20)
    line = process.stdout.readline() if ready else ""
    if not line:
        process.kill()
        pytest.fail(f"the sandbox did not start: {process.stderr.read() if process.stderr else ''}")
    return process, json.loads(line)


async def _crm(info: dict[str, str]) -> tuple[httpx.AsyncClient, str]:
    http = httpx.AsyncClient(timeout=10)
    answer = await http.post(
        f"{info['aad_authority']}/oauth2/v2.0/token",
        data={"grant_type": "client_credentials", "client_id": info["crm_client_id"],
              "client_secret": info["crm_client_secret"], "scope": f"{info['crm_url']}/.default"},
    )  # fmt: skip
    http.headers.update({"Authorization": f"Bearer {answer.json()['access_token']}", "Accept": "application/json"})
    return http, f"{info['crm_url']}/api/data/v9.2"


@pytest.mark.skipif(not dataverse_available(), reason="inolink_tui.sandbox.dataverse is not installed")
async def test_bare_org_is_a_stock_environment_and_keeps_its_customizations(tmp_path: Path) -> None:
    state = tmp_path / "bare.json"
    with socket.socket() as probe:  # a fixed port: the saved org keeps its URL across the restart
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    args = ["sandbox", "serve", "--bare-org", "--port", port, "--records", "4", "--state", str(state)]
    process, info = _start(args)
    try:
        http, api = await _crm(info)
        try:
            account = f"{api}/EntityDefinitions(LogicalName='account')"
            names = {
                a["LogicalName"] for a in (await http.get(f"{account}/Attributes?$select=LogicalName")).json()["value"]
            }
            assert "name" in names and not any(n.startswith("ino_") for n in names)
            tables = (await http.get(f"{api}/EntityDefinitions?$select=LogicalName,ChangeTrackingEnabled")).json()
            assert not any(t["ChangeTrackingEnabled"] or t["LogicalName"] == "ino_linkjob" for t in tables["value"])
            publisher = {"uniquename": "p", "friendlyname": "P", "customizationprefix": "ino",
                         "customizationoptionvalueprefix": 10000}  # fmt: skip
            assert (await http.post(f"{api}/publishers", json=publisher)).status_code == 204
            column = {"@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata", "SchemaName": "ino_AccountingId",
                      "MaxLength": 50}  # fmt: skip
            assert (await http.post(f"{account}/Attributes", json=column)).status_code == 204
        finally:
            await http.aclose()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(15)
    process, info = _start(args)
    try:
        http, api = await _crm(info)
        try:
            url = f"{api}/EntityDefinitions(LogicalName='account')/Attributes(LogicalName='ino_accountingid')"
            assert (await http.get(url)).json()["MaxLength"] == 50
        finally:
            await http.aclose()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(15)
