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

import difflib
import os
import re
from abc import abstractmethod
from datetime import UTC, datetime, time, timedelta, tzinfo
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from inolink_tui.config.checks import blank_is_missing, not_a_directory, realm_id, realm_number, store_file
from inolink_tui.config.crm_schema import CRM_SECTION_CONFIG, CrmSchemaSettings
from inolink_tui.config.sync_policies import SyncPolicyKeys
from inolink_tui.domain.enums import DeadlockWin, JobView, NameMatching

APP_NAME = "inolink-tui"

CRM_SECRET_ENV = "INOLINK_CRM_CLIENT_SECRET"
QBO_SECRET_ENV = "INOLINK_QBO_CLIENT_SECRET"
SMTP_PASSWORD_ENV = "INOLINK_SMTP_PASSWORD"

SECRET_ENV_VARS: dict[tuple[str, str], str] = {
    ("crm", "client_secret"): CRM_SECRET_ENV,
    ("quickbooks", "client_secret"): QBO_SECRET_ENV,
    ("alerts", "smtp_password"): SMTP_PASSWORD_ENV,
}
"""(section, key) of each secret -> the environment variable that overrides the file."""

QBO_API_BASE_URL: dict[str, str] = {
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
    "production": "https://quickbooks.api.intuit.com",
}
QBO_DISCOVERY_URL: dict[str, str] = {
    "sandbox": "https://developer.intuit.com/.well-known/openid_sandbox_configuration/",
    "production": "https://developer.intuit.com/.well-known/openid_configuration/",
}

HIGH_PRIORITY_MIN_RECOMMENDED = 15
"""InoLink's documented minimum poll interval (minutes) for the High Priority service."""
CRM_TO_QUICKBOOKS_MIN_RECOMMENDED = 30
"""InoLink's documented minimum poll interval (minutes) for the CRM to QuickBooks service."""


def default_data_dir() -> Path:
    """The XDG data dir, read at call time so XDG_DATA_HOME set after import still counts."""
    return platformdirs.user_data_path(APP_NAME)


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_store_path() -> Path:
    return default_data_dir() / "jobs.db"


def default_token_file() -> Path:
    return default_data_dir() / "tokens.json"


# --- reusable field types -------------------------------------------------------------------


def _to_path(value: Any, info: ValidationInfo) -> Any:
    """Expand `~` and resolve relative paths against the config file's directory."""
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be empty")
        value = Path(value)
    if isinstance(value, Path):
        value = value.expanduser()
        base = (info.context or {}).get("base_dir") if info.context else None
        if not value.is_absolute() and isinstance(base, Path):
            value = base / value
    return value


