"""One engine per (Dynamics org, QuickBooks company) pair, whatever database or machine it runs from.

Why here and not in the job database: two engines with different `--db` files share nothing but the two
systems they sync, so the scheduler lease inside each database cannot see the other (issue 12: 28 duplicate
invoices from two `--once` runs). The guard keeps its state in Dataverse, which every engine of the pair
reaches, and relies only on Dataverse's optimistic concurrency, so two engines can never both win:

- the pair lease is one `ino_synclease` row per pair, named "<org host>|<realm id>", whose primary key is
  derived from that name (so every engine addresses the same row). It is created with `If-None-Match: *`
  (the second creator gets 412), and renewed, taken over when expired, or released with `If-Match: <ETag>`
  (a writer that read an older version gets 412). Microsoft Learn, "Perform conditional operations using the
  Web API": https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api
- `ino_holder` says who holds it (host:pid, engine id, database), `ino_expireson` until when (UTC). A holder
  renews every third of the time-to-live; a crashed holder's lease lapses, or is taken over at once when it ran
  on this host and its process is gone.
Clocks: expiry is compared with this machine's clock, so hosts must keep roughly the right time (NTP); a skew
shorter than the time-to-live cannot let two engines overlap for longer than the skew.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from inolink_tui.domain.jobs import utcnow
from inolink_tui.domain.pair import PairHeld, iso

log = logging.getLogger(__name__)

LEASE_SET = "ino_syncleases"
LEASE_KEY = "ino_syncleaseid"
"""The default (prefix "ino") names; an org set up with another prefix passes its own `LeaseNames`."""
LEASE_NAME_MAX = 100
HOLDER_MAX = 200
_NAMESPACE = uuid.UUID("0b6f1a52-3c1e-4d8e-9f57-2a4e6f0d1c93")
_HOLDER = re.compile(r"^(?P<host>[^:\s]+):(?P<pid>\d+) engine (?P<engine>[0-9a-f]+)")


@dataclass(frozen=True, slots=True)
class LeaseNames:
    """The lease table's entity set and columns in one org: `<prefix>_syncleases`, `<prefix>_name`, ...

    Built from the org's `CrmSchema` prefix so that `crm setup` with another publisher prefix and the guard agree.
    """

    prefix: str = "ino"

    @property
    def entity_set(self) -> str:
        return f"{self.prefix}_syncleases"

    @property
    def name(self) -> str:
        return f"{self.prefix}_name"

    @property
    def holder(self) -> str:
        return f"{self.prefix}_holder"

    @property
    def expires_on(self) -> str:
        return f"{self.prefix}_expireson"


@dataclass(frozen=True, slots=True)
class SharedRow:
    """A row read from the shared system, with the ETag a conditional write must send back."""

    values: dict[str, Any]
    etag: str


@runtime_checkable
class SharedRows(Protocol):
    """Conditional reads and writes on Dataverse rows: the only primitives the guard needs."""

    async def read(self, entity_set: str, row_id: str, columns: list[str]) -> SharedRow | None:
        """The row's columns and ETag, or None when there is no such row."""
        ...

    async def create_only(self, entity_set: str, row_id: str, values: dict[str, Any]) -> bool:
        """Create the row with this id (`If-None-Match: *`); False when it already exists (412)."""
        ...

    async def update_if(self, entity_set: str, row_id: str, values: dict[str, Any], etag: str) -> bool:
        """Update when the row still has this ETag (`If-Match`); False when it changed (412) or is gone (404)."""
        ...


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def pair_key(org_url: str, realm_id: str) -> str:
    """ "<org host>|<realm id>": what identifies the pair to every engine (at most 100 characters)."""
    host = (urlsplit(org_url).netloc or org_url).lower()
    return f"{host}|{realm_id}"[:LEASE_NAME_MAX]


@dataclass(frozen=True, slots=True)
class EngineIdentity:
    """This engine process: its id goes into claims, the full description into the lease's holder."""

    engine_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    database: str = ""

    @property
    def holder(self) -> str:
        return f"{self.host}:{self.pid} engine {self.engine_id} db {self.database}"[:HOLDER_MAX]


