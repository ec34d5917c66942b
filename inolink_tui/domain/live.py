"""Live mode's idle cost: what polling the change feeds costs each API per hour when nothing changes.

Polling every few seconds is only worth having if it leaves the request budgets to bulk work: the idle cost is
reported per API (Dataverse, QuickBooks) beside its budget, and live mode's cadences keep it under
`IDLE_SHARE_TARGET` of each.
"""

from __future__ import annotations

from dataclasses import dataclass

IDLE_SHARE_TARGET = 0.03
"""At most 3 % of each API's request budget goes to polling while nothing changes."""


@dataclass(frozen=True, slots=True)
class IdleCost:
    """Requests per hour one API receives from live mode's polls while nothing changes, against its budget."""

    requests_per_hour: float
    budget_per_hour: float

    @property
    def share(self) -> float:
        return self.requests_per_hour / self.budget_per_hour if self.budget_per_hour > 0 else 0.0

    @property
    def within_target(self) -> bool:
        return self.share <= IDLE_SHARE_TARGET

    def describe(self) -> str:
        return (
            f"{self.requests_per_hour:,.0f} requests/h = {self.share:.1%} of {self.budget_per_hour:,.0f}/h "
            f"({'within' if self.within_target else 'over'} the {IDLE_SHARE_TARGET:.0%} target)"
        )
