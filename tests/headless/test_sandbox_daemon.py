"""The issue's "done when", end to end: the real CLI, the real engine, a standalone sandbox.

`inolink-tui sandbox serve --write-config s.toml` in one process, `inolink-tui --config s.toml --no-ui
--metrics-port N` in another: JSON lines on stdout, metrics served, SIGTERM mid-cycle -> exit 0 within 10 s,
a restart with `--once` finishes the work, and no job is lost, left leased, or doubled.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

_NEEDED = {
    "inolink_tui.engine.runtime": "the engine",
    "inolink_tui.engine.factory": "the engine factory the daemon builds the engine with",
    "inolink_tui.sandbox.server": "the sandbox server",
    "inolink_tui.cli.sandbox_cmd": "`inolink-tui sandbox serve`",
    "inolink_tui.config.load": "the config loader",
}


def _missing() -> list[str]:
    out = []
    for module, what in _NEEDED.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            out.append(f"{what} ({module})")
    return out


pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(bool(_missing()), reason="not merged yet: " + ", ".join(_missing())),
]

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "inolink_tui"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=5)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


async def _post(db: Path, kind: str, args: dict[str, object]) -> None:
    from inolink_tui.store import open_store

    store = await open_store(db)
    try:
        await store.post_request("console:test", kind, args)
    finally:
        await store.close()


def _secrets(config: Path) -> list[str]:
    from inolink_tui.config.load import load_settings_or_exit

    settings = load_settings_or_exit(config)
    secrets = list(settings.secret_values())
    token_file = Path(settings.quickbooks.token_file)
    if token_file.exists():  # the OAuth tokens the sandbox issued, as rotated by the run
        for entry in json.loads(token_file.read_text()).values():
            secrets += [entry[k] for k in ("access_token", "refresh_token") if entry.get(k)]
    return secrets


def test_daemon_against_a_standalone_sandbox(tmp_path: Path) -> None:
    config, db = tmp_path / "s.toml", tmp_path / "jobs.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(tmp_path / "data")}
    sandbox = subprocess.Popen(
        [*CLI, "sandbox", "serve", "--write-config", str(config), "--records", "20", "--port", str(_free_port())],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(config.exists, 60, "the sandbox config")
        time.sleep(0.5)
        metrics_port = _free_port()
        daemon_cmd = [*CLI, "--config", str(config), "--db", str(db), "--no-ui", "--metrics-port", str(metrics_port)]
        daemon = subprocess.Popen(
            daemon_cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            _wait(lambda: _count(db, "SELECT count(*) FROM scheduler_lease") == 1, 60, "the daemon to start")
            # Services run on their schedule; ask for a run now the way an attached console does.
            asyncio.run(_post(db, "sync-now", {"service": "crm_to_quickbooks"}))
            _wait(lambda: _count(db, "SELECT count(*) FROM jobs") > 0, 90, "the first jobs")
            _wait(lambda: _count(db, "SELECT count(*) FROM jobs WHERE link_status != 'Queued'") > 0, 90, "progress")
            url = f"http://127.0.0.1:{metrics_port}/metrics"
            token_gauge = 'inolink_token_expiry_timestamp_seconds{service="quickbooks",token="refresh"}'
            # store counts and connection state are snapshotted every few seconds, not per scrape
            _wait(lambda: token_gauge in httpx.get(url, timeout=5).text, 20, "the token expiry gauge")
            scrape = httpx.get(url, timeout=5).text
        finally:
            started = time.monotonic()
            daemon.send_signal(signal.SIGTERM)
            out, err = daemon.communicate(timeout=30)
            elapsed = time.monotonic() - started
        assert daemon.returncode == 0, err[-3000:]
        assert elapsed < 10, f"stopped in {elapsed:.1f}s"
        assert "inolink_jobs{" in scrape and "inolink_cycle_duration_seconds" in scrape
        for family in ("inolink_api_requests_total", "inolink_api_throttled_total", "inolink_api_retries_total"):
            assert f'{family}{{service="quickbooks"}}' in scrape and f'{family}{{service="crm"}}' in scrape
        lines = [json.loads(line) for line in out.splitlines() if line.strip()]
        assert {"starting", "scheduler_lease_acquired", "shutdown", "stopped"} <= {line["event"] for line in lines}
        for secret in _secrets(config):
            assert secret not in out and secret not in err
        assert _count(db, "SELECT count(*) FROM jobs WHERE lease_until IS NOT NULL") == 0

        once = subprocess.run(
            [*CLI, "--config", str(config), "--db", str(db), "--once"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=150,
        )
        assert once.returncode in (0, 1), once.stdout[-3000:] + once.stderr[-3000:]
        now_us = int(time.time() * 1_000_000)
        due = f"SELECT count(*) FROM jobs WHERE link_status = 'Queued' AND next_attempt_at <= {now_us}"
        assert _count(db, due) == 0  # nothing was left behind: every due job was worked
        assert _count(db, "SELECT count(*) FROM jobs WHERE link_status = 'Success'") > 0
        assert _count(db, "SELECT count(*) FROM jobs WHERE lease_until IS NOT NULL") == 0
        doubled = (
            "SELECT count(*) FROM (SELECT record_key FROM jobs WHERE link_status = 'Success' "
            "AND entity_type IN ('Quote', 'Order', 'Invoice') GROUP BY record_key, source HAVING count(*) > 1)"
        )
        assert _count(db, doubled) == 0  # a transaction is pushed once
    finally:
        sandbox.send_signal(signal.SIGTERM)
        try:
            sandbox.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            sandbox.kill()
            sandbox.communicate()


def test_live_daemon_reads_cdc_when_the_sandbox_sends_a_signed_webhook(tmp_path: Path) -> None:
    """The README's commands: `sandbox serve --write-config s.toml --webhook-url URL` and
    `--no-ui --webhook-port PORT` (the written config is in live mode and carries the verifier token)."""
    config, db = tmp_path / "s.toml", tmp_path / "jobs.db"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_DATA_HOME": str(tmp_path / "data")}
    hook_port = _free_port()
    hook_url = f"http://127.0.0.1:{hook_port}/quickbooks/webhooks"
    sandbox = subprocess.Popen(
        [*CLI, "sandbox", "serve", "--write-config", str(config), "--records", "8", "--webhook-url", hook_url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait(config.exists, 60, "the sandbox config")
        time.sleep(0.5)
        assert 'mode = "live"' in config.read_text()
        with config.open("a") as handle:  # every day, all day: the test must not depend on the weekday or the hour
            handle.write('\n[services.crm_to_quickbooks]\ndays = ["Mon-Sun"]\n')
            handle.write('\n[services.high_priority]\nstart = "00:00"\nend = "23:59"\n')
        daemon = subprocess.Popen(
            [*CLI, "--config", str(config), "--db", str(db), "--no-ui", "--webhook-port", str(hook_port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # No sync-now: live mode links what the seed promoted by itself, and each QuickBooks write it makes
            # comes back as a signed notification that triggers a CDC read.
            _wait(lambda: _count(db, "SELECT count(*) FROM jobs WHERE link_status = 'Success'") > 0, 90, "Success")
            time.sleep(3)
        finally:
            daemon.send_signal(signal.SIGTERM)
            out, err = daemon.communicate(timeout=30)
        assert daemon.returncode == 0, err[-3000:]
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        names = [e["event"] for e in events]
        assert "webhook_started" in names and "webhook_received" in names, names
        assert "webhook_rejected" not in names
        for secret in _secrets(config):
            assert secret not in out and secret not in err
    finally:
        sandbox.send_signal(signal.SIGTERM)
        try:
            sandbox.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            sandbox.kill()
            sandbox.communicate()
