"""What `R` does with marked jobs, said before it does it.

Marks outlive a change of view or filter (an operator may mark a few jobs in Failed, then look at All before
requeueing), but `R` is read as "requeue what I see". So the plan counts the marked Error jobs that the
current view and filter no longer show, the confirmation names them, and the confirmation is asked even when
`[ui] confirm_bulk` is off: before, jobs marked in another view were requeued without a word.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.store.base import JobPage

SHOWN_IDS = 8
"""How many ids of marked jobs outside the view the confirmation lists before saying "and N more"."""


class _Store(Protocol):
    async def get_many(self, ids: list[int]) -> list[LinkJob]: ...

    async def page(
        self, filter: JobFilter | None = None, *, limit: int = 100, now: datetime | None = None
    ) -> JobPage: ...


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _ids(ids: Iterable[int]) -> str:
    ids = sorted(ids)
    shown = ", ".join(f"#{i}" for i in ids[:SHOWN_IDS])
    return shown + (f" and {len(ids) - SHOWN_IDS:,} more" if len(ids) > SHOWN_IDS else "")


@dataclass(frozen=True, slots=True)
class MarkedRequeue:
    errors: tuple[int, ...]
    """Marked jobs in Error: the ones `R` requeues."""
    others: int
    """Marked jobs not in Error (left alone)."""
    outside: tuple[int, ...]
    """Marked Error jobs the current view and filter do not show."""
    scope: JobFilter

    @property
    def question(self) -> str:
        jobs = f"{_plural(len(self.errors), 'marked Error job')}"
        if not self.outside:
            return f"Requeue {jobs}?"
        where = self.scope.describe() or "view:all"
        return f"Requeue {jobs}, {len(self.outside):,} of them outside this view ({where})?"

    @property
    def detail(self) -> str:
        parts = []
        if self.outside:
            parts.append(f"Marked outside this view: {_ids(self.outside)}.")
        if self.others:
            parts.append(f"{self.others:,} marked job(s) are not in Error and will be left alone.")
        return " ".join(parts)

    @property
    def done(self) -> str:
        """The tail of the result message (it stands even when no confirmation was asked)."""
        return f" ({len(self.outside):,} of them marked outside this view)" if self.outside else ""


async def plan_marked_requeue(store: _Store, marked: Iterable[int], scope: JobFilter, now: datetime) -> MarkedRequeue:
    ids = sorted(marked)
    jobs = await store.get_many(ids)
    errors = tuple(j.id for j in jobs if j.link_status is LinkStatus.ERROR)
    in_scope: set[int] = set()
    if errors:
        wanted = tuple(set(errors) & set(scope.ids)) if scope.ids else errors
        if wanted:
            page = await store.page(replace(scope, ids=wanted), limit=len(wanted), now=now)
            in_scope = {j.id for j in page.jobs}
    outside = tuple(i for i in errors if i not in in_scope)
    return MarkedRequeue(errors=errors, others=len(ids) - len(errors), outside=outside, scope=scope)
