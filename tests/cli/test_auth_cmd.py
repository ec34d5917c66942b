"""`inolink-tui auth`: the redirect parsing, `auth check` in-process, and both commands end to end over HTTP."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import select
import socket
import subprocess
import sys
import time
import tomllib
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
        assert saved["access_token"] and saved["refresh_expires_at"]
        assert (tmp_path / "tokens.json").stat().st_mode & 0o777 == 0o600
        again = await _invoke("--config", str(config), "auth", "check", "--json")  # reuses the saved access token
        assert again.exit_code == 0
        body = json.loads(again.output)
        assert body["QuickBooks"]["ok"] and body["Dynamics 365"]["ok"]
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
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            line = proc.stdout.readline()
            if needle in line:
                return line
            if not line and proc.poll() is not None:
                break
    raise AssertionError(f"no line with {needle!r} from {proc.args}")


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
@pytest.mark.timeout(90)
@pytest.mark.parametrize("mode", ["paste", "listen"])
def test_auth_quickbooks_end_to_end(tmp_path: Path, mode: str) -> None:
    config = tmp_path / "s.toml"
    server = _cli(
        "sandbox", "serve", "--port", "0", "--records", "12", "--write-config", str(config), stderr=subprocess.DEVNULL
    )
    try:
        info = json.loads(_read_line(server, "crm_url"))
        redirect = f"http://127.0.0.1:{_free_port()}/callback"
        document = tomllib.loads(config.read_text())
        document["quickbooks"]["redirect_uri"] = redirect
        config.write_bytes(tomli_w.dumps(document).encode())
        before = json.loads((tmp_path / "tokens.json").read_text())
        args = ["--config", str(config), "auth", "quickbooks", "--timeout", "30"]
        if mode == "paste":
            args.append("--no-listen")
        login = _cli(*args, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            url = _read_line(login, "connect/oauth2").strip()
            assert "state=" in url and url.startswith(info["qbo_base_url"])
            if mode == "paste":
                answer = httpx.get(url, follow_redirects=False, timeout=10)
                assert answer.status_code in (302, 303, 307)
                assert login.stdin is not None
                login.stdin.write(answer.headers["Location"] + "\n")
                login.stdin.flush()
            else:
                _read_line(login, "Waiting for the redirect")
                page = httpx.get(url, follow_redirects=True, timeout=10)
                assert "QuickBooks is connected" in page.text
            out, err = login.communicate(timeout=30)
        finally:
            if login.poll() is None:
                login.kill()
        assert login.returncode == 0, out + err
        assert "Saved the QuickBooks tokens" in out and str(tmp_path / "tokens.json") in out
        after = json.loads((tmp_path / "tokens.json").read_text())
        key = f"quickbooks:{info['realm_id']}"
        assert after[key]["refresh_token"] != before[key]["refresh_token"]
        check = subprocess.run(
            [sys.executable, "-m", "inolink_tui", "--config", str(config), "auth", "check"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    finally:
        server.terminate()
        server.wait(10)
