"""The in-memory store's tables beside the jobs: record links, change feed, audit, cursors, lease, requests."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.jobs import LinkJob, utcnow
from inolink_tui.domain.links import RecordLink
from inolink_tui.store.base import AuditEntry, Change, ControlRequest, ReadOnlyError, SchedulerLease


async def io_pause() -> None:
    """A real store awaits I/O in every mutating call: let cancellation land there too."""
    await asyncio.sleep(0)


def lease_for(holder: str, now: datetime, seconds: float = 60) -> SchedulerLease:
    return SchedulerLease(holder=holder, pid=4242, until=now + timedelta(seconds=seconds))


class SideTables:
    read_only: bool

    def __init__(self, *, read_only: bool = False, now: datetime | None = None) -> None:
        self.read_only = read_only
        self.jobs: dict[int, LinkJob] = {}
        self.keys: dict[int, str] = {}
        self.links: dict[tuple[EntityType, str], RecordLink] = {}
        self.changes: list[Change] = []
        self.audit: list[AuditEntry] = []
        self.requests: list[ControlRequest] = []
        self.cursors: dict[str, str] = {}
        self.lease: SchedulerLease | None = None
        self.reads = 0
        self._now = now

    def _clock(self, now: datetime | None) -> datetime:
        return now or self._now or utcnow()

    def _change(self, job_id: int, kind: str, now: datetime) -> None:
        self.changes.append(Change(len(self.changes) + 1, job_id, kind, now))

    def _refuse(self, what: str) -> None:
        if self.read_only:
            raise ReadOnlyError(f"read-only: {what} refused (started with --read-only)")

    async def close(self) -> None:
        return None

    # --- record links ------------------------------------------------------------------------
    async def get_link(self, entity_type: EntityType, crm_id: str) -> RecordLink | None:
        return self.links.get((entity_type, crm_id.lower()))

    async def find_link_by_qbo(self, qbo_entity: str, qbo_id: str, company: str) -> RecordLink | None:
        for link in self.links.values():
            if link.qbo_entity == qbo_entity and link.qbo_id == qbo_id and link.company == company:
                return link
        return None

    async def links(self, entity_type: EntityType, company: str) -> list[RecordLink]:
        found = [k for k in self.links.values() if k.entity_type is entity_type and k.company == company]
        return sorted(found, key=lambda k: k.crm_id.lower())

    async def upsert_link(self, link: RecordLink) -> None:
        await io_pause()
        self.links[(link.entity_type, link.crm_id.lower())] = link

    # --- change feed, audit, requests --------------------------------------------------------
    async def latest_seq(self) -> int:
        return len(self.changes)

    async def changes_since(self, seq: int, *, limit: int = 1000) -> list[Change]:
        return self.changes[seq : seq + limit]

    async def audit_log(self, *, limit: int = 100) -> list[AuditEntry]:
        return list(reversed(self.audit))[:limit]

    async def record_audit(
        self, actor: str, action: str, detail: str, job_count: int, *, now: datetime | None = None
    ) -> int:
        self._refuse(action)
        entry = AuditEntry(len(self.audit) + 1, self._clock(now), actor, action, detail, job_count)
        self.audit.append(entry)
        return entry.id

    async def get_cursor(self, name: str) -> str | None:
        return self.cursors.get(name)

    async def set_cursor(self, name: str, value: str) -> None:
        await io_pause()
        self.cursors[name] = value

    async def acquire_scheduler_lease(
        self, holder: str, pid: int, *, ttl_seconds: float, now: datetime | None = None
    ) -> SchedulerLease | None:
        """Take or renew the lease; the other holder's lease while it has not lapsed (compare `holder`)."""
        self._refuse("taking the scheduler lease")
        at = self._clock(now)
        if self.lease is None or self.lease.holder == holder or self.lease.until <= at:
            self.lease = SchedulerLease(holder, pid, at + timedelta(seconds=ttl_seconds))
        return self.lease

    async def release_scheduler_lease(self, holder: str) -> None:
        if self.lease is not None and self.lease.holder == holder:
            self.lease = None

    async def scheduler_lease(self, *, now: datetime | None = None) -> SchedulerLease | None:
        if self.lease and self.lease.until > self._clock(now):
            return self.lease
        return None

    async def post_request(self, actor: str, kind: str, args: dict[str, Any], *, now: datetime | None = None) -> int:
        self._refuse(kind)
        at = self._clock(now)
        request = ControlRequest(len(self.requests) + 1, at, actor, kind, args)
        self.requests.append(request)
        await self.record_audit(actor, f"request:{kind}", str(args), 0, now=at)
        return request.id

    async def take_requests(self, taker: str, *, now: datetime | None = None) -> list[ControlRequest]:
        fresh = [r for r in self.requests if r.taken_by is None]
        self.requests = [replace(r, taken_by=taker) if r.taken_by is None else r for r in self.requests]
        return fresh
