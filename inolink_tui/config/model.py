"""The configuration schema: one pydantic model per TOML section.

Every model forbids unknown keys, because a misspelt key that is silently ignored leaves the
engine running on a default the operator thinks they changed. Models are strict about types for
the same reason (TOML is typed: `interval_minutes = "30"` is a mistake worth pointing at), with a
few deliberate exceptions where TOML's own types get in the way (a numeric `realm_id`, a TOML
local time for `start`).

Relative paths (`[store] path`, `[quickbooks] token_file`) are resolved against the directory of
the config file, passed as the validation context `{"base_dir": Path}` by the loader; the sandbox
writes configs whose database lives next to them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_serializer, field_validator

from inolink_tui.config.connections import (
    QBO_API_BASE_URL,
    QBO_DISCOVERY_URL,
    CrmSettings,
    QuickBooksSettings,
    missing_keys,
)
from inolink_tui.config.fields import (
    ALL_DAYS,
    APP_NAME,
    CRM_SECRET_ENV,
    MON_TO_SAT,
    QBO_SECRET_ENV,
    SECRET_ENV_VARS,
    SMTP_PASSWORD_ENV,
    ClockTime,
    ConfigPath,
    Days,
    Secret,
    Section,
    StorePath,
    Weekday,
    default_config_path,
    default_data_dir,
    default_store_path,
    default_token_file,
    describe_days,
    http_url,
    parse_weekday,
    to_enum,
)
from inolink_tui.config.product_units import ProductUnitKeys
from inolink_tui.config.schedule import (
    LowPrioritySchedule,
    ServiceSchedule,
    ServicesSettings,
    local_zone,
)
from inolink_tui.config.sync_policies import SyncPolicyKeys
from inolink_tui.domain.enums import DeadlockWin, JobView, NameMatching
from inolink_tui.domain.mapping.custom import LocatedMapping

__all__ = [
    "ALL_DAYS",
    "APP_NAME",
    "CRM_SECRET_ENV",
    "CRM_TO_QUICKBOOKS_MIN_RECOMMENDED",
    "HIGH_PRIORITY_MIN_RECOMMENDED",
    "MON_TO_SAT",
    "QBO_API_BASE_URL",
    "QBO_DISCOVERY_URL",
    "QBO_SECRET_ENV",
    "SECRET_ENV_VARS",
    "SMTP_PASSWORD_ENV",
    "AlertSettings",
    "ClockTime",
    "ConfigPath",
    "CrmSettings",
    "Days",
    "LowPrioritySchedule",
    "QuickBooksSettings",
    "Secret",
    "ServiceSchedule",
    "ServicesSettings",
    "Settings",
    "StorePath",
    "StoreSettings",
    "SyncSettings",
    "UiSettings",
    "Weekday",
    "default_config_path",
    "default_data_dir",
    "default_store_path",
    "default_token_file",
    "describe_days",
    "local_zone",
    "mask_url",
    "missing_keys",
    "parse_weekday",
]


HIGH_PRIORITY_MIN_RECOMMENDED = 15
"""InoLink's documented minimum poll interval (minutes) for the High Priority service."""
CRM_TO_QUICKBOOKS_MIN_RECOMMENDED = 30
"""InoLink's documented minimum poll interval (minutes) for the CRM to QuickBooks service."""


class SyncSettings(Section, SyncPolicyKeys, ProductUnitKeys):
    """[sync]: the per-company feature options of InoLink plus the engine's own knobs."""

    name_matching: Annotated[NameMatching, to_enum(NameMatching)] = NameMatching.EXACT
    deadlock_win: Annotated[DeadlockWin, to_enum(DeadlockWin)] = DeadlockWin.CRM
    auto_create_missing_customer: bool = True
    write_in_item: str = Field(default="Write-In", min_length=1)
    discount_item: str = Field(default="Discount", min_length=1)
    shipping_item: str = Field(default="Shipping", min_length=1)
    max_attempts: int = Field(default=5, ge=1, le=100)
    create_from_quickbooks: bool = True
    payments: bool = True
    """QuickBooks payments recorded in CRM with the invoices they paid (InoLink's Payments entity)."""
    invoice_status: bool = True
    """Linked CRM invoices show QuickBooks' status, amount paid, balance, due and last payment date."""
    workers: int = Field(default=10, ge=1, le=64)
    lease_seconds: float = Field(default=60.0, ge=5, le=3600)

    @field_serializer("name_matching", "deadlock_win")
    def _label(self, value: StrEnum) -> str:
        return value.value


class StoreSettings(Section):
    """[store]: where the Link Jobs live."""

    path: StorePath = Field(default_factory=default_store_path)
    success_retention_days: int = Field(default=90, ge=0, le=36_500)
    """Success jobs processed longer ago are purged by the daemon's hourly upkeep; 0 keeps them forever."""


