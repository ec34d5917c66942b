"""Which jobs to show or act on: the filter grammar shared by the console, the CLI and the store.

Grammar (tokens separated by spaces; quote a value with "..." to keep spaces):

    status:error   entity:invoice   source:crm   by:admin   since:2h   until:2026-11-01
    class:duplicate   company:123   id:42   view:failed   processing:yes
    anything else  -> free text matched (case-insensitively, as a substring) against
                      record name, Error Description, Accounting ID and job id

`view:conflicts` lists the jobs where Deadlock Win discarded a change (the payload records the losing values);
`class:conflict` matches those and the jobs that failed on a conflict (error class `conflict`).

Repeating a key ORs its values (`status:error status:queued`); different keys AND together.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from inolink_tui.domain.enums import EntityType, ErrorClass, JobView, LinkStatus, Source

_DURATION = re.compile(r"^([0-9]+)\s*([smhdw])$", re.IGNORECASE)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}

MAX_DURATION = timedelta(days=36_500)
"""The longest age a filter or a purge takes (about 100 years): every job is younger, and any longer
span would put "now minus the age" before the calendar's first year (Python's dates end at year 1)."""
MAX_JOB_ID = 2**63 - 1
"""Job ids are SQLite INTEGERs (signed 64-bit); a larger number cannot name a job."""
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)
"""Dates a filter accepts: wide enough for any job, narrow enough that time-zone shifts and the store's
microsecond arithmetic stay inside the calendar."""


class FilterSyntaxError(ValueError):
    """A filter the user typed that cannot be understood; the message says which token and why."""


@dataclass(frozen=True, slots=True)
class JobFilter:
    """A conjunction of conditions over Link Jobs. Empty tuples mean "any"."""

    statuses: tuple[LinkStatus, ...] = ()
    entity_types: tuple[EntityType, ...] = ()
    sources: tuple[Source, ...] = ()
    error_classes: tuple[ErrorClass, ...] = ()
    submitted_by: tuple[str, ...] = ()
    companies: tuple[str, ...] = ()
    ids: tuple[int, ...] = ()
    submitted_since: datetime | None = None
    submitted_until: datetime | None = None
    text: str = ""
    view: JobView = JobView.ALL
    processing: bool | None = None

    @property
    def is_empty(self) -> bool:
        return self == JobFilter()

    def with_view(self, view: JobView) -> JobFilter:
        return replace(self, view=view)

    def describe(self) -> str:
        """A short human form, for the console's filter line and the audit log."""
        parts: list[str] = []
        if self.view is not JobView.ALL:
            parts.append(f"view:{self.view.value.lower()}")
        parts += [f"status:{s.value.lower()}" for s in self.statuses]
        parts += [f"entity:{e.value.lower()}" for e in self.entity_types]
        parts += [f"source:{s.value.lower()}" for s in self.sources]
        parts += [f"class:{c.value}" for c in self.error_classes]
        parts += [f"by:{_quote(b)}" for b in self.submitted_by]
        parts += [f"company:{_quote(c)}" for c in self.companies]
        parts += [f"id:{i}" for i in self.ids]
        if self.submitted_since:
            parts.append(f"since:{self.submitted_since.isoformat()}")
        if self.submitted_until:
            parts.append(f"until:{self.submitted_until.isoformat()}")
        if self.processing is not None:
            parts.append(f"processing:{'yes' if self.processing else 'no'}")
        if self.text:
            parts.append(_quote(self.text))
        return " ".join(parts) or "all jobs"


def _quote(value: str) -> str:
    return shlex.quote(value) if re.search(r"[\s\"']", value) else value


SORTABLE_COLUMNS: tuple[str, ...] = (
    "id",
    "entity_type",
    "record_name",
    "link_status",
    "source",
    "submitted_by",
    "submitted_at",
    "processed_at",
    "accounting_id",
    "processed_count",
    "error_description",
)


@dataclass(frozen=True, slots=True)
class JobSort:
    """Order of a job listing; ties always break on job id so keyset paging is stable."""

    column: str = "id"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.column not in SORTABLE_COLUMNS:
            raise ValueError(f"cannot sort by {self.column!r}; choose from {', '.join(SORTABLE_COLUMNS)}")


