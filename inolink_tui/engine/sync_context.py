"""What the parts of the Processor, and the parts of Cycles, share while they run.

The Processor (dispatch and failure policy), the push (engine/push.py), the pull (engine/pull.py) and the
per-cycle lookups (engine/lookups.py) are separate classes so each direction can grow on its own; they read
one SyncContext so that a credentials refusal, the record claims of the pair guard, or options swapped after
construction are seen by all of them at once. The three services of engine/cycles.py (engine/crm_scan.py,
engine/high_priority.py, engine/low_priority.py) share a CycleContext the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from inolink_tui.domain.events import EventBus, JobCreated
from inolink_tui.domain.jobs import LinkJob, NewJob
from inolink_tui.engine.claims import RecordClaims
from inolink_tui.engine.deferral import Deferred
from inolink_tui.engine.options import EngineOptions
from inolink_tui.engine.ports import AccountingPort, CrmPort, MappingMetadata
from inolink_tui.store.base import JobStore


def row_version(row: Mapping[str, Any]) -> str | None:
    """The CRM row version a link remembers, so our own write coming back is not taken for an edit."""
    value = row.get("versionnumber")
    return str(value) if value is not None else None


def qbo_display_name(entity: str, body: Mapping[str, Any]) -> str:
    """A QuickBooks record's name as users see it: DisplayName for customers, Name for items."""
    return str(body.get("DisplayName") if entity == "Customer" else body.get("Name") or "")


@dataclass
class Systems:
    """The two systems, the job store, the options, the event bus and the clock."""

    store: JobStore
    crm: CrmPort
    qbo: AccountingPort
    options: EngineOptions
    bus: EventBus
    clock: Callable[[], datetime]


@dataclass
class SyncContext(Systems):
    """What one Processor and its parts work with, with the cycle-wide state they share."""

    claims: RecordClaims | None = None
    """With the guard: each CRM record is claimed before it is pushed (engine/claims.py)."""
    metadata: MappingMetadata | None = None
    """Custom field definitions and choice options for the config's custom mappings (engine/custom_mapping.py)."""
    auth_failed: str | None = None
    """Set when a system refused our credentials this cycle: every other job would fail the same way."""

    def unclaim(self, job: LinkJob) -> dict[str, Any]:
        """The CRM columns that release this job's record claim (none without the guard)."""
        return self.claims.unclaim(job.entity_type, job.crm_record_id) if self.claims else {}

    def still_authorised(self) -> None:
        """After waiting for a lookup another worker was loading: stop if that load was refused."""
        if self.auth_failed is not None:
            raise Deferred(f"waiting for credentials: {self.auth_failed}", 60.0)


@dataclass
class CycleTally:
    """What a cycle did besides running jobs, for its CycleFinished event."""

    enqueued: int = 0
    echoes: int = 0
    records_updated: int = 0


@dataclass
class CycleContext(Systems):
    """What Cycles and its three services work with."""

    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set on shutdown: workers finish the job in hand and claim no more."""

    async def enqueue(self, jobs: list[NewJob]) -> int:
        """Enqueue (the store drops duplicates of open jobs) and announce the jobs actually created."""
        if not jobs:
            return 0
        result = await self.store.enqueue(jobs, now=self.clock())
        for job in await self.store.get_many(list(result.created)):
            self.bus.publish(
                JobCreated(job_id=job.id, entity_type=job.entity_type, source=job.source, record_name=job.record_name)
            )
        return len(result.created)


C = TypeVar("C", bound=Systems)


class UsesContext(Generic[C]):
    """Base of the parts: reads the shared context under the names the code always used (self.store, ...)."""

    def __init__(self, ctx: C) -> None:
        self.ctx = ctx

    @property
    def store(self) -> JobStore:
        return self.ctx.store

    @property
    def crm(self) -> CrmPort:
        return self.ctx.crm

    @property
    def qbo(self) -> AccountingPort:
        return self.ctx.qbo

    @property
    def options(self) -> EngineOptions:
        return self.ctx.options

    @options.setter
    def options(self, value: EngineOptions) -> None:
        """Tests swap options on a built engine; every part then sees the new ones."""
        self.ctx.options = value

    @property
    def bus(self) -> EventBus:
        return self.ctx.bus

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.ctx.clock
