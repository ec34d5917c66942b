"""`inolink-tui auth`: the redirect parsing, `auth check` in-process, and both commands end to end over HTTP."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import tomli_w
from click.testing import CliRunner

from inolink_tui.cli.auth_cmd import RedirectError, parse_redirect
from inolink_tui.cli.main import cli

HAVE_ALL = all(
    importlib.util.find_spec(m) is not None
    for m in ("inolink_tui.sandbox.server", "inolink_tui.store.tokens", "inolink_tui.config.model")
)
needs_all = pytest.mark.skipif(not HAVE_ALL, reason="sandbox, token store or config not merged yet")


def test_parse_redirect_accepts_the_right_state_only() -> None:
    url = "http://localhost:8765/callback?code=abc&state=s1&realmId=42"
    assert parse_redirect(url, "s1") == ("abc", "42")
    assert parse_redirect(f"  {url}\n", "s1") == ("abc", "42")
    with pytest.raises(RedirectError, match="state"):
        parse_redirect(url, "other")
    with pytest.raises(RedirectError, match="no authorization code"):
        parse_redirect("http://localhost:8765/callback?state=s1", "s1")
    with pytest.raises(RedirectError, match="access_denied"):
        parse_redirect("http://localhost:8765/callback?error=access_denied&state=s1", "s1")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_config(handle: Any, folder: Path, **quickbooks: Any) -> Path:
    from inolink_tui.sandbox.config_writer import write_config

    path = folder / "sandbox.toml"
    document = write_config(path, handle.info())
    if quickbooks:
        document["quickbooks"].update(quickbooks)
        path.write_bytes(tomli_w.dumps(document).encode())
    return path


async def _invoke(*args: str, stdin: str | None = None) -> Any:
    """Run the CLI in a thread: it calls asyncio.run itself, while the sandbox runs in this loop."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), input=stdin, catch_exceptions=False)


@needs_all
@pytest.mark.timeout(60)
async def test_auth_check_succeeds_and_prints_expiries(tmp_path: Path) -> None:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(SandboxOptions(records=12)) as handle:
        config = _write_config(handle, tmp_path)
        result = await _invoke("--config", str(config), "auth", "check")
        assert result.exit_code == 0, result.output
        assert "Dynamics 365: OK" in result.output and "QuickBooks: OK" in result.output
        assert result.output.count("access token valid until") == 2
        assert "refresh token valid until" in result.output
        tokens = json.loads((tmp_path / "tokens.json").read_text())
        saved = tokens[f"quickbooks:{handle.realm_id}"]
        assert saved["access_token"] and saved["refresh_expires_at"] and saved["refresh_hard_expires_at"]
        assert "consent ends (hard limit)" in result.output
        assert (tmp_path / "tokens.json").stat().st_mode & 0o777 == 0o600
        again = await _invoke("--config", str(config), "auth", "check", "--json")  # reuses the saved access token
        assert again.exit_code == 0
        body = json.loads(again.output)
        assert body["QuickBooks"]["ok"] and body["Dynamics 365"]["ok"]
        assert body["Dynamics 365"]["access_expires_at"]  # read from the Dataverse token provider
        assert json.loads((tmp_path / "tokens.json").read_text())[f"quickbooks:{handle.realm_id}"] == saved


@needs_all
@pytest.mark.timeout(60)
async def test_auth_check_exits_2_naming_what_failed(tmp_path: Path) -> None:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(SandboxOptions(records=12)) as handle:
        config = _write_config(handle, tmp_path)
        text = config.read_text().replace(handle.info()["crm_client_secret"], "wrong-secret")
        config.write_text(text)
        async with httpx.AsyncClient(base_url=handle.base_url) as control:
            await control.post("/_sandbox/intuit/revoke", json={})
        result = await _invoke("--config", str(config), "auth", "check")
        assert result.exit_code == 2
        assert "Dynamics 365: FAILED: The CRM client secret is wrong" in result.output
        assert "QuickBooks: FAILED: Re-authorize QuickBooks" in result.output


