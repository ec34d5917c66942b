from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from inolink_tui.connectors.retry import Backoff, parse_retry_after
from inolink_tui.connectors.settings import RetrySettings


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    backoff = Backoff(RetrySettings(max_attempts=10, base_delay=1.0, max_delay=16.0), random.Random(7))
    for attempt in range(1, 9):
        step = min(16.0, 2.0 ** (attempt - 1))
        delays = [backoff.delay(attempt) for _ in range(50)]
        assert all(step / 2 <= d <= step for d in delays)
        assert len(set(delays)) > 1  # jitter really varies


def test_retry_after_cap() -> None:
    backoff = Backoff(RetrySettings(max_retry_after=60))
    assert backoff.cap_retry_after(3600) == 60
    assert backoff.cap_retry_after(-3) == 0


@pytest.mark.parametrize(
    ("header", "expected"),
    [("5", 5.0), (" 12 ", 12.0), ("0", 0.0), ("", None), (None, None), ("soon", None), ("-1", None), ("nan", None)],
)
def test_parse_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_parse_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(header, now) == 90.0


def test_retry_settings_validate() -> None:
    with pytest.raises(ValueError):
        RetrySettings(max_attempts=0)
    with pytest.raises(ValueError):
        RetrySettings(base_delay=5, max_delay=1)
