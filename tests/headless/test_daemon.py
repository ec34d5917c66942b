"""The run loop against fakes: lease, signals, shutdown budget, control requests, --once exit codes."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.vocabulary import (
    CONNECTIONS_CURSOR,
    SERVICES_CURSOR,
    ConnectionState,
    RequestTallies,
    System,
)
from inolink_tui.headless.alerts import Alert, AlertManager, AlertPolicy
from inolink_tui.headless.daemon import (
    EXIT_CONFIG,
    EXIT_JOB_ERRORS,
    EXIT_LEASE_HELD,
    EXIT_OK,
    KNOWN_ERRORS_CURSOR,
    Daemon,
    DaemonOptions,
    describe,
)
from inolink_tui.headless.once import run_once
from inolink_tui.headless.ports import ConnectionHealth, HeadlessEvent
from inolink_tui.store.base import ControlRequest, SchedulerLease
from tests.headless.fakes import FakeEngine, FakeStore, job_event

pytestmark = pytest.mark.timeout(30)


def _options(**kw: object) -> DaemonOptions:
    values: dict[str, object] = {
        "holder": "host-a:100",
        "pid": 100,
        "lease_ttl": 3.0,
        "shutdown_grace": 3.0,
        "refresh_interval": 0.05,
        "request_poll": 0.02,
        "services_poll": 0.02,
    }
    values.update(kw)
    return DaemonOptions(**values)  # type: ignore[arg-type]


def _events(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", None) == name]


async def _until(predicate: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


class RecordingSender:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    async def send(self, alert: Alert) -> None:
        self.alerts.append(alert)


async def test_sigterm_stops_the_engine_releases_the_lease_and_exits_0(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    engine, store = FakeEngine(), FakeStore()
    daemon = Daemon(engine, store, _options())
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    assert store.lease is not None and store.lease.holder == "host-a:100"
    started = time.monotonic()
    os.kill(os.getpid(), signal.SIGTERM)
    code = await asyncio.wait_for(task, 10)
    assert code == EXIT_OK
    assert time.monotonic() - started < 2
    assert engine.stopped
    assert store.lease is None and store.released == ["host-a:100"]
    assert _events(caplog, "shutdown")[0].fields["reason"] == "SIGTERM"  # type: ignore[attr-defined]
    # the handlers are gone: a later SIGINT would be Python's KeyboardInterrupt again, not ours
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


async def test_a_second_daemon_refuses_and_names_the_holder(caplog: pytest.LogCaptureFixture) -> None:
    store = FakeStore(lease=SchedulerLease("host-b:4242", 4242, utcnow() + timedelta(seconds=30)))
    engine = FakeEngine()
    code = await Daemon(engine, store, _options(), store_label="/data/jobs.db").run()
    assert code == EXIT_LEASE_HELD
    assert not engine.started.is_set()
    (refusal,) = _events(caplog, "scheduler_lease_held")
    message = refusal.getMessage()
    assert "host-b:4242" in message and "pid 4242" in message and "/data/jobs.db" in message
    assert "attach" in message
    assert store.lease is not None and store.lease.holder == "host-b:4242"  # untouched


async def test_an_expired_lease_of_a_crashed_daemon_is_taken_over() -> None:
    store = FakeStore(lease=SchedulerLease("host-b:4242", 4242, utcnow() - timedelta(seconds=1)))
    engine = FakeEngine()
    daemon = Daemon(engine, store, _options())
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    assert store.lease is not None and store.lease.holder == "host-a:100"
    daemon.request_stop("test")
    assert await task == EXIT_OK


async def test_a_slow_engine_stop_is_cut_off_within_the_budget(caplog: pytest.LogCaptureFixture) -> None:
    engine, store = FakeEngine(stop_seconds=60), FakeStore()
    daemon = Daemon(engine, store, _options(shutdown_grace=2.5))
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    started = time.monotonic()
    daemon.request_stop("SIGTERM")
    assert await asyncio.wait_for(task, 10) == EXIT_OK
    assert time.monotonic() - started < 2.5
    assert _events(caplog, "shutdown_timeout")
    assert store.lease is None


async def test_the_lease_is_renewed_and_losing_it_stops_the_daemon(caplog: pytest.LogCaptureFixture) -> None:
    engine, store = FakeEngine(), FakeStore()
    daemon = Daemon(engine, store, _options(lease_ttl=0.3))
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    await _until(lambda: store.acquire_calls >= 3)
    store.lease = SchedulerLease("host-c:7", 7, utcnow() + timedelta(seconds=60))
    assert await asyncio.wait_for(task, 5) == EXIT_LEASE_HELD
    assert engine.stopped
    assert "host-c:7" in _events(caplog, "scheduler_lease_lost")[0].getMessage()
    assert store.lease.holder == "host-c:7"  # we never release someone else's lease


async def test_console_requests_reach_the_engine(caplog: pytest.LogCaptureFixture) -> None:
    engine, store = FakeEngine(), FakeStore()
    daemon = Daemon(engine, store, _options())
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    now = utcnow()
    store.requests += [
        ControlRequest(1, now, "console:ann", "pause", {"service": "high_priority"}),
        ControlRequest(2, now, "console:ann", "sync-now", {"service": "crm_to_quickbooks"}),
        ControlRequest(3, now, "console:ann", "resume", {}),
        ControlRequest(4, now, "console:ann", "reboot", {}),
    ]
    await _until(lambda: len(engine.calls) == 3)
    await _until(lambda: '"paused": true' in store.cursors.get(SERVICES_CURSOR, ""))
    daemon.request_stop("test")
    await task
    (high, low) = json.loads(store.cursors[SERVICES_CURSOR])
    assert high == {
        "name": "high_priority",
        "enabled": True,
        "paused": True,
        "running": False,
        "last_run": None,
        "next_run": None,
    }
    assert low["enabled"] is False
    assert engine.calls == [("pause", "high_priority"), ("run_now", "crm_to_quickbooks"), ("resume", None)]
    assert _events(caplog, "request_ignored")[0].fields["kind"] == "reboot"  # type: ignore[attr-defined]


async def test_events_are_logged_and_alerted(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    engine, store = FakeEngine(), FakeStore()
    sender = RecordingSender()
    alerts = AlertManager(AlertPolicy(webhook_url="http://127.0.0.1:9/x"), [sender])
    daemon = Daemon(engine, store, _options(), alerts=alerts)
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    engine.publish(job_event(1, LinkStatus.ERROR, error_class="duplicate", error_code="6240", error_description="dup"))
    engine.publish(HeadlessEvent("cycle_finished", {"service": "high_priority", "duration_s": 0.5, "ok": True}))
    await _until(lambda: sender.alerts and _events(caplog, "cycle_finished"))
    daemon.request_stop("test")
    await task
    (err,) = _events(caplog, "job_changed")
    assert err.levelno == logging.WARNING and "6240" in str(err.fields)  # type: ignore[attr-defined]
    assert sender.alerts[0].title == "new error type: duplicate 6240"
    assert store.cursors[KNOWN_ERRORS_CURSOR] == '[["duplicate", "6240"]]'


async def test_error_types_already_known_before_a_restart_do_not_alert_again() -> None:
    engine = FakeEngine()
    store = FakeStore(cursors={KNOWN_ERRORS_CURSOR: '[["duplicate", "6240"]]'})
    sender = RecordingSender()
    alerts = AlertManager(AlertPolicy(webhook_url="http://127.0.0.1:9/x"), [sender])
    daemon = Daemon(engine, store, _options(), alerts=alerts)
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    engine.publish(job_event(1, LinkStatus.ERROR, error_class="duplicate", error_code="6240"))
    await _until(lambda: daemon.events_seen == 1)
    daemon.request_stop("test")
    await task
    assert sender.alerts == []


@pytest.mark.parametrize(
    ("events", "result", "expected"),
    [
        ([job_event(1, LinkStatus.SUCCESS)], False, EXIT_OK),
        ([job_event(1, LinkStatus.ERROR, error_class="validation")], False, EXIT_JOB_ERRORS),
        ([], True, EXIT_JOB_ERRORS),
        (
            [
                job_event(1, LinkStatus.ERROR, error_class="auth"),
                HeadlessEvent("auth_problem", {"service": "quickbooks", "message": "invalid_grant"}),
            ],
            True,
            EXIT_CONFIG,
        ),
    ],
)
async def test_once_exit_codes(events: list[HeadlessEvent], result: bool, expected: int) -> None:
    engine, store = FakeEngine(run_once_result=result), FakeStore()
    engine.once_events = events
    code = await run_once(Daemon(engine, store, _options()))
    assert code == expected
    assert store.lease is None


async def test_once_refuses_while_a_daemon_holds_the_lease() -> None:
    store = FakeStore(lease=SchedulerLease("host-b:1", 1, utcnow() + timedelta(seconds=30)))
    assert await run_once(Daemon(FakeEngine(), store, _options())) == EXIT_LEASE_HELD


@pytest.mark.parametrize(
    ("event", "level", "message"),
    [
        (
            HeadlessEvent("job_changed", {"job_id": 5, "link_status": None, "change": "claimed"}),
            logging.INFO,
            "job 5 claimed",
        ),
        (
            HeadlessEvent("job_created", {"job_id": 6, "entity_type": "Invoice", "record_name": "INV-1"}),
            logging.INFO,
            "job 6 Invoice 'INV-1' queued",
        ),
        (job_event(7, LinkStatus.SUCCESS), logging.INFO, "job 7 Account 'Customer 7' -> Success"),
        (
            job_event(8, LinkStatus.ERROR, error_description="Duplicate Name Exists Error"),
            logging.WARNING,
            "job 8 Account 'Customer 8' -> Error: Duplicate Name Exists Error",
        ),
        (
            HeadlessEvent("auth_problem", {"service": "quickbooks", "message": "invalid_grant"}),
            logging.ERROR,
            "authorisation problem with quickbooks: invalid_grant",
        ),
        (HeadlessEvent("service_paused", {"service": "high_priority"}), logging.INFO, "high_priority paused"),
        (HeadlessEvent("record_notice", {}), logging.INFO, "record notice"),
    ],
)
def test_each_event_gets_a_readable_line(event: HeadlessEvent, level: int, message: str) -> None:
    assert describe(event) == (level, message)


async def test_a_signal_during_once_stops_the_run_and_still_releases_everything() -> None:
    class Hanging(FakeEngine):
        async def run_once(self) -> bool:
            await asyncio.sleep(60)
            return False

    engine, store = Hanging(), FakeStore()
    daemon = Daemon(engine, store, _options())
    task = asyncio.create_task(run_once(daemon))
    await _until(lambda: store.lease is not None)
    started = time.monotonic()
    daemon.request_stop("SIGTERM")
    assert await asyncio.wait_for(task, 10) == 128 + signal.SIGTERM  # interrupted, not "no job ended in Error"
    assert time.monotonic() - started < 2
    assert engine.stopped and store.lease is None


async def test_token_health_is_published_for_attached_consoles() -> None:
    """An attached console (another process) shows each side's token health from what the daemon publishes; a
    revoked QuickBooks consent shows there as a problem, and request tallies are left out (they change constantly)."""
    engine, store = FakeEngine(), FakeStore()
    expiry = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    engine.health = [
        ConnectionHealth(ConnectionState(System.CRM, access_expires=expiry), RequestTallies(requests=10)),
        ConnectionHealth(
            ConnectionState(System.QUICKBOOKS, refresh_expires=expiry, problem="invalid_grant: reconnect")
        ),
    ]
    daemon = Daemon(engine, store, _options())
    task = asyncio.create_task(daemon.run())
    await _until(lambda: CONNECTIONS_CURSOR in store.cursors)
    daemon.request_stop("test")
    await task
    crm, qbo = json.loads(store.cursors[CONNECTIONS_CURSOR])
    assert crm == {
        "name": "Dynamics 365",
        "connected": True,
        "problem": None,
        "access_expires": expiry.isoformat(),
        "refresh_expires": None,
    }
    assert qbo["problem"] == "invalid_grant: reconnect" and qbo["refresh_expires"] == expiry.isoformat()
