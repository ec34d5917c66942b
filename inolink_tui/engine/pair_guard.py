"""The guard as the engine runs it: the pair lease held around every cycle, renewed while the engine runs.

- `--once` takes the lease first and refuses (`PairHeld`, exit 3) when another engine holds it;
- the daemon and the console keep trying in the background: while another engine holds the pair every cycle
  ends at once with that engine named (logged, and shown as the "Sync pair" connection's problem), and when the
  lease comes free the services that are due run;
- a lease lost while running (another engine took it over after our renewals failed) stops claiming jobs
  until it is held again.

A renewal while we hold the lease is one request when the rows can do it (`VersionedRows`: DataverseRows): the
lease row written again with `If-Match` on the version our own last write left, which succeeds only if no engine
wrote the row since, i.e. it still names us. Anything else (412: someone wrote it; an unknown version) falls back to
reading the row and deciding (`PairLease.acquire`, two requests), so the guarantees are the conditional writes'
as before: of two engines, only one can ever hold the pair. Renewing every 20 s cost 360 Dataverse requests an hour
in two requests each; in one, 180 (0.25 % of the 72,000 an hour Dataverse allows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from inolink_tui.connectors.errors import ConnectorError
from inolink_tui.domain.events import CycleFinished, EventBus
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.pair import PairHeld, iso
from inolink_tui.domain.vocabulary import ConnectionState, System
from inolink_tui.engine.claims import CLAIM_COLUMN, RecordClaims
from inolink_tui.engine.guard import EngineIdentity, LeaseNames, PairLease, SharedRows

log = logging.getLogger(__name__)

Cycle = Callable[[], Awaitable[CycleFinished]]
SETUP_HINT = (
    " (the org needs the sync lease table and sync claim columns that `crm setup` creates: see README, Never twice)"
)


FULL_RENEWAL_REQUESTS = 2
"""`PairLease.acquire` while we hold the lease: read the row, write it back on the version read."""


@runtime_checkable
class VersionedRows(Protocol):
    """Shared rows that remember the version of their own writes and can write again on that version alone."""

    def keep_versions(self, entity_set: str) -> None: ...

    async def update_unchanged(self, entity_set: str, row_id: str, values: dict[str, Any]) -> bool: ...


class EngineGuard:
    def __init__(
        self,
        rows: SharedRows,
        pair: str,
        identity: EngineIdentity,
        *,
        lease_seconds: float,
        claim_seconds: float,
        clock: Callable[[], datetime] = utcnow,
        names: LeaseNames | None = None,
        claim_column: str = CLAIM_COLUMN,
    ) -> None:
        self.lease = PairLease(rows, pair, identity, ttl_seconds=lease_seconds, clock=clock, names=names)
        self.claims = RecordClaims(
            rows,
            identity,
            ttl_seconds=claim_seconds,
            retry_seconds=min(5.0, lease_seconds / 3),
            is_void=self._claim_void,
            clock=clock,
            column=claim_column,
        )
        self.renew_every = max(lease_seconds / 3, 0.05)
        self._versioned = rows if isinstance(rows, VersionedRows) else None
        if self._versioned is not None:
            self._versioned.keep_versions(self.lease.names.entity_set)
        self.renewal_requests = 1 if self._versioned is not None else FULL_RENEWAL_REQUESTS
        """Dataverse requests the last renewal took (1 on the fast path): what `requests_per_hour` reports."""
        self._confirmed = -float("inf")
        """When (monotonic) the lease was last taken or renewed: a cycle within `renew_every` of it skips the check."""
        self._keeper: asyncio.Task[None] | None = None
        self.on_lost: Callable[[], None] = lambda: None
        self.on_regained: Callable[[], None] = lambda: None
        self.skipped: set[str] = set()
        """Services whose cycle was skipped while another engine held the pair: run when it comes free."""

    def _claim_void(self, engine: str, claimed_at: datetime) -> bool:
        """A claim protects nothing once its engine is known gone, or when it was made before we took the pair
        (the engine that made it no longer holds the lease, so it claims nothing new)."""
        acquired = self.lease.acquired_at if self.lease.held else None
        return engine in self.lease.dead_engines or (acquired is not None and claimed_at < acquired)

    @property
    def pair(self) -> str:
        return self.lease.pair

    def connection(self) -> ConnectionState:
        """The lease as the console's connection panel shows it: held, or who holds it instead."""
        return ConnectionState(System.PAIR, connected=self.lease.held, problem=self.lease.problem)

    def guarded(self, service: str, cycle: Cycle, bus: EventBus) -> Cycle:
        """`cycle`, run only while this engine holds the pair; otherwise a finished cycle naming the holder."""

        async def run() -> CycleFinished:
            if self.lease.held and time.monotonic() - self._confirmed < self.renew_every:
                # Held and confirmed a moment ago (two thirds of its time-to-live left): live mode runs a cycle every
                # few seconds, and rereading the lease each time would double its idle cost in CRM requests.
                return await cycle()
            try:
                await self.renew()
            except PairHeld as held:
                log.warning("%s cycle skipped: %s", service, held)
                self.skipped.add(service)
                return self._skipped(service, str(held), bus)
            except Exception as exc:  # Dataverse unreachable, or the org lacks the lease table
                log.warning("%s cycle skipped: could not take the sync lease of %s: %s", service, self.pair, exc)
                hint = SETUP_HINT if isinstance(exc, ConnectorError) and exc.status in (400, 404) else ""
                return self._skipped(service, f"could not take the sync lease of {self.pair}: {exc}{hint}", bus)
            self._confirmed = time.monotonic()
            return await cycle()

        return run

    async def renew(self) -> None:
        """Hold the lease: in one request when we hold it and its row is as our last write left it, else as
        `PairLease.acquire` does (raises `PairHeld` when another engine holds it)."""
        lease = self.lease
        tried = 0
        if lease.held and self._versioned is not None:
            n = lease.names
            values = {n.name: lease.pair, n.holder: lease.identity.holder, n.expires_on: iso(lease.clock() + lease.ttl)}
            if await self._versioned.update_unchanged(n.entity_set, lease.row_id, values):
                self.renewal_requests = 1
                return
            tried = 1
        self.renewal_requests = tried + FULL_RENEWAL_REQUESTS
        await lease.acquire()

    def requests_per_hour(self) -> float:
        """Dataverse requests an hour the renewals cost, whatever else happens (live mode's idle-cost report)."""
        return self.renewal_requests * 3600.0 / self.renew_every

    @staticmethod
    def _skipped(service: str, reason: str, bus: EventBus) -> CycleFinished:
        finished = CycleFinished(service=service, duration_seconds=0.0, error=reason)
        bus.publish(finished)
        return finished

    async def _keep(self) -> None:
        """Renew every third of the time-to-live; report a loss and a regain once each."""
        last_ok = time.monotonic()
        while True:
            await asyncio.sleep(self.renew_every)
            had = self.lease.held
            try:
                await self.renew()
            except PairHeld as held:
                if had:
                    log.error("lost the sync lease: %s; claiming no more jobs", held)
                    self.on_lost()
                continue
            except Exception as exc:  # Dataverse unreachable: keep the lease until its time is up
                log.warning("could not renew the sync lease of %s: %s", self.pair, exc)
                if had and time.monotonic() - last_ok > self.lease.ttl.total_seconds():
                    self.lease.held = False
                    self.lease.problem = f"could not renew the sync lease: {exc}"
                    self.on_lost()
                continue
            last_ok = self._confirmed = time.monotonic()
            if not had:
                self.on_regained()

    def start(self) -> None:
        if self._keeper is None:
            self._keeper = asyncio.create_task(self._keep(), name="sync-pair-lease")

    async def stop(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        await self.lease.release()
