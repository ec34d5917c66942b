"""Every knob of the sandbox in one place, so the CLI, `--demo` and tests build it the same way.

Windows and limits are in *service seconds* (see `clock.py`); `time_scale` speeds them all up together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ThrottleBody = Literal["xml", "json"]
RequestIdMode = Literal["replay", "fault600"]


@dataclass(frozen=True)
class QboLimits:
    """QuickBooks Online's per-realm throttles (reference §10/§13.16); 0 disables a limit."""

    requests_per_minute: int = 500
    requests_per_second: int = 10
    max_concurrency: int = 10
    batch_per_minute: int = 120
    batch_max_items: int = 30
    reports_per_minute: int = 200
    """Reports endpoints: 200 a minute per realm (Intuit's throttling page as quoted in client issues, 2017,
    reference §10), on top of the general per-minute limit."""
    throttle_body: ThrottleBody = "xml"
    """The only captured 429 bodies are XML; "json" emits the derived JSON fault instead."""
    retry_after: bool = False
    """Real QBO sends no Retry-After; tests of well-behaved clients can switch it on."""
    latency_seconds: float = 0.0
    """Service seconds every request is held in flight, so the concurrency limit can be reached."""


@dataclass(frozen=True)
class IntuitPolicy:
    """How the Intuit OAuth server treats tokens; the defaults are the strictest reading of the docs."""

    access_token_seconds: int = 3600
    refresh_token_seconds: int = 8_726_400
    """Rolling lifetime reported as `x_refresh_token_expires_in` (about 101 days in captured samples)."""
    hard_expiry_seconds: int = 5 * 365 * 86_400
    """Five-year cap on a consent, reported only on the opt-in header."""
    old_refresh_grace_seconds: float = 0.0
    """How long a rotated-out refresh token keeps working: 0 means it dies at once."""
    refresh_rotation_seconds: float = 0.0
    """How old a refresh token must be before a refresh hands out a new value (Intuit: "roughly every 24
    hours"); younger ones come back unchanged with their expiry rolled. 0 rotates on every refresh."""
    auth_code_seconds: int = 600


@dataclass(frozen=True)
class SandboxOptions:
    host: str = "127.0.0.1"
    port: int = 0
    seed: int = 1
    records: int = 40
    """Size of the CRM side (accounts; contacts, products and transactions scale from it)."""
    time_scale: float = 1.0
    faults: str = "none"
    activity: float = 0.0
    """Simulated user events per minute (service time); 0 means a quiet company."""
    state_path: Path | None = None
    company_utc_offset_minutes: int = -420
    """QuickBooks prints MetaData times in the company's fixed offset (captures show -07:00)."""
    qbo_limits: QboLimits = field(default_factory=QboLimits)
    intuit: IntuitPolicy = field(default_factory=IntuitPolicy)
    requestid_mode: RequestIdMode = "replay"
    duplicate_docnumber_check: bool = False
    """QBO rejects a repeated DocNumber (6140) only when the company turned that preference on."""
    cdc_lookback_days: int = 30
    qbo_region: str = "US"
    """The QuickBooks company's region (US, CA, UK, AU): its tax model, tax codes and home currency."""
    qbo_multicurrency: bool = False
    """Multicurrency switched on (the QuickBooks UI alone can do it), with foreign-currency customers."""
    dataverse_requests_per_window: int = 6000
    dataverse_window_seconds: int = 300
    dataverse_max_concurrency: int = 52
    dataverse_execution_seconds: int = 1200
    bare_org: bool = False
    """Start Dataverse as a stock environment: standard tables only, no `ino_` schema, change tracking off."""
    webhook_url: str | None = None
    """Where QuickBooks webhook notifications go (signed with the verifier token); None sends none."""
    dataverse_key_index_seconds: float = 2.0
    """Service seconds an alternate key created through the API stays Pending/InProgress before Active."""

    def __post_init__(self) -> None:
        if self.time_scale <= 0:
            raise ValueError("time_scale must be positive")
        if self.records < 0:
            raise ValueError("records must not be negative")
        if self.activity < 0:
            raise ValueError("activity must not be negative")
        if self.dataverse_key_index_seconds < 0:
            raise ValueError("dataverse_key_index_seconds must not be negative")
        if self.qbo_region not in ("US", "CA", "UK", "AU"):
            raise ValueError("qbo_region must be one of US, CA, UK, AU")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")
