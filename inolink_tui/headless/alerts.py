"""Alerts for people who are not watching the console: webhook (Slack, Teams) and email.

Rules: a new error type, an authorisation failure, a stale queue, an error rate over a threshold.
Each alert *type* goes out at most once per `min_interval` (an hour by default) so a failing night
sends a handful of messages, not thousands; what was held back is counted in the next message of
that type and in the optional hourly digest. A failed delivery is logged and never stops the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import utcnow
from inolink_tui.headless.ports import DaemonStore, HeadlessEvent, ServiceInfo
from inolink_tui.headless.settings_port import AlertsSection

if TYPE_CHECKING:
    from email.message import EmailMessage

    import httpx

log = logging.getLogger(__name__)

DIGEST_MAX_ITEMS = 20


class AlertType(StrEnum):
    NEW_ERROR_TYPE = "new_error_type"
    AUTH_FAILURE = "auth_failure"
    STALE_QUEUE = "stale_queue"
    ERROR_RATE = "error_rate"
    DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """The `[alerts]` section, as the headless side needs it (mapped from the config model)."""

    webhook_url: str | None = None
    webhook_format: str = "slack"
    """"slack" (`{"text": ...}`) or "teams" (an Office 365 connector MessageCard)."""
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    email_from: str | None = None
    email_to: tuple[str, ...] = ()
    stale_queue_intervals: int = 3
    """A Queued job older than this many service intervals makes the queue stale."""
    error_rate_threshold: float = 0.5
    """Fraction of jobs ending in Error (over the last hour, at least `error_rate_min_jobs`) that alerts."""
    error_rate_min_jobs: int = 10
    min_interval_minutes: int = 60
    digest: bool = False
    timeout_seconds: float = 10.0

    def __post_init__(self) -> None:
        if self.webhook_format not in ("slack", "teams"):
            raise ValueError(f"alerts.webhook_format must be slack or teams, not {self.webhook_format!r}")
        if not 0 < self.error_rate_threshold <= 1:
            raise ValueError("alerts.error_rate_threshold must be a fraction in (0, 1]")
        if self.stale_queue_intervals < 1:
            raise ValueError("alerts.stale_queue_intervals must be at least 1")
        if self.min_interval_minutes < 0:
            raise ValueError("alerts.min_interval_minutes cannot be negative")
        if self.smtp_host and not (self.email_from and self.email_to):
            raise ValueError("alerts.smtp_host is set but email_from or email_to is missing")

    @property
    def enabled(self) -> bool:
        return bool(self.webhook_url or self.smtp_host)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values the logs must never show: the password, and the webhook URL (it embeds its token)."""
        return tuple(s for s in (self.smtp_password, self.webhook_url) if s)

    @classmethod
    def from_config(cls, section: AlertsSection) -> AlertPolicy:
        """Map the config model's `[alerts]` section (pydantic, SecretStr password) onto this dataclass."""
        password = section.smtp_password.get_secret_value() if section.smtp_password is not None else None
        return cls(
            webhook_url=section.webhook_url or None,
            webhook_format=section.webhook_format,
            smtp_host=section.smtp_host,
            smtp_port=section.smtp_port,
            smtp_user=section.smtp_user,
            smtp_password=password or None,
            smtp_starttls=section.smtp_starttls,
            email_from=section.email_from,
            email_to=tuple(section.email_to),
            stale_queue_intervals=section.stale_queue_intervals,
            error_rate_threshold=section.error_rate_threshold,
            min_interval_minutes=section.min_interval_minutes,
            digest=section.digest,
        )


@dataclass(frozen=True, slots=True)
class Alert:
    type: AlertType
    title: str
    text: str
    at: datetime = field(default_factory=utcnow)
    held_back: int = 0
    """How many alerts of this type were held back since the last one sent."""

    def body(self) -> str:
        if self.held_back:
            return f"{self.text}\n({self.held_back} more {self.type.value} alert(s) held back since the last one.)"
        return self.text


