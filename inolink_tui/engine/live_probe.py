"""Live mode's CRM probe: does change tracking show anything since the last scan? One `$batch` for all six tables.

Why one batch: the probe runs every few seconds while changes arrive and every `crm_max_seconds` at rest, and
Dataverse counts a `$batch` as one request toward its limit (connectors/dataverse_tracking.py cites the pages).
Six GETs a probe made a 15 s ceiling cost 2.7 % of Dataverse's budget; one batch lets the ceiling come down to
10 s for well under 1 %, which is what brings a lone promotion after a quiet stretch within 15 s.

Fallbacks, because Dataverse does not document change tracking inside a batch: a part that failed (an expired
delta link, say) is read again on its own (`CrmPort.changes`, which restarts an expired feed); a batch refused
whole (a 4xx other than 429, or an answer that is not a batch answer) makes this probe read one table at a time
from then on, as it did before, and says so once in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from inolink_tui.connectors.errors import ConnectorError, ProtocolError
from inolink_tui.domain.enums import EntityType
from inolink_tui.engine.cursors import NAMES_FIRST, crm_cursor_name
from inolink_tui.engine.ports import CrmPort
from inolink_tui.store.base import JobStore

log = logging.getLogger(__name__)

THROTTLED = 429


@dataclass(frozen=True, slots=True)
class ProbeRead:
    """One table's look: changed or not, the cursor to look from next time when not, or why its part failed."""

    changed: bool
    cursor: str | None = None
    failed: Exception | None = None


@runtime_checkable
class BatchedProbe(Protocol):
    """A CRM port that reads several tables' change tracking in one request (DataverseCrm)."""

    async def probe_changes(self, cursors: Mapping[EntityType, str]) -> dict[EntityType, ProbeRead]: ...


class CrmProbe:
    """Reads from the scan's own cursors (never moving them) and remembers, in memory only, how far quiet tables
    were read, so a quiet company costs one request per poll however long it stays quiet."""

    def __init__(self, crm: CrmPort, store: JobStore) -> None:
        self.crm = crm
        self.store = store
        self.batched: BatchedProbe | None = crm if isinstance(crm, BatchedProbe) else None
        self._read_to: dict[str, str] = {}

    def reset(self) -> None:
        """A full cycle just read the changes: start again from its cursors."""
        self._read_to.clear()

    async def changed(self) -> bool:
        cursors: dict[EntityType, str] = {}
        for et in NAMES_FIRST:
            name = crm_cursor_name(et)
            cursor = self._read_to.get(name) or await self.store.get_cursor(name)
            if cursor is None:
                return True  # never scanned: the cycle primes the feeds
            cursors[et] = cursor
        if self.batched is not None:
            reads = await self._batch(self.batched, cursors)
            if reads is not None:
                return await self._settle(reads, cursors)
        for et, cursor in cursors.items():
            if await self._one(et, cursor):
                return True
        return False

    async def _batch(
        self, batched: BatchedProbe, cursors: Mapping[EntityType, str]
    ) -> dict[EntityType, ProbeRead] | None:
        """The batch's answers, or None when the batch was refused whole (batching stops for good)."""
        try:
            return await batched.probe_changes(cursors)
        except ProtocolError as exc:
            why = str(exc)
        except ConnectorError as exc:
            if exc.status is None or exc.status == THROTTLED or exc.status >= 500:
                raise  # unreachable or busy: the poll fails as a single GET would, and batching stays on
            why = str(exc)
        log.warning("live mode: Dataverse refused change tracking in a $batch (%s); reading each table on its own", why)
        self.batched = None
        return None

    async def _settle(self, reads: Mapping[EntityType, ProbeRead], cursors: Mapping[EntityType, str]) -> bool:
        if any(read.changed and read.failed is None for read in reads.values()):
            return True  # the full cycle reads every table from the scan's cursors: no need to look further
        for et, cursor in cursors.items():
            read = reads.get(et)
            if read is not None and read.failed is None:
                if read.cursor is not None:
                    self._read_to[crm_cursor_name(et)] = read.cursor
                continue
            why = read.failed if read is not None else "no part"
            log.info("live mode: %s change tracking failed in the batch (%s); read alone", et.value, why)
            if await self._one(et, cursor):
                return True
        return False

    async def _one(self, et: EntityType, cursor: str) -> bool:
        found = await self.crm.changes(et, cursor)
        if found.rows or found.removed:
            return True
        self._read_to[crm_cursor_name(et)] = found.cursor
        return False
