"""Live mode's idle cost in the daemon's log: per API, once measured and again when it moves by a tenth.

The same figures are on /metrics (`inolink_live_idle_requests_per_hour`, `inolink_live_idle_budget_share`); the log
line is what an operator without Prometheus sees, at WARNING when a share goes over the 3 % target. The figures are
requests as each API counts them toward its limit: Dataverse counts a `$batch` as one (the CRM probe's six
change-tracking reads), and the sync lease's renewals are included (engine/live_cost.py).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from inolink_tui.headless.logging_json import log_event
from inolink_tui.headless.ports import ConnectionHealth

log = logging.getLogger("inolink_tui.headless")


class IdleCostLog:
    def __init__(self) -> None:
        self.logged: dict[str, float] = {}

    def check(self, connections: Sequence[ConnectionHealth]) -> None:
        for c in connections:
            if c.idle is None:
                continue
            last = self.logged.get(c.service)
            if last is not None and abs(c.idle.requests_per_hour - last) <= 0.1 * max(last, 1.0):
                continue
            self.logged[c.service] = c.idle.requests_per_hour
            log_event(
                log,
                "live_idle_cost",
                f"live mode at rest: {c.service} {c.idle.describe()}",
                logging.INFO if c.idle.within_target else logging.WARNING,
                service=c.service,
                requests_per_hour=c.idle.requests_per_hour,
                budget_per_hour=c.idle.budget_per_hour,
                share=round(c.idle.share, 4),
            )