class Sender(Protocol):
    async def send(self, alert: Alert) -> None: ...


class WebhookSender:
    """POSTs Slack-compatible `{"text": ...}` or a Teams MessageCard; both render in their clients."""

    def __init__(self, url: str, fmt: str = "slack", *, timeout: float = 10.0, client: httpx.AsyncClient | None = None):
        self.url = url
        self.fmt = fmt
        self._client = client
        self._timeout = timeout

    def payload(self, alert: Alert) -> dict[str, Any]:
        if self.fmt == "teams":
            return {
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": alert.title,
                "themeColor": "D70000" if alert.type is not AlertType.DIGEST else "0076D7",
                "title": f"inolink-tui: {alert.title}",
                "text": alert.body().replace("\n", "<br>"),
            }
        return {"text": f"*inolink-tui: {alert.title}*\n{alert.body()}"}

    async def send(self, alert: Alert) -> None:
        # Imported here: httpx costs about a second of start-up on a busy host, and most daemons
        # never send an alert.
        import httpx

        if self._client is not None:
            response = await self._client.post(self.url, json=self.payload(alert), timeout=self._timeout)
        else:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self.url, json=self.payload(alert))
        if response.status_code >= 400:
            raise AlertDeliveryError(f"webhook answered HTTP {response.status_code}")


class SmtpSender:
    """Plain SMTP with optional STARTTLS and login; smtplib blocks, so it runs in a thread."""

    def __init__(self, settings: AlertPolicy) -> None:
        if not (settings.smtp_host and settings.email_from and settings.email_to):
            raise ValueError("SMTP alerts need smtp_host, email_from and email_to")
        self.settings = settings

    def message(self, alert: Alert) -> EmailMessage:
        from email.message import EmailMessage  # here: most daemons send no email, and email + smtplib cost start-up

        msg = EmailMessage()
        msg["Subject"] = f"[inolink-tui] {alert.title}"
        msg["From"] = self.settings.email_from
        msg["To"] = ", ".join(self.settings.email_to)
        msg.set_content(alert.body())
        return msg

    def _send_blocking(self, msg: EmailMessage) -> None:
        import smtplib

        s = self.settings
        assert s.smtp_host is not None
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout_seconds) as smtp:
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password or "")
            smtp.send_message(msg)

    async def send(self, alert: Alert) -> None:
        await asyncio.to_thread(self._send_blocking, self.message(alert))


class AlertDeliveryError(Exception):
    """A channel refused or could not take an alert."""


def senders_for(settings: AlertPolicy) -> list[Sender]:
    out: list[Sender] = []
    if settings.webhook_url:
        out.append(WebhookSender(settings.webhook_url, settings.webhook_format, timeout=settings.timeout_seconds))
    if settings.smtp_host:
        out.append(SmtpSender(settings))
    return out