def parse_duration(text: str) -> timedelta:
    """A duration like 30m, 2h, 7d or 1w, at most MAX_DURATION (a larger one is a typo, not an age)."""
    match = _DURATION.match(text.strip())
    if not match:
        raise FilterSyntaxError(f"{text!r} is not a duration like 30m, 2h, 7d or 1w")
    digits, unit = match.group(1).lstrip("0") or "0", _UNITS[match.group(2).lower()]
    limit = int(MAX_DURATION / timedelta(**{unit: 1}))
    if len(digits) > len(str(limit)) or int(digits) > limit:
        raise FilterSyntaxError(f"{text!r} is too long: at most {limit}{match.group(2).lower()} (100 years)")
    return timedelta(**{unit: int(digits)})


def _parse_time(key: str, value: str, now: datetime) -> datetime:
    if _DURATION.match(value.strip()):
        return now - parse_duration(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise FilterSyntaxError(
            f"{key}:{value} is neither a duration (2h, 7d) nor a date (2026-11-01 or 2026-11-01T08:00Z)"
        ) from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=now.tzinfo)
    if not EARLIEST <= (parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)) <= LATEST:
        raise FilterSyntaxError(f"{key}:{value} is outside the dates a job can have (1900-01-01 to 9999-12-30)")
    return parsed


_KEYS = {
    "status": "statuses",
    "entity": "entity_types",
    "type": "entity_types",
    "source": "sources",
    "class": "error_classes",
    "by": "submitted_by",
    "company": "companies",
    "id": "ids",
    "since": "submitted_since",
    "until": "submitted_until",
    "view": "view",
    "processing": "processing",
}


def parse_filter(text: str, now: datetime) -> JobFilter:
    """Parse the console's `/` filter line. Raises FilterSyntaxError naming the bad token."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise FilterSyntaxError(f"unbalanced quotes in filter: {exc}") from exc
    values: dict[str, list[object]] = {}
    free: list[str] = []
    scalars: dict[str, object] = {}
    for token in tokens:
        key, sep, value = token.partition(":")
        key_l = key.lower()
        if not sep or key_l not in _KEYS or not value:
            if sep and key_l in _KEYS and not value:
                raise FilterSyntaxError(f"{token!r} needs a value after the colon")
            free.append(token)
            continue
        attr = _KEYS[key_l]
        try:
            if attr == "statuses":
                values.setdefault(attr, []).append(LinkStatus.parse(value))
            elif attr == "entity_types":
                values.setdefault(attr, []).append(EntityType.parse(value))
            elif attr == "sources":
                values.setdefault(attr, []).append(_parse_source(value))
            elif attr == "error_classes":
                values.setdefault(attr, []).append(ErrorClass.parse(value))
            elif attr == "ids":
                values.setdefault(attr, []).append(_parse_id(value))
            elif attr in ("submitted_by", "companies"):
                values.setdefault(attr, []).append(value)
            elif attr in ("submitted_since", "submitted_until"):
                scalars[attr] = _parse_time(key_l, value, now)
            elif attr == "view":
                scalars[attr] = JobView.parse(value)
            elif attr == "processing":
                scalars[attr] = _parse_bool(value)
        except ValueError as exc:
            raise FilterSyntaxError(f"{token!r}: {exc}") from exc
    kwargs: dict[str, object] = {k: tuple(v) for k, v in values.items()}
    kwargs.update(scalars)
    kwargs["text"] = " ".join(free)
    return JobFilter(**kwargs)  # type: ignore[arg-type]


def _parse_source(value: str) -> Source:
    aliases = {"qbo": Source.ACCOUNTING, "quickbooks": Source.ACCOUNTING, "accounting": Source.ACCOUNTING}
    return aliases.get(value.lower()) or Source.parse(value)  # type: ignore[return-value]


def _parse_id(value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise ValueError(f"job id must be a whole number, got {value!r}")
    if len(value.lstrip("0")) > len(str(MAX_JOB_ID)) or int(value) > MAX_JOB_ID:
        raise ValueError(f"job id {value} is too large (ids go up to {MAX_JOB_ID})")
    return int(value)


def _parse_bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("yes", "y", "true", "1", "on"):
        return True
    if lowered in ("no", "n", "false", "0", "off"):
        return False
    raise ValueError(f"expected yes or no, got {value!r}")


@dataclass(frozen=True, slots=True)
class JobCounts:
    """Counts for the status tiles and `showing N of M`."""

    total: int = 0
    by_status: dict[LinkStatus, int] = field(default_factory=dict)
    by_entity: dict[EntityType, int] = field(default_factory=dict)
    by_source: dict[Source, int] = field(default_factory=dict)
    processing: int = 0
