"""Dataverse's query functions (`Microsoft.Dynamics.CRM.<Name>(PropertyName=...,...)`): signatures and date windows.

Sources:
- the list and the call syntax: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
  ("Dataverse query functions": fully qualified name, a `PropertyName` parameter, and `PropertyValue`,
  `PropertyValues` or `PropertyValue1`/`PropertyValue2` where the function has them);
- each function's parameters and types: https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/queryfunctions
  (e.g. .../reference/lastxdays: `PropertyName` Edm.String, `PropertyValue` Edm.Int64; .../reference/on:
  `PropertyValue` Edm.String; .../reference/in and .../between: `PropertyValues` Collection(Edm.String)).

This module holds no OData types so the parser can import it. Which functions are modelled, and why the rest
are not, is in `SIGNATURES` and `NOT_MODELLED`.

The date windows are NOT documented by Microsoft beyond one line each ("The value is within last X days").
They follow two independent third-party write-ups that agree (https://markcarrington.dev/2020/08/25/fetchxml-date-filtering/
and Gonzalo Ruiz, "Date and time operators in CRM explained"): "Last X days/weeks/months/years" runs from
midnight today back X whole periods, up to now; "Next X ..." runs from now to the end of the day X periods
ahead; "Last X hours" starts at the top of the hour X hours back; "Next X hours" is now to now + X hours.
Dataverse evaluates them in the calling user's time zone; the sandbox's application user works in UTC.
Weeks start on Sunday (the en-US default of the organization's week setting, which the sandbox does not model).
"Older than X" is taken as strictly before now minus X periods (the docs say only "older than").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PREFIX = "Microsoft.Dynamics.CRM."
DOC = "https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/queryfunctions"


@dataclass(frozen=True)
class Signature:
    """The parameters a function takes besides `PropertyName`: (name, Edm type), arrays as Collection(...)."""

    params: tuple[tuple[str, str], ...]
    date_only: bool = False  # the function compares dates and times: the column must be a date and time column


_X = (("PropertyValue", "Edm.Int64"),)
_DATE = (("PropertyValue", "Edm.String"),)
_VALUES = (("PropertyValues", "Collection(Edm.String)"),)

_DATE_FUNCTIONS_WITH_X = [
    "LastXDays",
    "LastXHours",
    "LastXWeeks",
    "LastXMonths",
    "LastXYears",
    "NextXDays",
    "NextXHours",
    "NextXWeeks",
    "NextXMonths",
    "NextXYears",
    "OlderThanXMinutes",
    "OlderThanXHours",
    "OlderThanXDays",
    "OlderThanXWeeks",
    "OlderThanXMonths",
    "OlderThanXYears",
]
_DATE_FUNCTIONS_PLAIN = [
    "Today",
    "Yesterday",
    "Tomorrow",
    "Last7Days",
    "Next7Days",
    "ThisWeek",
    "LastWeek",
    "NextWeek",
    "ThisMonth",
    "LastMonth",
    "NextMonth",
    "ThisYear",
    "LastYear",
    "NextYear",
]

SIGNATURES: dict[str, Signature] = {
    "In": Signature(_VALUES),
    "NotIn": Signature(_VALUES),
    "Between": Signature(_VALUES),
    "NotBetween": Signature(_VALUES),
    **{name: Signature(_X, date_only=True) for name in _DATE_FUNCTIONS_WITH_X},
    **{name: Signature((), date_only=True) for name in _DATE_FUNCTIONS_PLAIN},
    "On": Signature(_DATE, date_only=True),
    "OnOrAfter": Signature(_DATE, date_only=True),
    "OnOrBefore": Signature(_DATE, date_only=True),
}
"""Every query function the sandbox evaluates (names without the `Microsoft.Dynamics.CRM.` prefix)."""

NOT_MODELLED = {
    "fiscal periods and years (InFiscalPeriod, LastFiscalYear, ...)": "need the organization's fiscal settings",
    "EqualUserId, EqualBusinessId, NotEqual...": "ownership and business units are not modelled (one app user)",
    "Above, Under, EqualUserOrUserHierarchy, ...": "the sandbox's tables have no hierarchy relationship",
    "ContainValues, DoesNotContainValues": "the sandbox has no multi-select choice columns",
    "EqualUserLanguage, Contains (full-text)": "no language columns; no full-text indexed column",
}
"""Documented functions the sandbox refuses (as an unknown function, 400), and why."""


def _midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _add_months(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last_day = (datetime(year + month // 12, month % 12 + 1, 1, tzinfo=moment.tzinfo) - timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def _shift(moment: datetime, unit: str, count: int) -> datetime:
    if unit == "Minutes":
        return moment + timedelta(minutes=count)
    if unit == "Hours":
        return moment + timedelta(hours=count)
    if unit == "Days":
        return moment + timedelta(days=count)
    if unit == "Weeks":
        return moment + timedelta(weeks=count)
    if unit == "Months":
        return _add_months(moment, count)
    return _add_months(moment, 12 * count)  # Years


def _week_start(moment: datetime) -> datetime:
    day = _midnight(moment)
    return day - timedelta(days=(day.weekday() + 1) % 7)  # Sunday


Window = tuple[datetime | None, datetime | None, bool]
"""[start, end) or, when the flag is set, [start, end]; None means unbounded."""


def window(name: str, now: datetime, x: int | None = None, day: datetime | None = None) -> Window:
    """The instants a date function matches, evaluated at `now` (UTC)."""
    now = now.astimezone(UTC)
    today = _midnight(now)
    if name.startswith("LastX"):
        unit = name[len("LastX") :]
        start = now.replace(minute=0, second=0, microsecond=0) if unit == "Hours" else today
        return _shift(start, unit, -(x or 0)), now, True
    if name.startswith("NextX"):
        unit = name[len("NextX") :]
        if unit == "Hours":
            return now, now + timedelta(hours=x or 0), True
        return now, _shift(today, unit, x or 0) + timedelta(days=1), False
    if name.startswith("OlderThanX"):
        return None, _shift(now, name[len("OlderThanX") :], -(x or 0)), False
    fixed: dict[str, tuple[datetime, datetime]] = {
        "Today": (today, today + timedelta(days=1)),
        "Yesterday": (today - timedelta(days=1), today),
        "Tomorrow": (today + timedelta(days=1), today + timedelta(days=2)),
        "ThisWeek": (_week_start(now), _week_start(now) + timedelta(weeks=1)),
        "LastWeek": (_week_start(now) - timedelta(weeks=1), _week_start(now)),
        "NextWeek": (_week_start(now) + timedelta(weeks=1), _week_start(now) + timedelta(weeks=2)),
        "ThisMonth": (today.replace(day=1), _add_months(today.replace(day=1), 1)),
        "LastMonth": (_add_months(today.replace(day=1), -1), today.replace(day=1)),
        "NextMonth": (_add_months(today.replace(day=1), 1), _add_months(today.replace(day=1), 2)),
        "ThisYear": (today.replace(month=1, day=1), today.replace(year=today.year + 1, month=1, day=1)),
        "LastYear": (today.replace(year=today.year - 1, month=1, day=1), today.replace(month=1, day=1)),
        "NextYear": (
            today.replace(year=today.year + 1, month=1, day=1),
            today.replace(year=today.year + 2, month=1, day=1),
        ),
    }
    if name in fixed:
        start, end = fixed[name]
        return start, end, False
    if name == "Last7Days":
        return window("LastXDays", now, 7)
    if name == "Next7Days":
        return window("NextXDays", now, 7)
    assert day is not None, name
    start = _midnight(day.astimezone(UTC))
    if name == "On":
        return start, start + timedelta(days=1), False
    if name == "OnOrAfter":
        return start, None, False
    return None, start + timedelta(days=1), False  # OnOrBefore


def inside(value: datetime, span: Window) -> bool:
    start, end, closed = span
    if start is not None and value < start:
        return False
    if end is None:
        return True
    return value <= end if closed else value < end