class AlertManager:
    """Turns events and periodic checks into alerts, throttled per type, and sends them."""

    def __init__(
        self,
        settings: AlertPolicy,
        senders: Sequence[Sender] | None = None,
        *,
        clock: Any = utcnow,
    ) -> None:
        self.settings = settings
        self.senders = list(senders) if senders is not None else senders_for(settings)
        self._clock = clock
        self._last_sent: dict[AlertType, datetime] = {}
        self._held: Counter[AlertType] = Counter()
        self._known_errors: set[tuple[str, str]] = set()
        self._outcomes: deque[tuple[datetime, bool]] = deque()
        self._digest_items: list[Alert] = []
        """The first alerts of the hour, for the digest's list (bounded: a bad hour can raise thousands)."""
        self._digest_raised: Counter[AlertType] = Counter()
        self._digest_outcomes: Counter[str] = Counter()
        self._digest_started = clock()
        self._pending: set[asyncio.Task[bool]] = set()

    @property
    def min_interval(self) -> timedelta:
        return timedelta(minutes=self.settings.min_interval_minutes)

    def seed_known_errors(self, keys: Iterable[tuple[str, str]]) -> None:
        """Error types already in the store when the daemon starts are not "new"."""
        self._known_errors.update(keys)

    # --- rules -----------------------------------------------------------------------------
    def observe(self, event: HeadlessEvent) -> list[Alert]:
        """Apply the event-driven rules; returns the alerts raised (sent or held back)."""
        f = event.fields
        raised: list[Alert] = []
        if event.name == "job_changed" and f.get("link_status") in (LinkStatus.SUCCESS.value, LinkStatus.ERROR.value):
            failed = f.get("link_status") == LinkStatus.ERROR.value
            self._digest_outcomes[str(f.get("link_status"))] += 1
            self._outcomes.append((event.at, failed))
            if failed:
                key = (str(f.get("error_class") or "unknown"), str(f.get("error_code") or ""))
                if key not in self._known_errors:
                    self._known_errors.add(key)
                    code = f" {key[1]}" if key[1] else ""
                    raised.append(
                        Alert(
                            AlertType.NEW_ERROR_TYPE,
                            f"new error type: {key[0]}{code}",
                            f"Job {f.get('job_id')} ({f.get('entity_type')}, Source {f.get('source')}) ended in "
                            f"Error: {f.get('error_description') or 'no description'}",
                            at=event.at,
                        )
                    )
            rate = self._error_rate(event.at)
            if rate is not None:
                raised.append(rate)
        elif event.name == "auth_problem":
            service = str(f.get("service", ""))
            hint = (
                "Re-authorize QuickBooks: run `inolink-tui auth quickbooks`."
                if "quickbooks" in service.lower() or "qbo" in service.lower()
                else "Check the Dynamics 365 app registration (client id, secret, application user)."
            )
            raised.append(
                Alert(
                    AlertType.AUTH_FAILURE,
                    f"authorisation failure: {service or 'unknown service'}",
                    f"{f.get('message') or 'The service refused our credentials.'}\n{hint}",
                    at=event.at,
                )
            )
        return raised

    def _error_rate(self, now: datetime) -> Alert | None:
        window_start = now - timedelta(hours=1)
        while self._outcomes and self._outcomes[0][0] < window_start:
            self._outcomes.popleft()
        total = len(self._outcomes)
        if total < self.settings.error_rate_min_jobs:
            return None
        errors = sum(1 for _, failed in self._outcomes if failed)
        rate = errors / total
        if rate < self.settings.error_rate_threshold:
            return None
        return Alert(
            AlertType.ERROR_RATE,
            f"error rate {rate:.0%} over the last hour",
            f"{errors} of the last {total} finished jobs ended in Error "
            f"(threshold {self.settings.error_rate_threshold:.0%}).",
            at=now,
        )

    async def check_stale_queue(
        self, store: DaemonStore, services: Sequence[ServiceInfo], *, now: datetime | None = None
    ) -> Alert | None:
        """The oldest Queued job against N x the longest enabled service interval.

        The longest interval is used because a Queued job may legitimately wait for its direction's
        next run; a job older than N of the slowest runs is stuck whichever service owns it.
        """
        now = now or self._clock()
        intervals = [s.interval for s in services if s.enabled]
        if not intervals:
            return None
        limit = max(intervals) * self.settings.stale_queue_intervals
        page = await store.page(
            JobFilter(statuses=(LinkStatus.QUEUED,)), JobSort("submitted_at", descending=False), limit=1, now=now
        )
        if not page.jobs:
            return None
        oldest = page.jobs[0]
        age = now - oldest.submitted_at
        if age <= limit:
            return None
        return Alert(
            AlertType.STALE_QUEUE,
            "stale queue",
            f"Job {oldest.id} ({oldest.entity_type.value}, Source {oldest.source.value}, {oldest.record_name!r}) "
            f"has been Queued since {oldest.submitted_at.isoformat()} ({_human(age)}), longer than "
            f"{self.settings.stale_queue_intervals} x {_human(max(intervals))}. If it is stuck, mark it as Error "
            "and requeue it.",
            at=now,
        )

    # --- throttling and delivery -----------------------------------------------------------
    def admit(self, alert: Alert) -> Alert | None:
        """At most one alert per type per interval; returns the alert to send, or None if held back."""
        if self.settings.digest and alert.type is not AlertType.DIGEST:
            self._digest_raised[alert.type] += 1
            if len(self._digest_items) < DIGEST_MAX_ITEMS:
                self._digest_items.append(alert)
        now = self._clock()
        last = self._last_sent.get(alert.type)
        if last is not None and now - last < self.min_interval:
            self._held[alert.type] += 1
            log.info(
                "alert held back: %s",
                alert.title,
                extra={"event": "alert_held", "fields": {"type": alert.type.value}},
            )
            return None
        self._last_sent[alert.type] = now
        held = self._held.pop(alert.type, 0)
        return Alert(alert.type, alert.title, alert.text, at=alert.at, held_back=held) if held else alert

    async def raise_alert(self, alert: Alert) -> bool:
        """Throttle then send on every channel; True when it went out (on at least one channel)."""
        admitted = self.admit(alert)
        if admitted is None:
            return False
        return await self.deliver(admitted)

    async def deliver(self, alert: Alert) -> bool:
        delivered = False
        for sender in self.senders:
            try:
                await sender.send(alert)
                delivered = True
            except Exception as exc:  # a broken channel must never stop the engine
                log.warning(
                    "alert %s not delivered by %s: %s",
                    alert.type.value,
                    type(sender).__name__,
                    exc,
                    extra={"event": "alert_failed", "fields": {"type": alert.type.value}},
                )
        if delivered:
            log.info(
                "alert sent: %s",
                alert.title,
                extra={"event": "alert_sent", "fields": {"type": alert.type.value, "held_back": alert.held_back}},
            )
        return delivered

    async def handle(self, event: HeadlessEvent) -> None:
        for alert in self.observe(event):
            await self.raise_alert(alert)

    def dispatch(self, event: HeadlessEvent) -> list[Alert]:
        """Apply the rules now and send in the background: a slow webhook must not hold up logs or metrics."""
        raised = self.observe(event)
        for alert in raised:
            task = asyncio.get_running_loop().create_task(self.raise_alert(alert))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
        return raised

    @property
    def known_errors(self) -> frozenset[tuple[str, str]]:
        """(error class, error code) pairs seen so far; the daemon keeps them across restarts."""
        return frozenset(self._known_errors)

    async def drain(self, seconds: float) -> None:
        """Wait (bounded) for alerts still being delivered, e.g. at shutdown."""
        if self._pending:
            await asyncio.wait(list(self._pending), timeout=seconds)

    def digest_due(self, now: datetime | None = None) -> Alert | None:
        """The hourly summary, if enabled, an hour has passed, and there is something to say."""
        now = now or self._clock()
        if not self.settings.digest or now - self._digest_started < timedelta(hours=1):
            return None
        items, raised, outcomes = self._digest_items, self._digest_raised, self._digest_outcomes
        self._digest_items, self._digest_raised, self._digest_outcomes = [], Counter(), Counter()
        self._digest_started = now
        if not raised and not outcomes:
            return None
        lines = [f"Jobs finished: {outcomes.get('Success', 0)} Success, {outcomes.get('Error', 0)} Error."]
        if raised:
            lines.append("Alerts: " + ", ".join(f"{n} {t.value}" for t, n in sorted(raised.items())) + ".")
        lines += [f"- {a.at.strftime('%H:%M')} {a.title}" for a in items]
        if sum(raised.values()) > len(items):
            lines.append(f"... and {sum(raised.values()) - len(items)} more.")
        return Alert(AlertType.DIGEST, "hourly digest", "\n".join(lines), at=now)


def _human(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds >= 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m"
    return f"{seconds}s"
