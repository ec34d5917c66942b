"""The daemon as a real OS process on a real SQLite store: SIGTERM mid-work, restart, nothing lost or doubled.

The engine inside is `tests.headless.store_engine` (real claims, leases and completions in the
store); the tests against the real engine and the sandbox are in test_sandbox_daemon.py.
"""

from __future__ import annotations

import asyncio
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

from inolink_tui.domain.enums import EntityType, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.store import open_store
from tests.headless.servers import WebhookReceiver
from tests.headless.store_engine import SECRET

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _seed(db: Path, names: list[str]) -> None:
    store = await open_store(db)
    try:
        jobs = [NewJob(EntityType.ACCOUNT, Source.CRM, f"crm-{i}", name, "123") for i, name in enumerate(names)]
        await store.enqueue(jobs)
    finally:
        await store.close()


def _start(db: Path, *args: str, work_seconds: float = 0.15) -> subprocess.Popen[str]:
    env = {**os.environ, "STORE_ENGINE_WORK_SECONDS": str(work_seconds), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.headless.store_engine", str(db), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db, timeout=5)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _wait_for(predicate: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _stop(proc: subprocess.Popen[str], budget: float = 10.0) -> tuple[int, float, list[dict[str, object]], str]:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=budget + 5)
    elapsed = time.monotonic() - started
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    return proc.returncode, elapsed, lines, out + err


def test_sigterm_mid_work_then_restart_loses_and_doubles_nothing(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    asyncio.run(_seed(db, [f"Customer {i}" for i in range(40)]))
    port = _free_port()
    first = _start(db, "--metrics-port", str(port))
    try:
        # Stop it mid-job: after some work, at a moment a job is leased (between two jobs none is).
        _wait_for(
            lambda: _rows(
                db,
                "SELECT (SELECT count(*) FROM jobs WHERE link_status='Success') >= 5"
                " AND (SELECT count(*) FROM jobs WHERE lease_worker IS NOT NULL) >= 1",
            )[0][0],
            30,
            "work with a job in hand",
        )
        scrape = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        code, elapsed, lines, raw = _stop(first)
    assert code == 0, raw
    assert elapsed < 10, f"took {elapsed:.1f}s to stop"
    assert "inolink_jobs{" in scrape and 'inolink_api_requests_total{service="quickbooks"} 42.0' in scrape
    # every stdout line is a JSON event, none shows the configured secret
    assert SECRET not in raw
    events = [line["event"] for line in lines]
    assert {"starting", "scheduler_lease_acquired", "job_changed", "shutdown", "stopped"} <= set(events)
    assert events.index("shutdown") < events.index("scheduler_lease_released") < events.index("stopped")
    assert any("***" in str(line["message"]) for line in lines if line["logger"] == "tests.store_engine")
    # nothing left leased by the dead process, and the scheduler lease is free
    assert _rows(db, "SELECT count(*) FROM jobs WHERE lease_until IS NOT NULL")[0][0] == 0
    assert _rows(db, "SELECT count(*) FROM scheduler_lease")[0][0] == 0
    done_first = _rows(db, "SELECT count(*) FROM jobs WHERE link_status='Success'")[0][0]
    assert 0 < done_first < 40

    second = _start(db, work_seconds=0.01)
    try:
        _wait_for(lambda: _rows(db, "SELECT count(*) FROM jobs WHERE link_status='Success'")[0][0] == 40, 30, "all")
    finally:
        code, elapsed, _, raw = _stop(second)
    assert code == 0, raw
    assert _rows(db, "SELECT count(*), sum(processed_count), count(DISTINCT crm_record_id) FROM jobs") == [(40, 40, 40)]
    assert _rows(db, "SELECT count(*) FROM attempts WHERE outcome = 'success'") == [(40,)]


def test_a_second_daemon_refuses_and_names_the_first(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    asyncio.run(_seed(db, ["Customer 1"]))
    first = _start(db)
    try:
        _wait_for(lambda: _rows(db, "SELECT count(*) FROM scheduler_lease")[0][0] == 1, 30, "the first lease")
        second = _start(db)
        out, _ = second.communicate(timeout=30)
        assert second.returncode == 3
        refusal = [json.loads(line) for line in out.splitlines() if '"scheduler_lease_held"' in line]
        assert refusal and f"pid {first.pid}" in str(refusal[0]["message"])
        assert refusal[0]["fields"]["pid"] == first.pid  # type: ignore[index]
    finally:
        code, *_ = _stop(first)
    assert code == 0


@pytest.mark.parametrize(("names", "expected"), [(["a", "b"], 0), (["a", "fail b"], 1)])
def test_once_exit_status_and_an_alert_to_a_local_webhook(tmp_path: Path, names: list[str], expected: int) -> None:
    db = tmp_path / "jobs.db"
    asyncio.run(_seed(db, names))
    with WebhookReceiver() as hook:
        proc = _start(db, "--once", "--webhook", hook.url, work_seconds=0.01)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == expected, out + err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["event"] for line in lines][-2:] == ["stopped", "once_finished"]
    assert lines[-1]["fields"]["exit_code"] == expected  # type: ignore[index]
    assert hook.url not in out  # the webhook URL embeds its token: it is a secret too
    if expected:
        (body,) = hook.bodies
        assert "new error type: validation 2500" in str(body["text"])
    else:
        assert hook.bodies == []
    assert _rows(db, "SELECT count(*) FROM jobs WHERE link_status = 'Queued'") == [(0,)]


def test_the_cli_entry_runs_the_daemon_with_text_logs(tmp_path: Path) -> None:
    """`inolink-tui --db X --no-ui --log-format text --metrics-port N`, the way systemd starts it."""
    db = tmp_path / "jobs.db"
    asyncio.run(_seed(db, ["Customer 1", "Customer 2"]))
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "INOLINK_ENGINE_FACTORY": "tests.headless.store_engine:build_engine",
        "INOLINK_QBO_CLIENT_SECRET": "env-qbo-secret-987",
        "STORE_ENGINE_WORK_SECONDS": "0.01",
    }
    cmd = [sys.executable, "-m", "inolink_tui", "--db", str(db), "--no-ui", "--log-format", "text"]
    proc = subprocess.Popen(
        [*cmd, "--metrics-port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(lambda: _rows(db, "SELECT count(*) FROM jobs WHERE link_status='Success'")[0][0] == 2, 30, "work")
        scrape = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, out + err
    assert 'inolink_jobs_processed_total{entity_type="Account",link_status="Success",source="CRM"} 2.0' in scrape
    assert "env-qbo-secret-987" not in out + err
    assert "factory saw secret ***" in out
    lines = out.splitlines()
    assert any(" job_changed job " in line for line in lines)
    assert not any(line.startswith("{") for line in lines)  # text, not JSON