class UiSettings(Section):
    """[ui]: the console."""

    theme: str = Field(default="ansi-dark", min_length=1)
    refresh_ms: int = Field(default=250, ge=50, le=60_000)
    confirm_bulk: bool = True
    default_view: Annotated[JobView, to_enum(JobView)] = JobView.ALL

    @field_serializer("default_view")
    def _label(self, value: JobView) -> str:
        return value.value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AlertSettings(Section):
    """[alerts]: where headless mode reports trouble, and how often."""

    webhook_url: str | None = None
    webhook_format: Literal["slack", "teams"] = "slack"
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: Secret = None
    smtp_starttls: bool = True
    email_from: str | None = None
    email_to: list[str] = Field(default_factory=list, validate_default=True)
    stale_queue_intervals: int = Field(default=3, ge=1)
    error_rate_threshold: float = Field(default=0.2, gt=0, le=1)
    min_interval_minutes: int = Field(default=60, ge=1)
    digest: bool = False

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: str | None) -> str | None:
        return http_url(value, "webhook URL")

    @field_validator("email_from")
    @classmethod
    def _from(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.match(value.strip()):
            raise ValueError(f"{value!r} is not an email address")
        return value.strip() if value else value

    @field_validator("email_to")
    @classmethod
    def _to(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for address in value:
            if not _EMAIL.match(address.strip()):
                raise ValueError(f"{address!r} is not an email address")
        if value and not info.data.get("smtp_host"):
            raise ValueError("needs smtp_host to send mail")
        if value and not info.data.get("email_from"):
            raise ValueError("needs email_from to send mail")
        if not value and info.data.get("smtp_host"):
            raise ValueError("smtp_host is set but there is nobody to mail: list at least one address")
        return [a.strip() for a in value]

    @property
    def email_enabled(self) -> bool:
        return bool(self.email_to and self.smtp_host and self.email_from)


class Settings(Section):
    """The whole configuration. Every section is optional: an empty file means InoLink's defaults."""

    crm: CrmSettings = Field(default_factory=CrmSettings)
    quickbooks: QuickBooksSettings = Field(default_factory=QuickBooksSettings)
    services: ServicesSettings = Field(default_factory=ServicesSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    mapping: tuple[LocatedMapping, ...] = Field(default=(), exclude=True)
    """[[mapping.<entity>]]: the custom field mappings, read with their TOML lines by config/mapping.py (the loader
    sets this; a `mapping` value given to the model directly is refused, see `_no_raw_mapping`)."""

    @field_validator("mapping", mode="before")
    @classmethod
    def _no_raw_mapping(cls, value: object) -> object:
        raise ValueError("custom mappings are read by the config loader ([[mapping.<entity>]] tables)")

    def secret_values(self) -> list[str]:
        """Every configured secret, for log scrubbing (headless mode redacts them wherever they appear)."""
        q = self.quickbooks
        secrets = (self.crm.client_secret, q.client_secret, self.alerts.smtp_password, q.webhook_verifier_token)
        values = [s.get_secret_value() for s in secrets if s is not None and s.get_secret_value()]
        if self.alerts.webhook_url:  # Slack and Teams webhook URLs carry their credential in the path
            values.append(self.alerts.webhook_url)
        return values

    def warnings(self) -> list[str]:
        """Legal but unwise settings: below InoLink's recommended minimums, or a connection half set up."""
        notes: list[str] = []
        high = self.services.high_priority
        if high.enabled and high.interval_minutes < HIGH_PRIORITY_MIN_RECOMMENDED:
            notes.append(
                f"services.high_priority.interval_minutes = {high.interval_minutes}: InoLink recommends at least "
                f"{HIGH_PRIORITY_MIN_RECOMMENDED} (30 under moderate volume)"
            )
        crm_qb = self.services.crm_to_quickbooks
        if crm_qb.enabled and crm_qb.interval_minutes < CRM_TO_QUICKBOOKS_MIN_RECOMMENDED:
            notes.append(
                f"services.crm_to_quickbooks.interval_minutes = {crm_qb.interval_minutes}: InoLink recommends "
                f"at least {CRM_TO_QUICKBOOKS_MIN_RECOMMENDED}"
            )
        if not crm_qb.enabled:
            notes.append("services.crm_to_quickbooks is off: promoted records stay Queued")
        if self.quickbooks.minor_version < 75:
            notes.append("quickbooks.minor_version below 75 is ignored by Intuit since 2025-08-01")
        for name, section in (("crm", self.crm), ("quickbooks", self.quickbooks)):
            if not section.configured:
                notes.append(f"[{name}] is not fully configured: {', '.join(missing_keys(section))} not set")
        return notes


def mask_url(url: str) -> str:
    """Keep scheme and host of a credential-bearing URL (a webhook), hide the rest."""
    match = re.match(r"^(https?://[^/\s]+)", url)
    return f"{match.group(1)}/********" if match else "********"
