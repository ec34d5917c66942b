"""Claim a CRM record before pushing it to QuickBooks, so two engines never push the same record at once.

The pair lease (engine/guard.py) keeps a second engine from syncing the pair at all; the claim is the second line,
per record, for an engine that lost its lease mid-cycle or an operator tool running beside it. `ino_syncclaim` on
each synced table holds "<engine id>|<expires ISO UTC>"; it is written with `If-Match` on the ETag of the row the
job just read (no extra read), so of two engines claiming at once exactly one write succeeds (the other gets 412 and
waits). A claim of another engine still running defers the job with that reason; an expired claim, one whose engine
we found gone when taking over the pair lease, or one made before we took the lease (its engine no longer holds the
pair, so it stopped claiming) is ours to take. The write-back that links the record clears the claim in the same
request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from inolink_tui.domain.enums import CRM_ENTITY_SET_FOR, EntityType
from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.pair import iso
from inolink_tui.engine.deferral import Deferred
from inolink_tui.engine.guard import EngineIdentity, SharedRow, SharedRows, parse_time

CLAIM_COLUMN = "ino_syncclaim"
CLAIM_MAX = 100


def claim_value(engine_id: str, expires: datetime) -> str:
    return f"{engine_id}|{iso(expires)}"[:CLAIM_MAX]


def parse_claim(value: Any) -> tuple[str, datetime | None] | None:
    if not value:
        return None
    engine, _, until = str(value).partition("|")
    return engine, parse_time(until)


class RecordClaims:
    def __init__(
        self,
        rows: SharedRows,
        identity: EngineIdentity,
        *,
        ttl_seconds: float,
        retry_seconds: float,
        is_void: Callable[[str, datetime], bool] = lambda engine, claimed_at: False,
        clock: Callable[[], datetime] = utcnow,
        column: str = CLAIM_COLUMN,
    ) -> None:
        self.rows = rows
        self.column = column
        """The claim column in this org (`<prefix>_syncclaim`, from the CrmSchema)."""
        self.identity = identity
        self.ttl = timedelta(seconds=ttl_seconds)
        self.retry_seconds = retry_seconds
        self.is_void = is_void
        """(engine id, when it claimed) -> True when that claim no longer protects anything (see EngineGuard)."""
        self.clock = clock
        self.mine: set[tuple[EntityType, str]] = set()
        """Records this engine claimed and has not yet written back: only those claims are ours to clear."""

    async def claim(self, entity_type: EntityType, record_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """Claim the record (or raise Deferred naming who holds it); returns `row` with the claim in it."""
        entity_set = CRM_ENTITY_SET_FOR[entity_type]
        current: SharedRow | None
        if row.get("@odata.etag"):  # the row the job just read: its ETag and claim are current enough
            current = SharedRow(values=dict(row), etag=str(row["@odata.etag"]))
        else:
            current = await self.rows.read(entity_set, record_id, [self.column])
        if current is None:
            return dict(row)  # deleted meanwhile: the push finds out and reports it
        now = self.clock()
        held = parse_claim(current.values.get(self.column))
        if held is not None:
            engine, until = held
            mine = engine == self.identity.engine_id
            if not mine and until is not None and until > now and not self.is_void(engine, until - self.ttl):
                wait = max((until - now).total_seconds(), self.retry_seconds)
                raise Deferred(
                    f"the CRM record is being pushed by engine {engine} (claimed until {iso(until)})",
                    min(wait, self.ttl.total_seconds()),
                )
        value = claim_value(self.identity.engine_id, now + self.ttl)
        if not await self.rows.update_if(entity_set, record_id, {self.column: value}, current.etag):
            raise Deferred("the CRM record changed while being claimed (another engine?); trying again", 1.0)
        self.mine.add((entity_type, record_id.lower()))
        return {**row, CLAIM_COLUMN: value}

    def unclaim(self, entity_type: EntityType, record_id: str) -> dict[str, Any]:
        """The column change that ends our claim, sent with the write-back; nothing when the claim is not ours."""
        key = (entity_type, record_id.lower())
        if key not in self.mine:
            return {}
        self.mine.discard(key)
        return {self.column: None}