ConfigPath = Annotated[Path, BeforeValidator(_to_path)]
StorePath = Annotated[Path, BeforeValidator(_to_path), BeforeValidator(store_file), AfterValidator(not_a_directory)]
Secret = Annotated[SecretStr | None, BeforeValidator(blank_is_missing)]

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def _to_time(value: Any) -> Any:
    """Accept "HH:MM" (what the example documents) or a TOML local time (`08:00:00`)."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError('use a local time without a UTC offset, like "08:00"')
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if not match:
            raise ValueError(f'{value!r} is not a time like "08:00" (HH:MM, 24-hour)')
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise ValueError(f"{value!r} is not a time of day (00:00 to 23:59)")
        return time(hour, minute)
    raise ValueError(f'expected a time like "08:00", got {type(value).__name__}')


ClockTime = Annotated[time, BeforeValidator(_to_time)]


def _to_enum(enum_cls: type[StrEnum]) -> Any:
    """Parse a domain enum by its label in any case, so `name_matching = "pattern"` works."""

    def parse(value: Any) -> Any:
        if isinstance(value, enum_cls):
            return value
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        return enum_cls.parse(value)  # type: ignore[attr-defined]

    return BeforeValidator(parse)


def _http_url(value: str | None, what: str = "URL") -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    if not re.match(r"^https?://[^\s/]+", stripped):
        raise ValueError(f"{value!r} is not an http(s) {what}")
    return stripped.rstrip("/")


# --- weekdays ------------------------------------------------------------------------------


class Weekday(StrEnum):
    """Days a service runs on; `days` lists accept "Mon", "monday", "MON" and ranges like "Mon-Fri"."""

    MON = "Mon"
    TUE = "Tue"
    WED = "Wed"
    THU = "Thu"
    FRI = "Fri"
    SAT = "Sat"
    SUN = "Sun"

    @property
    def number(self) -> int:
        """Monday = 0, as `datetime.weekday()` counts."""
        return list(Weekday).index(self)

    @property
    def cron(self) -> str:
        """The APScheduler cron name (mon, tue, ...)."""
        return self.value.lower()


_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALL_DAYS: tuple[Weekday, ...] = tuple(Weekday)
MON_TO_SAT: tuple[Weekday, ...] = ALL_DAYS[:6]


def parse_weekday(text: str) -> Weekday:
    wanted = text.strip().casefold()
    for day, full in zip(Weekday, _FULL_DAY_NAMES, strict=True):
        if wanted in (day.value.casefold(), full):
            return day
    known = [d.value for d in Weekday] + [f.capitalize() for f in _FULL_DAY_NAMES]
    close = difflib.get_close_matches(text.strip().capitalize(), known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"{text!r} is not a weekday{hint}; use Mon, Tue, Wed, Thu, Fri, Sat, Sun or full names")


def _to_days(value: Any) -> Any:
    """A list of day names, where an entry may also be a range ("Mon-Fri") or a comma list."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ValueError(f'expected a list of weekday names like ["Mon", "Tue"], got {type(value).__name__}')
    days: set[Weekday] = set()
    for entry in value:
        if isinstance(entry, Weekday):
            days.add(entry)
            continue
        if not isinstance(entry, str):
            raise ValueError(f"expected weekday names, got {entry!r}")
        for part in entry.split(","):
            first, dash, last = part.partition("-")
            if dash:
                lo, hi = parse_weekday(first).number, parse_weekday(last).number
                if lo > hi:
                    raise ValueError(f"{part.strip()!r} runs backwards; write it as two ranges")
                days.update(ALL_DAYS[lo : hi + 1])
            else:
                days.add(parse_weekday(part))
    if not days:
        raise ValueError("list at least one weekday (or set enabled = false)")
    return tuple(sorted(days, key=lambda d: d.number))


Days = Annotated[tuple[Weekday, ...], BeforeValidator(_to_days)]


def describe_days(days: tuple[Weekday, ...]) -> str:
    """Compact form for summaries: "Mon-Sun", "Mon-Sat", or "Mon, Wed, Fri"."""
    indexes = [d.number for d in days]
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{days[0].value}-{days[-1].value}"
    return ", ".join(d.value for d in days)


# --- sections ------------------------------------------------------------------------------


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class CrmSettings(_Section):
    """[crm]: the Dynamics 365 (Dataverse) environment and the Entra ID app registration."""

    model_config = CRM_SECTION_CONFIG  # [crm.schema] is read and written as "schema" (see config/crm_schema.py)
    url: str | None = None
    tenant: str | None = None
    client_id: str | None = None
    client_secret: Secret = None
    authority: str | None = Field(default=None, validate_default=True)
    api_version: str = "9.2"
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    requests_per_5min: int = Field(default=6000, ge=1)
    max_concurrency: int = Field(default=52, ge=1, le=1000)
    crm_schema: CrmSchemaSettings = Field(default_factory=CrmSchemaSettings, alias="schema")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return _http_url(value, "organization URL (e.g. https://contoso.crm.dynamics.com)")

    @field_validator("authority")
    @classmethod
    def _authority(cls, value: str | None, info: ValidationInfo) -> str | None:
        """Default to the public cloud's authority for the tenant; sovereign clouds set their own."""
        if value is None:
            tenant = info.data.get("tenant")
            return f"https://login.microsoftonline.com/{tenant}" if tenant else None
        return _http_url(value, "authority URL (e.g. https://login.microsoftonline.com/<tenant>)")

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        cleaned = value.strip().removeprefix("v")
        if not re.match(r"^\d+\.\d+$", cleaned):
            raise ValueError(f'{value!r} is not a Web API version like "9.2"')
        return cleaned

    @property
    def configured(self) -> bool:
        return bool(self.url and self.tenant and self.client_id and self.client_secret)

    @property
    def web_api_url(self) -> str | None:
        """The Web API root, e.g. https://contoso.crm.dynamics.com/api/data/v9.2/."""
        return f"{self.url}/api/data/v{self.api_version}/" if self.url else None


