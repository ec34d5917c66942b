"""The building blocks every section of the configuration shares: where files live by default, the field
types (paths resolved against the config file, secrets, clock times, weekdays, enums by label) and the strict
base model. Split from `config.model` so that each section's module stays small; `config.model` re-exports
what other packages import.
"""

from __future__ import annotations

import difflib
import re
from datetime import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, SecretStr, ValidationInfo

from inolink_tui.config.checks import blank_is_missing, not_a_directory, store_file
from inolink_tui.config.paths import APP_NAME as APP_NAME
from inolink_tui.config.paths import default_config_path as default_config_path
from inolink_tui.config.paths import default_data_dir as default_data_dir
from inolink_tui.config.paths import default_store_path as default_store_path
from inolink_tui.config.paths import default_token_file as default_token_file

CRM_SECRET_ENV = "INOLINK_CRM_CLIENT_SECRET"
QBO_SECRET_ENV = "INOLINK_QBO_CLIENT_SECRET"
SMTP_PASSWORD_ENV = "INOLINK_SMTP_PASSWORD"
QBO_WEBHOOK_ENV = "INOLINK_QBO_WEBHOOK_VERIFIER_TOKEN"

SECRET_ENV_VARS: dict[tuple[str, str], str] = {
    ("crm", "client_secret"): CRM_SECRET_ENV,
    ("quickbooks", "client_secret"): QBO_SECRET_ENV,
    ("alerts", "smtp_password"): SMTP_PASSWORD_ENV,
    ("quickbooks", "webhook_verifier_token"): QBO_WEBHOOK_ENV,
}
"""(section, key) of each secret -> the environment variable that overrides the file."""


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


def to_enum(enum_cls: type[StrEnum]) -> Any:
    """Parse a domain enum by its label in any case, so `name_matching = "pattern"` works."""

    def parse(value: Any) -> Any:
        if isinstance(value, enum_cls):
            return value
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {type(value).__name__}")
        return enum_cls.parse(value)  # type: ignore[attr-defined]

    return BeforeValidator(parse)


def http_url(value: str | None, what: str = "URL") -> str | None:
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


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
