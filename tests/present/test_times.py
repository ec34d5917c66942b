"""Every printed time is UTC, whatever zone the value carries."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from inolink_tui.present.times import detail_time, iso_time, short_time

PARIS_WINTER = timezone(timedelta(hours=1))
MOMENT = datetime(2026, 12, 31, 23, 30, 15, tzinfo=PARIS_WINTER)  # 22:30:15 UTC


def test_each_form_shows_the_utc_time() -> None:
    assert short_time(MOMENT) == "12-31 22:30"
    assert detail_time(MOMENT) == "2026-12-31 22:30:15 UTC"
    assert iso_time(MOMENT) == "2026-12-31T22:30:15Z"


def test_no_time_has_one_blank_per_form() -> None:
    assert short_time(None) == ""
    assert detail_time(None) == "—"
    assert iso_time(None) is None