class QuickBooksSettings(_Section):
    """[quickbooks]: the Intuit app, the company (realm) and the API limits."""

    environment: str = "sandbox"
    client_id: str | None = None
    client_secret: Secret = None
    realm_id: Annotated[str | None, BeforeValidator(realm_number)] = None
    redirect_uri: str | None = None
    api_base_url: str | None = Field(default=None, validate_default=True)
    minor_version: int = Field(default=75, ge=1)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    requests_per_minute: int = Field(default=500, ge=1)
    requests_per_second: int = Field(default=10, ge=1)
    max_concurrency: int = Field(default=10, ge=1, le=100)
    token_file: ConfigPath = Field(default_factory=default_token_file)

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str) -> str:
        lowered = value.strip().lower()
        aliases = {"sandbox": "sandbox", "sand": "sandbox", "production": "production", "prod": "production"}
        if lowered in aliases:
            return aliases[lowered]
        if re.match(r"^https?://\S+$", value.strip()):
            return value.strip()
        raise ValueError(f'{value!r} is not "sandbox", "production" or a discovery-document URL')

    @field_validator("api_base_url")
    @classmethod
    def _api_base_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None:
            return _http_url(value, "API base URL")
        environment = info.data.get("environment")
        if environment is None:  # environment itself was invalid; that error is reported instead
            return None
        if environment in QBO_API_BASE_URL:
            return QBO_API_BASE_URL[environment]
        raise ValueError("required when environment is a discovery-document URL (it cannot be guessed)")

    @field_validator("redirect_uri")
    @classmethod
    def _redirect(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://\S+$", value.strip()):
            raise ValueError(f"{value!r} is not an http(s) redirect URI")
        return value.strip()

    @field_validator("realm_id")
    @classmethod
    def _realm(cls, value: str | None) -> str | None:
        return realm_id(value)

    @property
    def discovery_url(self) -> str:
        """What intuit-oauth's AuthClient takes as `environment`: a name it knows, or the URL itself."""
        return QBO_DISCOVERY_URL.get(self.environment, self.environment)

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.realm_id)


class _Window(_Section):
    """When a service may run: its days and a daily window. Subclasses say how often within it."""

    enabled: bool = True
    days: Days = ALL_DAYS
    start: ClockTime = time(0, 0)
    end: ClockTime = Field(default=time(23, 59), validate_default=True)

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if isinstance(start, time) and not start < value:
            raise ValueError(f"end {value:%H:%M} must be after start {start:%H:%M} (windows stay within one day)")
        return value

    @field_serializer("start", "end")
    def _hhmm(self, value: time) -> str:
        return value.strftime("%H:%M")

    @field_serializer("days")
    def _day_names(self, value: tuple[Weekday, ...]) -> list[str]:
        return [d.value for d in value]

    @property
    @abstractmethod
    def interval(self) -> timedelta: ...

    def describe(self) -> str:
        """One line for `config check` and the console's services panel."""
        if not self.enabled:
            return "off"
        return f"on   {describe_days(self.days)} {self.start:%H:%M}-{self.end:%H:%M} {self.every()}"

    def every(self) -> str:
        return f"every {int(self.interval.total_seconds() // 60)} min"


class ServiceSchedule(_Window):
    """A polling service: runs on `days`, from `start` to `end` (inclusive), every `interval_minutes`."""

    interval_minutes: int = Field(default=60, ge=1, le=24 * 60)

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.interval_minutes)


class LowPrioritySchedule(_Window):
    """The Low Priority service polls in hours (6, 12 or 24), counted from `start` (midnight by default)."""

    days: Days = MON_TO_SAT
    interval_hours: Literal[6, 12, 24] = 24

    @property
    def interval_minutes(self) -> int:
        return self.interval_hours * 60

    def every(self) -> str:
        return f"every {self.interval_hours} h"

    @property
    def interval(self) -> timedelta:
        return timedelta(hours=self.interval_hours)


