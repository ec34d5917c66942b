"""[services]: InoLink's three scheduled services, their windows, the zone the windows are read in, and the mode
(live: changes found within seconds by polling the change feeds; scheduled: InoLink's intervals)."""

from __future__ import annotations

import os
from abc import abstractmethod
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_serializer, field_validator, model_validator

from inolink_tui.config.fields import ALL_DAYS, MON_TO_SAT, ClockTime, Days, Section, Weekday, describe_days


class _Window(Section):
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


class LiveSettings(Section):
    """[services.live]: how often live mode looks at each change feed (seconds).

    CRM change tracking is polled every `crm_min_seconds` while changes arrive and backs off (x1.5 per quiet poll)
    to `crm_max_seconds`; QuickBooks CDC likewise between its two bounds. The bounds keep the idle cost small
    (`inolink-tui --no-ui` reports it: requests per hour and share of each API's budget). The CRM ceiling is 10 s:
    a look at all six tables is one Dataverse request (a `$batch`), so a quiet company costs 360 an hour for it,
    0.5 % of Dataverse's 72,000, and a lone promotion after a quiet stretch waits at most 10 s to be seen."""

    crm_min_seconds: float = Field(default=2.0, ge=0.5, le=3600)
    crm_max_seconds: float = Field(default=10.0, ge=1, le=3600)
    quickbooks_min_seconds: float = Field(default=5.0, ge=1, le=3600)
    quickbooks_max_seconds: float = Field(default=30.0, ge=1, le=3600)
    full_scan_minutes: float = Field(default=5.0, ge=1, le=24 * 60)
    """A whole CRM to QuickBooks cycle (requeues from CRM included) at least this often, changes or not."""

    @field_validator("crm_max_seconds", "quickbooks_max_seconds")
    @classmethod
    def _max_after_min(cls, value: float, info: ValidationInfo) -> float:
        low = info.data.get(str(info.field_name).replace("_max_", "_min_"))
        if isinstance(low, float | int) and value < low:
            raise ValueError(f"must be at least the minimum ({low:g} s)")
        return value


ServicesMode = Literal["live", "scheduled"]


class ServicesSettings(Section):
    """[services]: InoLink's three scheduled services, with its documented defaults."""

    mode: ServicesMode = "scheduled"
    """"live" or "scheduled". Absent means "scheduled": a config written before live mode existed keeps the
    behaviour and the API traffic its operator chose. New configs (the example, `sandbox serve --write-config`,
    `--demo`) say `mode = "live"`."""
    live: LiveSettings = Field(default_factory=LiveSettings)

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

    @model_validator(mode="after")
    def _live_runs_around_the_clock(self) -> ServicesSettings:
        """InoLink's windows (High Priority 08:00-17:00, CRM to QuickBooks Monday to Saturday) are the defaults of
        its schedule. In live mode days and windows apply only when set (issue 18): a service with no table of its
        own runs all day, every day, or a live install would sync nothing on Sundays and nothing from QuickBooks
        after 17:00."""
        if self.mode == "live":
            if "high_priority" not in self.model_fields_set:
                self.high_priority = ServiceSchedule(interval_minutes=30)
            if "crm_to_quickbooks" not in self.model_fields_set:
                self.crm_to_quickbooks = ServiceSchedule(interval_minutes=60)
        return self

    def items(self) -> list[tuple[str, _Window]]:
        return [
            ("high_priority", self.high_priority),
            ("low_priority", self.low_priority),
            ("crm_to_quickbooks", self.crm_to_quickbooks),
        ]


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
