"""Times as the CLI and the console print them: always UTC, in a few fixed forms."""

from __future__ import annotations

from datetime import UTC, datetime


def short_time(value: datetime | None) -> str:
    """Table form: month-day hour:minute in UTC, 11 cells (detail views show `detail_time` or `iso_time`)."""
    return value.astimezone(UTC).strftime("%m-%d %H:%M") if value else ""


def detail_time(value: datetime | None) -> str:
    """Detail-view form, to the second, "—" when there is no time (the console's inspector)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def iso_time(value: datetime | None) -> str | None:
    """Exact form: ISO 8601 in UTC with a "Z", or None when there is no time."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None