class ServicesSettings(_Section):
    """[services]: InoLink's three scheduled services, with its documented defaults."""

    timezone: str = "local"
    """The clock the windows' start and end are read on: "local" (this machine's zone) or an IANA name."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        value = value.strip()
        if value.lower() != "local":
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                hint = 'use an IANA name like "Europe/London", or "local"'
                raise ValueError(f"unknown time zone {value!r}: {hint}") from None
        return value

    def zone(self) -> tzinfo:
        return ZoneInfo(self.timezone) if self.timezone.lower() != "local" else local_zone()

    high_priority: ServiceSchedule = Field(
        default_factory=lambda: ServiceSchedule(start=time(8, 0), end=time(17, 0), interval_minutes=30)
    )
    low_priority: LowPrioritySchedule = Field(default_factory=LowPrioritySchedule)
    crm_to_quickbooks: ServiceSchedule = Field(
        default_factory=lambda: ServiceSchedule(days=MON_TO_SAT, interval_minutes=60)
    )

    def items(self) -> list[tuple[str, _Window]]:
        return [
            ("high_priority", self.high_priority),
            ("low_priority", self.low_priority),
            ("crm_to_quickbooks", self.crm_to_quickbooks),
        ]


class SyncSettings(_Section, SyncPolicyKeys):
    """[sync]: the per-company feature options of InoLink plus the engine's own knobs."""

    name_matching: Annotated[NameMatching, _to_enum(NameMatching)] = NameMatching.EXACT
    deadlock_win: Annotated[DeadlockWin, _to_enum(DeadlockWin)] = DeadlockWin.CRM
    auto_create_missing_customer: bool = True
    write_in_item: str = Field(default="Write-In", min_length=1)
    discount_item: str = Field(default="Discount", min_length=1)
    shipping_item: str = Field(default="Shipping", min_length=1)
    max_attempts: int = Field(default=5, ge=1, le=100)
    create_from_quickbooks: bool = True
    workers: int = Field(default=10, ge=1, le=64)
    lease_seconds: float = Field(default=60.0, ge=5, le=3600)

    @field_serializer("name_matching", "deadlock_win")
    def _label(self, value: StrEnum) -> str:
        return value.value


class StoreSettings(_Section):
    """[store]: where the Link Jobs live."""

    path: StorePath = Field(default_factory=default_store_path)
    success_retention_days: int = Field(default=90, ge=0, le=36_500)
    """Success jobs processed longer ago are purged by the daemon's hourly upkeep; 0 keeps them forever."""


class UiSettings(_Section):
    """[ui]: the console."""

    theme: str = Field(default="ansi-dark", min_length=1)
    refresh_ms: int = Field(default=250, ge=50, le=60_000)
    confirm_bulk: bool = True
    default_view: Annotated[JobView, _to_enum(JobView)] = JobView.ALL

    @field_serializer("default_view")
    def _label(self, value: JobView) -> str:
        return value.value


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AlertSettings(_Section):
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
        return _http_url(value, "webhook URL")

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


class Settings(_Section):
    """The whole configuration. Every section is optional: an empty file means InoLink's defaults."""

    crm: CrmSettings = Field(default_factory=CrmSettings)
    quickbooks: QuickBooksSettings = Field(default_factory=QuickBooksSettings)
    services: ServicesSettings = Field(default_factory=ServicesSettings)
    sync: SyncSettings = Field(default_factory=SyncSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    ui: UiSettings = Field(default_factory=UiSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)

    def secret_values(self) -> list[str]:
        """Every configured secret, for log scrubbing (headless mode redacts them wherever they appear)."""
        secrets = (self.crm.client_secret, self.quickbooks.client_secret, self.alerts.smtp_password)
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


def missing_keys(section: CrmSettings | QuickBooksSettings) -> list[str]:
    """The connection keys still empty, so `config check` can name them."""
    if isinstance(section, CrmSettings):
        wanted: tuple[str, ...] = ("url", "tenant", "client_id", "client_secret")
    else:
        wanted = ("client_id", "client_secret", "realm_id")
    return [key for key in wanted if not getattr(section, key)]


def local_zone() -> tzinfo:
    """This machine's zone with its DST rules: $TZ or /etc/localtime's zoneinfo name; a fixed offset as the last
    resort (right until the next DST change, hence the preference for a name)."""
    for name in (os.environ.get("TZ", "").lstrip(":"), _localtime_name()):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return datetime.now().astimezone().tzinfo or UTC


def _localtime_name() -> str:
    try:
        target = os.path.realpath("/etc/localtime")
    except OSError:
        return ""
    marker = "zoneinfo" + os.sep
    return target.split(marker, 1)[1] if marker in target else ""
