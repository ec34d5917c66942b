"""The store's periodic upkeep: Success jobs past their retention are purged, and the change feed is pruned.

One async entry point, `maintain`, for the daemon to call every MAINTENANCE_INTERVAL (and for tests to call with a
fake clock). With it, a store fed at a steady rate stops growing: jobs, their attempts, feed rows and full-text
documents leave as fast as they come, and SQLite reuses the freed pages, so the file levels off.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from inolink_tui.domain.jobs import utcnow
from inolink_tui.store.base import StoreError
from inolink_tui.store.codec import to_us
from inolink_tui.store.maintenance import purge_success
from inolink_tui.store.sqlite import SqliteJobStore

log = logging.getLogger(__name__)

MAINTENANCE_INTERVAL = timedelta(hours=1)
"""How often the daemon should call `maintain`: each call purges at most an hour's worth of expired jobs."""
RETENTION_ACTOR = "inolink-tui retention"


@dataclass(frozen=True, slots=True)
class MaintenanceReport:
    purged_jobs: int
    pruned_feed_rows: int
    seconds: float


async def maintain(
    store: SqliteJobStore, *, success_retention_days: int, now: datetime | None = None
) -> MaintenanceReport:
    """Purge Success jobs older than the retention (none when it is 0), then prune the change feed.

    Queued and Error jobs are never purged. The purge runs on its own connection in a worker thread, in short
    transactions, so the engine's writes wait milliseconds at a time; it is written to the audit log.
    """
    if success_retention_days < 0:
        raise ValueError("success_retention_days must be 0 (keep forever) or more")
    started = time.monotonic()
    now = now or utcnow()
    purged = 0
    if success_retention_days:
        result = await asyncio.to_thread(
            purge_success,
            store.path,
            timedelta(days=success_retention_days),
            actor=f"{RETENTION_ACTOR} ({success_retention_days} days)",
            now=now,
        )
        purged = result.deleted
    pruned = await store.prune_feed(now_us=to_us(now))
    report = MaintenanceReport(purged, pruned, time.monotonic() - started)
    if purged or pruned:
        log.info(
            "store upkeep: purged %d Success job(s) older than %d days, pruned %d change-feed row(s) in %.2f s",
            purged,
            success_retention_days,
            pruned,
            report.seconds,
        )
    return report


class StoreUpkeep:
    """`maintain` every MAINTENANCE_INTERVAL, driven by a cheap synchronous `poll()` (the daemon's refresh chores).

    `poll` only starts a background run when one is due and none is in flight, so it costs nothing between runs;
    the first poll after start-up runs at once (a store that was off for a week catches up in one go, in chunks).
    A failed run (a locked or full store) is logged and tried again at the next interval.
    """

    def __init__(
        self,
        store: SqliteJobStore,
        success_retention_days: int,
        *,
        interval: timedelta = MAINTENANCE_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.success_retention_days = success_retention_days
        self.interval = interval.total_seconds()
        self.clock = clock
        self._next = float("-inf")
        self._task: asyncio.Task[None] | None = None

    def poll(self) -> None:
        if (self._task is not None and not self._task.done()) or self.clock() < self._next:
            return
        self._next = self.clock() + self.interval
        self._task = asyncio.get_running_loop().create_task(self._run(), name="store-upkeep")

    async def _run(self) -> None:
        try:
            await maintain(self.store, success_retention_days=self.success_retention_days)
        except StoreError as exc:
            log.warning("store upkeep failed (will retry in %.0f min): %s", self.interval / 60, exc)
