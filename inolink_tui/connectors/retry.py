"""Backoff for transient failures and the reading of `Retry-After`."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from inolink_tui.connectors.settings import RetrySettings

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses worth another try: throttling, gateway trouble, server errors (QuickBooks 10000 is a 500)."""


class Backoff:
    """Exponential backoff with "equal jitter": half the step is fixed, half random.

    The fixed half guarantees the delay really grows; the random half keeps many workers that
    failed together from retrying together.
    """

    def __init__(self, settings: RetrySettings, rng: random.Random | None = None) -> None:
        self.settings = settings
        self._rng = rng or random.Random()

    def delay(self, attempt: int) -> float:
        """Delay after the `attempt`-th failure (1-based)."""
        step = min(self.settings.max_delay, self.settings.base_delay * 2.0 ** max(0, attempt - 1))
        return step / 2 + self._rng.uniform(0, step / 2)

    def cap_retry_after(self, seconds: float) -> float:
        return min(max(0.0, seconds), self.settings.max_retry_after)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: integer seconds (what both services send) or an HTTP date."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    if seconds != seconds or seconds < 0:  # NaN or negative: ignore rather than trust
        return None
    return seconds
