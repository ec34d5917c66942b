"""Issue 12 item 8: the `auth quickbooks` callback answers "connected" only to this login's redirect.

Before, any request on the redirect URI (a bare one, one with another login's state) got "QuickBooks is connected"
and ended the login. Now only the right `state` with a `code` and `realmId` succeeds; a bare or foreign request gets
an error page (HTTP 400) and the login keeps waiting; a declined authorization (`error=access_denied`) ends the
login with a clear message.
"""

from __future__ import annotations

import asyncio
import json
import queue
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.cli.test_auth_cmd import _free_port, _invoke, _write_config, needs_all

STATE = "fixed-state"


def _listener(results: queue.Queue[str]):  # type: ignore[no-untyped-def]
    from inolink_tui.cli.auth_cmd import _listen

    redirect = f"http://127.0.0.1:{_free_port()}/callback"
    server = _listen(redirect, results, STATE)  # type: ignore[call-arg]
    assert server is not None
    return server, redirect


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("code=abc&realmId=42", 400),
        ("code=abc&realmId=42&state=another-login", 400),
        ("code=abc&realmId=42&state=fixed-state-but-longer", 400),
        ("state=fixed-state", 400),
        ("state=fixed-state&realmId=42", 400),
        ("state=fixed-state&code=abc", 400),
        ("error=access_denied&state=other", 400),
        ("code=abc&realmId=42&state=%C3%A9t%C3%A9", 400),
    ],
    ids=["bare", "no state", "wrong state", "longer state", "state only", "no code", "no realm", "foreign error",
         "non-ascii state"],
)  # fmt: skip
def test_a_request_that_is_not_this_logins_redirect_gets_400_and_the_login_waits(query: str, status: int) -> None:
    results: queue.Queue[str] = queue.Queue()
    server, redirect = _listener(results)
    try:
        answer = httpx.get(f"{redirect}?{query}" if query else redirect, timeout=5)
        favicon = httpx.get(redirect.replace("/callback", "/favicon.ico"), timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == status
    assert "connected" not in answer.text.replace("not connected", "") and "still waiting" in answer.text
    assert favicon.status_code == 404
    assert results.empty(), "the login must keep waiting"


@pytest.mark.parametrize(
    ("query", "says"),
    [("code=abc&realmId=42&state=fixed-state", "QuickBooks is connected"),
     ("error=access_denied&state=fixed-state", "not connected (access_denied)")],
)  # fmt: skip
def test_the_right_redirect_ends_the_login(query: str, says: str) -> None:
    results: queue.Queue[str] = queue.Queue()
    server, redirect = _listener(results)
    try:
        answer = httpx.get(f"{redirect}?{query}", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert answer.status_code == 200 and says in answer.text
    assert results.get_nowait().endswith(query)


def test_a_declined_authorization_ends_with_a_clear_message() -> None:
    from inolink_tui.cli.auth_cmd import RedirectError, parse_redirect

    with pytest.raises(RedirectError, match="QuickBooks was not connected: you declined access"):
        parse_redirect("http://127.0.0.1:8765/callback?error=access_denied&state=fixed-state", STATE)


@needs_all
@pytest.mark.timeout(60)
async def test_the_login_survives_stray_requests_then_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    monkeypatch.setattr("inolink_tui.cli.auth_cmd.secrets.token_urlsafe", lambda n: STATE)
    async with run_sandbox(SandboxOptions(records=12)) as handle:
        info = handle.info()
        redirect = f"http://127.0.0.1:{_free_port()}/callback"
        config = _write_config(handle, tmp_path, redirect_uri=redirect)
        key = f"quickbooks:{info['realm_id']}"
        before = json.loads((tmp_path / "tokens.json").read_text())[key]
        query = {"client_id": info["qbo_client_id"], "response_type": "code", "redirect_uri": redirect,
                 "scope": "com.intuit.quickbooks.accounting", "state": STATE}  # fmt: skip
        command = asyncio.create_task(_invoke("--config", str(config), "auth", "quickbooks", "--timeout", "20"))
        async with httpx.AsyncClient(timeout=10) as browser:
            for _ in range(200):  # the listener comes up once the URL is printed
                try:
                    bare = await browser.get(redirect)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            forged = await browser.get(f"{redirect}?code=stolen&realmId=1&state=not-yours")
            assert (bare.status_code, forged.status_code) == (400, 400)
            assert not command.done(), "a stray request must not end the login"
            page = await browser.get(f"{handle.base_url}/connect/oauth2?{urlencode(query)}", follow_redirects=True)
            assert page.status_code == 200 and "QuickBooks is connected" in page.text
        result = await command
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "tokens.json").read_text())[key]["refresh_token"] != before["refresh_token"]


@needs_all
@pytest.mark.timeout(60)
async def test_a_declined_login_ends_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    monkeypatch.setattr("inolink_tui.cli.auth_cmd.secrets.token_urlsafe", lambda n: STATE)
    async with run_sandbox(SandboxOptions(records=12)) as handle:
        redirect = f"http://127.0.0.1:{_free_port()}/callback"
        config = _write_config(handle, tmp_path, redirect_uri=redirect)
        command = asyncio.create_task(_invoke("--config", str(config), "auth", "quickbooks", "--timeout", "20"))
        async with httpx.AsyncClient(timeout=10) as browser:
            for _ in range(200):
                try:
                    page = await browser.get(f"{redirect}?error=access_denied&state={STATE}")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
        result = await command
    assert page.status_code == 200 and "not connected" in page.text
    assert result.exit_code == 2
    assert "QuickBooks was not connected: you declined access" in result.output
