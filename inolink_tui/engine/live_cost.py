"""Measuring live mode's idle cost from the connections' own request tallies.

Each poll that found nothing is metered: the requests each API's connector sent between its start and its end.
The idle cost per hour is, for each kind of poll, the median of its recent quiet polls times how often it runs
once backed off (the cadence's maximum), summed over the kinds. Polls overlap now and then (a CDC read during a
CRM probe), which can only make a sample larger: the figure errs high, never low.

The tallies count HTTP requests as the connectors send them, so a `$batch` (the CRM probe's six change-tracking
reads) is one request, as Dataverse counts it toward its limit ("Service protection API limits":
https://learn.microsoft.com/power-apps/developer/data-platform/api-limits); what the batch holds is not counted.
Spent whatever happens (the sync lease's renewals) is added as a fixed cost per hour, asked of its owner at each
report (engine/pair_guard.py).
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Callable, Mapping

from inolink_tui.domain.live import IdleCost
from inolink_tui.domain.vocabulary import RequestTallies, System
from inolink_tui.engine.options import LiveOptions

CRM_PROBE = "crm_probe"
"""A look at CRM's change tracking: the six tables in one `$batch`, one request (engine/live_probe.py)."""
CRM_FULL = "crm_full"
"""The whole CRM to QuickBooks cycle (requeues, promotions and changes), run at least every `full_scan_seconds`."""
QUICKBOOKS_CDC = "quickbooks_cdc"
"""The High Priority cycle: one CDC request (and the sync lease around it)."""
SAMPLES = 20
FixedCost = Mapping[System, float] | Callable[[], Mapping[System, float]]
"""Requests per hour spent whatever happens, or how to ask for them when they are wanted."""


class IdleMeter:
    def __init__(self, live: LiveOptions, fixed: FixedCost | None = None) -> None:
        """`fixed`: requests per hour spent whatever happens (the sync lease's renewals), added to each API's cost."""
        self.live = live
        self._fixed: FixedCost = fixed if fixed is not None else {}
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

    def fixed(self) -> Mapping[System, float]:
        """The fixed costs now (a callable is asked each time)."""
        return self._fixed() if callable(self._fixed) else self._fixed

    def per_poll(self, kind: str, system: System) -> float | None:
        samples = [s.get(system, 0) for s in self._samples[kind]]
        return statistics.median(samples) if samples else None

    def costs(self) -> dict[System, IdleCost]:
        """Requests per hour each API receives while nothing changes; empty until every kind was measured once."""
        if any(not samples for samples in self._samples.values()):
            return {}
        budgets = {System.CRM: self.live.crm_per_hour, System.QUICKBOOKS: self.live.quickbooks_per_hour}
        out: dict[System, IdleCost] = {}
        fixed = self.fixed()
        for system, budget in budgets.items():
            hourly = fixed.get(system, 0.0)
            for kind, period in self.periods.items():
                hourly += (self.per_poll(kind, system) or 0.0) * 3600.0 / period
            out[system] = IdleCost(round(hourly, 1), budget)
        return out