def holder_is_dead(holder: str, *, host: str | None = None) -> bool:
    """True only when the holder ran on this host and its process is gone (another host's pid means nothing)."""
    found = _HOLDER.match(holder or "")
    if found is None or found["host"] != (host or socket.gethostname()):
        return False
    try:
        os.kill(int(found["pid"]), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive but another user's (EPERM)
        return False
    return False


def engine_of(holder: str) -> str | None:
    found = _HOLDER.match(holder or "")
    return found["engine"] if found else None


class PairLease:
    """Take, renew and release the pair's lease row; every write is conditional on what was read."""

    def __init__(
        self,
        rows: SharedRows,
        pair: str,
        identity: EngineIdentity,
        *,
        ttl_seconds: float,
        clock: Callable[[], datetime] = utcnow,
        names: LeaseNames | None = None,
    ) -> None:
        self.rows = rows
        self.names = names or LeaseNames()
        self.pair = pair
        self.identity = identity
        self.ttl = timedelta(seconds=ttl_seconds)
        self.clock = clock
        self.row_id = str(uuid.uuid5(_NAMESPACE, pair))
        self.held = False
        self.acquired_at: datetime | None = None
        """When this engine last came to hold the lease (not when it last renewed it)."""
        self.problem: str | None = None
        """Who holds the pair when we do not (shown as a problem), None while we hold it."""
        self.dead_engines: set[str] = set()
        """Engine ids whose lease we took over because their process is gone: their record claims are void."""

    async def acquire(self) -> None:
        """Hold the lease (take it, renew it, or take over an expired or dead one); raise PairHeld otherwise."""
        n = self.names
        for _ in range(3):
            now = self.clock()
            values = {n.name: self.pair, n.holder: self.identity.holder, n.expires_on: iso(now + self.ttl)}
            current = await self.rows.read(n.entity_set, self.row_id, [n.name, n.holder, n.expires_on])
            if current is None:
                if await self.rows.create_only(n.entity_set, self.row_id, values):
                    return self._won()
                continue  # another engine created it between our read and our write: read again
            holder = str(current.values.get(n.holder) or "")
            until = parse_time(current.values.get(n.expires_on))
            mine = holder == self.identity.holder
            expired = until is None or until <= now
            dead = not mine and not expired and holder_is_dead(holder, host=self.identity.host)
            if not (mine or expired or dead):
                self._lost(PairHeld(self.pair, holder, until))
            if await self.rows.update_if(n.entity_set, self.row_id, values, current.etag):
                if not mine and (engine := engine_of(holder)):
                    if dead or expired:
                        self.dead_engines.add(engine)
                    why = "its process is gone" if dead else "expired"
                    log.warning("took over the lease of %s from %s (%s)", self.pair, holder, why)
                return self._won()
        current = await self.rows.read(n.entity_set, self.row_id, [n.holder, n.expires_on])
        holder = str(current.values.get(n.holder) or "") if current else ""
        self._lost(PairHeld(self.pair, holder, parse_time(current.values.get(n.expires_on)) if current else None))

    def _won(self) -> None:
        if not self.held:
            self.acquired_at = self.clock()
            log.info("holding the sync lease of %s as %s", self.pair, self.identity.holder)
        self.held = True
        self.problem = None

    def _lost(self, held: PairHeld) -> None:
        self.held = False
        self.problem = str(held)
        raise held

    async def release(self) -> None:
        """End our lease now (expiry set to now) so the next engine need not wait; best effort."""
        if not self.held:
            return
        self.held = False
        n = self.names
        try:
            current = await self.rows.read(n.entity_set, self.row_id, [n.holder])
            if current is not None and current.values.get(n.holder) == self.identity.holder:
                await self.rows.update_if(n.entity_set, self.row_id, {n.expires_on: iso(self.clock())}, current.etag)
                log.info("released the sync lease of %s", self.pair)
        except Exception as exc:  # the lease simply expires
            log.warning("could not release the sync lease of %s (%s); it expires on its own", self.pair, exc)
