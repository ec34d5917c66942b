"""The adaptive cadence of live mode's polls: fast while changes arrive, backing off while nothing does.

A change (or a webhook, or an operator's sync-now) puts the next poll at the minimum interval; each quiet poll
multiplies the interval by `backoff`, up to the maximum. So a burst of promotions is followed every couple of
seconds, while a company at rest is asked only every half minute or so, which is what keeps the idle cost to a
small share of each API's budget (see engine/live_cost.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class AdaptiveCadence:
    minimum: float
    maximum: float
    backoff: float = 1.5
    current: float = field(init=False)

    def __post_init__(self) -> None:
        if self.minimum <= 0 or self.maximum < self.minimum:
            raise ValueError("a cadence needs 0 < minimum <= maximum")
        if self.backoff < 1:
            raise ValueError("backoff must be at least 1 (the interval never shrinks while idle)")
        self.current = self.minimum

    def next_delay(self, changed: bool) -> float:
        """Seconds until the next poll, after a poll that found changes (`changed`) or found none."""
        if changed:
            self.current = self.minimum
        else:
            self.current = min(self.maximum, self.current * self.backoff)
        return self.current

    def reset(self) -> None:
        """Something happened outside the poll (a webhook, sync-now): poll at the minimum again."""
        self.current = self.minimum

    @property
    def idle(self) -> bool:
        """Backed off all the way: what the idle cost is computed at."""
        return self.current >= self.maximum
