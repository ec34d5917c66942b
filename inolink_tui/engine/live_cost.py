"""Measuring live mode's idle cost from the connections' own request tallies.

Each poll that found nothing is metered: the requests each API's connector sent between its start and its end.
The idle cost per hour is, for each kind of poll, the median of its recent quiet polls times how often it runs
once backed off (the cadence's maximum), summed over the kinds. Polls overlap now and then (a CDC read during a
CRM probe), which can only make a sample larger: the figure errs high, never low.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Mapping

from inolink_tui.domain.live import IdleCost
from inolink_tui.domain.vocabulary import RequestTallies, System
from inolink_tui.engine.options import LiveOptions

CRM_PROBE = "crm_probe"
"""A look at CRM's change tracking (one request per table until one shows a change)."""
CRM_FULL = "crm_full"
"""The whole CRM to QuickBooks cycle (requeues, promotions and changes), run at least every `full_scan_seconds`."""
QUICKBOOKS_CDC = "quickbooks_cdc"
"""The High Priority cycle: one CDC request (and the sync lease around it)."""
SAMPLES = 20


class IdleMeter:
    def __init__(self, live: LiveOptions, fixed: Mapping[System, float] | None = None) -> None:
        """`fixed`: requests per hour spent whatever happens (the sync lease's renewals), added to each API's cost."""
        self.live = live
        self.fixed = dict(fixed or {})
        self.periods = {
            CRM_PROBE: live.crm_max_seconds,
            CRM_FULL: live.full_scan_seconds,
            QUICKBOOKS_CDC: live.quickbooks_max_seconds,
        }
        self._samples: dict[str, deque[dict[System, int]]] = {kind: deque(maxlen=SAMPLES) for kind in self.periods}

    def record(
        self, kind: str, before: Mapping[System, RequestTallies], after: Mapping[System, RequestTallies]
    ) -> None:
        """One quiet poll of `kind`: the requests each API received during it."""
        used = {s: after[s].requests - before[s].requests for s in after if s in before}
        self._samples[kind].append({s: max(0, n) for s, n in used.items()})

    def per_poll(self, kind: str, system: System) -> float | None:
        samples = [s.get(system, 0) for s in self._samples[kind]]
        return statistics.median(samples) if samples else None

    def costs(self) -> dict[System, IdleCost]:
        """Requests per hour each API receives while nothing changes; empty until every kind was measured once."""
        if any(not samples for samples in self._samples.values()):
            return {}
        budgets = {System.CRM: self.live.crm_per_hour, System.QUICKBOOKS: self.live.quickbooks_per_hour}
        out: dict[System, IdleCost] = {}
        for system, budget in budgets.items():
            hourly = self.fixed.get(system, 0.0)
            for kind, period in self.periods.items():
                hourly += (self.per_poll(kind, system) or 0.0) * 3600.0 / period
            out[system] = IdleCost(round(hourly, 1), budget)
        return out