def _read_line(proc: subprocess.Popen[str], needle: str, timeout: float = 20) -> str:
    """Next stdout line containing `needle` (a thread reads, so buffered lines are never missed)."""
    lines: queue.Queue[str] = _LINES.setdefault(id(proc), _start_reader(proc))
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if needle in line:
            return line
    raise AssertionError(f"no line with {needle!r} from {proc.args}")


_LINES: dict[int, queue.Queue[str]] = {}


def _start_reader(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _cli(*args: str, **kw: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "inolink_tui", *args], text=True, stdout=subprocess.PIPE, env=env, **kw
    )


@needs_all
@pytest.mark.timeout(90)
def test_done_criterion_serve_write_config_then_auth_check(tmp_path: Path) -> None:
    """`sandbox serve --write-config` -> `--config that.toml auth check` exits 0 with both expiries."""
    config = tmp_path / "s.toml"
    server = _cli(
        "sandbox", "serve", "--port", "0", "--records", "12", "--write-config", str(config), stderr=subprocess.DEVNULL
    )
    try:
        json.loads(_read_line(server, "crm_url"))
        check = subprocess.run(
            [sys.executable, "-m", "inolink_tui", "--config", str(config), "auth", "check"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        assert check.stdout.count("access token valid until") == 2, check.stdout
        assert "refresh token valid until" in check.stdout
    finally:
        server.terminate()
        server.wait(10)


@needs_all
@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["paste", "listen"])
async def test_auth_quickbooks_saves_new_tokens(tmp_path: Path, mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import urlencode

    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    monkeypatch.setattr("inolink_tui.cli.auth_cmd.secrets.token_urlsafe", lambda n: "fixed-state")
    async with run_sandbox(SandboxOptions(records=12)) as handle:
        info = handle.info()
        redirect = f"http://127.0.0.1:{_free_port()}/callback"
        config = _write_config(handle, tmp_path, redirect_uri=redirect)
        key = f"quickbooks:{info['realm_id']}"
        before = json.loads((tmp_path / "tokens.json").read_text())[key]
        query = {
            "client_id": info["qbo_client_id"],
            "response_type": "code",
            "scope": "com.intuit.quickbooks.accounting",
            "redirect_uri": redirect,
            "state": "fixed-state",
        }
        authorize = f"{handle.base_url}/connect/oauth2?{urlencode(query)}"
        args = ["--config", str(config), "auth", "quickbooks", "--timeout", "20"]
        async with httpx.AsyncClient(timeout=10) as browser:
            if mode == "paste":
                answer = await browser.get(authorize)
                assert answer.status_code in (302, 303, 307)
                result = await _invoke(*args, "--no-listen", stdin=answer.headers["Location"] + "\n")
            else:
                command = asyncio.create_task(_invoke(*args, stdin=""))
                for _ in range(200):  # the listener comes up once the URL is printed
                    try:
                        page = await browser.get(authorize, follow_redirects=True)
                        break
                    except httpx.ConnectError:
                        await asyncio.sleep(0.05)
                assert "QuickBooks is connected" in page.text
                result = await command
        assert result.exit_code == 0, result.output
        assert "/connect/oauth2?" in result.output and "state=fixed-state" in result.output
        assert "Saved the QuickBooks tokens" in result.output and str(tmp_path / "tokens.json") in result.output
        after = json.loads((tmp_path / "tokens.json").read_text())[key]
        assert after["refresh_token"] != before["refresh_token"]
        check = await _invoke("--config", str(config), "auth", "check")
        assert check.exit_code == 0, check.output


@needs_all
@pytest.mark.timeout(60)
async def test_auth_quickbooks_refuses_a_forged_redirect(tmp_path: Path) -> None:
    from inolink_tui.sandbox.options import SandboxOptions
    from inolink_tui.sandbox.server import run_sandbox

    async with run_sandbox(SandboxOptions(records=12)) as handle:
        config = _write_config(handle, tmp_path)
        forged = "http://localhost:8765/callback?code=stolen&state=not-yours&realmId=1"
        result = await _invoke("--config", str(config), "auth", "quickbooks", "--no-listen", stdin=forged + "\n")
        assert result.exit_code == 2
        assert "state in that URL does not match" in result.output
