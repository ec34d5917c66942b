"""Alert rules, throttling and digest, and delivery to a local webhook and a local SMTP server."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.vocabulary import ServiceState
from inolink_tui.headless.alerts import (
    Alert,
    AlertManager,
    AlertPolicy,
    AlertType,
    SmtpSender,
    WebhookSender,
    senders_for,
)
from inolink_tui.headless.ports import HeadlessEvent, ServiceInfo
from tests.headless.fakes import FakeStore, job_event, make_job
from tests.headless.servers import SmtpReceiver, WebhookReceiver

pytestmark = pytest.mark.timeout(30)


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now


class RecordingSender:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    async def send(self, alert: Alert) -> None:
        self.alerts.append(alert)


def _manager(**settings: object) -> tuple[AlertManager, RecordingSender, Clock]:
    clock, sender = Clock(), RecordingSender()
    return AlertManager(AlertPolicy(**settings), [sender], clock=clock), sender, clock  # type: ignore[arg-type]


async def test_webhook_alert_is_received_by_a_local_server_in_slack_format() -> None:
    with WebhookReceiver() as hook:
        manager = AlertManager(AlertPolicy(webhook_url=hook.url, webhook_format="slack"))
        await manager.handle(job_event(9, LinkStatus.ERROR, error_class="validation", error_code="6000"))
        assert hook.bodies, "nothing reached the webhook"
    (body,) = hook.bodies
    assert set(body) == {"text"}
    assert "new error type: validation 6000" in body["text"]
    assert "Job 9" in body["text"]


async def test_teams_format_is_a_message_card() -> None:
    with WebhookReceiver() as hook:
        sender = WebhookSender(hook.url, "teams")
        await sender.send(Alert(AlertType.AUTH_FAILURE, "authorisation failure: quickbooks", "line 1\nline 2"))
    (body,) = hook.bodies
    assert body["@type"] == "MessageCard"
    assert body["@context"] == "https://schema.org/extensions"
    assert body["summary"] == "authorisation failure: quickbooks"
    assert body["text"] == "line 1<br>line 2"


async def test_a_refusing_webhook_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with WebhookReceiver(status=500) as hook:
        manager = AlertManager(AlertPolicy(webhook_url=hook.url))
        delivered = await manager.raise_alert(Alert(AlertType.STALE_QUEUE, "stale queue", "x"))
    assert delivered is False
    assert any("HTTP 500" in r.getMessage() for r in caplog.records)


async def test_email_alert_is_received_by_a_local_smtp_server() -> None:
    async with SmtpReceiver() as smtp:
        settings = AlertPolicy(
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_starttls=False,
            smtp_user="alerts",
            smtp_password="pw-123",
            email_from="inolink@example.test",
            email_to=("ops@example.test", "lead@example.test"),
        )
        (sender,) = senders_for(settings)
        assert isinstance(sender, SmtpSender)
        manager = AlertManager(settings)
        event = HeadlessEvent("auth_problem", {"service": "quickbooks", "message": "invalid_grant"})
        await manager.handle(event)
    (msg,) = smtp.messages
    assert msg["Subject"] == "[inolink-tui] authorisation failure: quickbooks"
    assert "Re-authorize QuickBooks" in msg.get_payload()
    assert smtp.envelopes == [("inolink@example.test", ["ops@example.test", "lead@example.test"])]
    assert smtp.logins == [("alerts", "pw-123")]


async def test_one_alert_per_type_per_hour_and_the_held_back_are_counted() -> None:
    manager, sender, clock = _manager(webhook_url="http://x")
    for i in range(5):
        await manager.handle(job_event(i, LinkStatus.ERROR, error_class="validation", error_code=str(6000 + i)))
        clock.now += timedelta(minutes=5)
    await manager.handle(HeadlessEvent("auth_problem", {"service": "crm"}, at=clock.now))
    assert [a.type for a in sender.alerts] == [AlertType.NEW_ERROR_TYPE, AlertType.AUTH_FAILURE]
    clock.now += timedelta(hours=1)
    await manager.handle(job_event(99, LinkStatus.ERROR, error_class="duplicate", error_code="6240"))
    assert len(sender.alerts) == 3
    assert sender.alerts[2].held_back == 4
    assert "4 more new_error_type" in sender.alerts[2].body()


async def test_known_error_types_do_not_alert_twice() -> None:
    manager, sender, _ = _manager(webhook_url="http://x", min_interval_minutes=0)
    for i in range(3):
        await manager.handle(job_event(i, LinkStatus.ERROR, error_class="duplicate", error_code="6240"))
    await manager.handle(job_event(5, LinkStatus.SUCCESS))
    assert len(sender.alerts) == 1
    assert manager.known_errors == {("duplicate", "6240")}


async def test_error_rate_over_the_threshold_alerts_once_enough_jobs_finished() -> None:
    manager, sender, _ = _manager(webhook_url="http://x", error_rate_threshold=0.5, error_rate_min_jobs=10)
    manager.seed_known_errors([("transient", "")])
    for i in range(9):
        await manager.handle(job_event(i, LinkStatus.ERROR if i % 2 else LinkStatus.SUCCESS, error_class="transient"))
    assert sender.alerts == []  # 9 jobs: below the minimum sample
    await manager.handle(job_event(10, LinkStatus.ERROR, error_class="transient"))
    (alert,) = sender.alerts
    assert alert.type is AlertType.ERROR_RATE
    assert "5 of the last 10" in alert.text


async def test_a_low_error_rate_does_not_alert() -> None:
    manager, sender, _ = _manager(webhook_url="http://x", error_rate_threshold=0.5, error_rate_min_jobs=4)
    manager.seed_known_errors([("transient", "")])
    for i in range(8):
        await manager.handle(job_event(i, LinkStatus.ERROR if i == 0 else LinkStatus.SUCCESS, error_class="transient"))
    assert sender.alerts == []


async def test_stale_queue_compares_the_oldest_queued_job_with_n_intervals() -> None:
    manager, _, clock = _manager(webhook_url="http://x", stale_queue_intervals=3)
    services = [
        ServiceInfo(ServiceState("high_priority"), timedelta(minutes=30)),
        ServiceInfo(ServiceState("x", enabled=False), timedelta(days=9)),
    ]
    store = FakeStore(
        jobs=[
            make_job(1, LinkStatus.QUEUED, submitted_at=clock.now - timedelta(minutes=80)),
            make_job(2, LinkStatus.ERROR, submitted_at=clock.now - timedelta(days=3)),
        ]
    )
    assert await manager.check_stale_queue(store, services) is None
    clock.now += timedelta(minutes=11)
    alert = await manager.check_stale_queue(store, services)
    assert alert is not None and alert.type is AlertType.STALE_QUEUE
    assert "Job 1" in alert.text and "3 x 30m" in alert.text
    assert await manager.check_stale_queue(FakeStore(), services) is None


async def test_hourly_digest_summarises_and_resets() -> None:
    manager, sender, clock = _manager(webhook_url="http://x", digest=True)
    await manager.handle(job_event(1, LinkStatus.SUCCESS))
    await manager.handle(job_event(2, LinkStatus.ERROR, error_class="validation"))
    await manager.handle(job_event(3, LinkStatus.ERROR, error_class="conflict"))
    assert manager.digest_due() is None
    clock.now += timedelta(hours=1, seconds=1)
    digest = manager.digest_due()
    assert digest is not None and digest.type is AlertType.DIGEST
    assert "1 Success, 2 Error" in digest.text
    assert "2 new_error_type" in digest.text
    clock.now += timedelta(hours=1, seconds=1)
    assert manager.digest_due() is None  # nothing happened in the second hour
    assert len(sender.alerts) == 1  # the second new error type was held back, but is in the digest


async def test_dispatch_does_not_wait_for_slow_channels() -> None:
    class Slow:
        def __init__(self) -> None:
            self.done = asyncio.Event()

        async def send(self, alert: Alert) -> None:
            await asyncio.sleep(0.2)
            self.done.set()

    slow = Slow()
    manager = AlertManager(AlertPolicy(webhook_url="http://x"), [slow])
    raised = manager.dispatch(HeadlessEvent("auth_problem", {"service": "quickbooks"}))
    assert [a.type for a in raised] == [AlertType.AUTH_FAILURE]
    assert not slow.done.is_set()
    await manager.drain(5)
    assert slow.done.is_set()


def test_settings_validate_and_hide_their_secrets() -> None:
    with pytest.raises(ValueError, match="slack or teams"):
        AlertPolicy(webhook_format="discord")
    with pytest.raises(ValueError, match="email_from or email_to"):
        AlertPolicy(smtp_host="mail")
    s = AlertPolicy(webhook_url="https://hooks/x", smtp_password="pw")
    assert set(s.secrets) == {"https://hooks/x", "pw"}


def test_from_config_maps_a_pydantic_section() -> None:
    from pydantic import BaseModel, SecretStr

    class Section(BaseModel):
        webhook_url: str | None = "https://hooks/x"
        webhook_format: str = "teams"
        smtp_host: str | None = "mail.test"
        smtp_port: int = 2525
        smtp_user: str | None = None
        smtp_password: SecretStr | None = SecretStr("pw")
        smtp_starttls: bool = False
        email_from: str | None = "a@test"
        email_to: list[str] = ["b@test"]
        stale_queue_intervals: int = 4
        error_rate_threshold: float = 0.25
        min_interval_minutes: int = 30
        digest: bool = True

    s = AlertPolicy.from_config(Section())
    assert s.smtp_password == "pw" and s.email_to == ("b@test",) and s.webhook_format == "teams"
    assert (s.smtp_port, s.stale_queue_intervals, s.min_interval_minutes, s.digest) == (2525, 4, 30, True)


async def test_a_bad_hour_keeps_the_digest_bounded() -> None:
    manager, _, clock = _manager(webhook_url="http://x", digest=True, error_rate_min_jobs=1000)
    for i in range(30):
        await manager.handle(job_event(i, LinkStatus.ERROR, error_class="validation", error_code=str(i)))
    clock.now += timedelta(hours=1, seconds=1)
    digest = manager.digest_due()
    assert digest is not None
    assert "30 new_error_type" in digest.text
    assert digest.text.count("\n- ") == 20 and digest.text.endswith("... and 10 more.")
