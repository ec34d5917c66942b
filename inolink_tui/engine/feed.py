"""Events for other processes: the store's change feed replayed as JobChanged events on a local bus.

A console attached to a database that a headless engine writes has no engine of its own to hear
from; it runs a FeedRelay over the shared store instead. The relay starts at the feed's current end
(history is in the store already) and never blocks the bus, like the engine's own publishing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from inolink_tui.domain.events import EventBus, JobChanged
from inolink_tui.store.base import JobStore, StoreError

log = logging.getLogger(__name__)


class FeedRelay:
    def __init__(self, store: JobStore, bus: EventBus, *, poll_seconds: float = 0.5, batch: int = 1000) -> None:
        if poll_seconds <= 0:
            raise ValueError("poll_seconds must be positive")
        self.store = store
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.seq: int | None = None

    async def poll_once(self) -> int:
        """Publish what changed since the last poll; returns how many changes were relayed."""
        if self.seq is None:
            self.seq = await self.store.latest_seq()
            return 0
        relayed = 0
        while True:
            changes = await self.store.changes_since(self.seq, limit=self.batch)
            for change in changes:
                self.bus.publish(JobChanged(job_id=change.job_id, change=change.kind, at=change.at))
            relayed += len(changes)
            if changes:
                self.seq = changes[-1].seq
            if len(changes) < self.batch:
                return relayed

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; a store hiccup is logged and retried on the next poll."""
        while not stop.is_set():
            try:
                await self.poll_once()
            except StoreError as exc:
                log.warning("change feed unavailable: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll_seconds)
