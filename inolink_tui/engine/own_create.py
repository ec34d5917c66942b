"""Is an unlinked QuickBooks record one of our own CRM -> QuickBooks creates, not saved as linked yet?

A CRM -> QuickBooks job saves the record link right after QuickBooks answers its create (engine/push.py), but
QuickBooks announces the new record at once: a webhook, then the High Priority CDC read, can see it before that
link exists (the job is still running), and an older job may have created it just before its process died. A Link
Job of Source Accounting that creates a CRM record for it would duplicate the CRM record the push started from
(whenever QuickBooks' name differs from CRM's, e.g. a ':' QuickBooks forbids, linking by name cannot catch it). So
the pull waits for such a job: once it is done the record link exists and the pull becomes an update.

Which jobs: open CRM jobs of the same Entity Type older than the pull's, running now (leased) or found by the
record's name (or, when QuickBooks' name has a '-' that may have been CRM's ':', by its longest piece: a job whose
create was answered too late, or whose process died, is Queued and not running), compared by the name QuickBooks
was sent (`qbo_name`), not the CRM name the job shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.domain.mapping.records import qbo_name
from inolink_tui.engine.deferral import Deferred
from inolink_tui.store.base import JobStore

RUNNING_LIMIT = 500
"""Running jobs read at most: leases are held by the workers of the engines sharing the store (a few dozen)."""
NAMED_LIMIT = 20
FRAGMENT_LIMIT = 200
"""Jobs read for a piece of a name: a piece matches more jobs than a whole name does."""


def _fragment(name: str) -> str | None:
    """The longest piece of a QuickBooks name between its '-'s: the CRM name may hold a ':' there (QuickBooks
    forbids it, `qbo_name` sent '-'), so the job's own name, as CRM has it, holds the piece but not the whole."""
    if "-" not in name:
        return None
    piece = max((p.strip() for p in name.split("-")), key=len)
    return piece if len(piece) >= 3 else None


def _sent_names(job: LinkJob) -> set[str]:
    """The names this CRM job may have given its QuickBooks record, folded."""
    return {job.record_name.casefold(), qbo_name(job.record_name).casefold()}


async def creator_job(
    store: JobStore, job: LinkJob, et: EntityType, names: Iterable[str], *, now: datetime
) -> LinkJob | None:
    """The older open CRM job that may have created the QuickBooks record named `names`, if there is one."""
    folded = {n.casefold() for n in names if n}
    if not folded:
        return None
    base = JobFilter(statuses=(LinkStatus.QUEUED,), sources=(Source.CRM,), entity_types=(et,))
    running = await store.page(replace(base, processing=True), limit=RUNNING_LIMIT, now=now)
    candidates = list(running.jobs)
    for name in sorted(folded):
        named = await store.page(replace(base, text=name), limit=NAMED_LIMIT, now=now)
        candidates += named.jobs
        if (piece := _fragment(name)) is not None:
            candidates += (await store.page(replace(base, text=piece), limit=FRAGMENT_LIMIT, now=now)).jobs
    for other in candidates:
        if other.id < job.id and _sent_names(other) & folded:
            return other
    return None


async def wait_for_own_create(
    store: JobStore, job: LinkJob, et: EntityType, names: Iterable[str], *, clock: Callable[[], datetime], poll: float
) -> None:
    """Raise Deferred while an older CRM job may be the one that created this QuickBooks record."""
    other = await creator_job(store, job, et, names, now=clock())
    if other is not None:
        raise Deferred(
            f"waiting for the older CRM job {other.id} of {other.record_name!r}: it may have created this "
            "QuickBooks record",
            poll,
            dependency=True,
            other_service=True,
        )
