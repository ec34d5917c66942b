"""The job table's paging strategy, apart from the widget (Toolong keeps its log model apart from its view).

The table shows a store of any size but holds one window of rows around the viewport. Which rows that
window holds, how they are read (keyset after the row just above while scrolling, by offset on a jump,
mirrored from the end in the second half so End on a million rows reads 150 rows instead of skipping
999,850) and where the cursor lands after a reread are decided here, in plain Python: this module
imports no Textual, so the strategy is tested without a terminal (tests/ui/test_window.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.store.base import JobPage, JobStore

MARGIN_SCREENS = 3
"""Screens of rows read above and below the viewport, so paging paints from memory."""
PREFETCH_SCREENS = 1
"""Read the next window when the viewport comes this close to the edge of the current one."""
MIN_MARGIN = 50
"""Rows read on each side at least, however small the terminal."""


class PagedStore(Protocol):
    """The two reads of `JobStore` the window uses."""

    async def page(
        self,
        filter: JobFilter | None = None,
        sort: JobSort | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        now: datetime | None = None,
    ) -> JobPage: ...

    async def page_after(
        self,
        filter: JobFilter | None,
        sort: JobSort,
        after: LinkJob | None,
        *,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[LinkJob]: ...


@dataclass(frozen=True, slots=True)
class Load:
    """What the next window read must do; merged when requests pile up while one read runs."""

    recount: bool = False
    reset: bool = False
    anchor: bool = False
    """Keep the cursor on the same job (live refresh) rather than on the same row index."""

    def merge(self, other: Load) -> Load:
        return Load(
            recount=self.recount or other.recount,
            reset=self.reset or other.reset,
            anchor=(self.anchor or other.anchor) and not (self.reset or other.reset),
        )


def margin(visible_rows: int) -> int:
    """Rows read above and below the viewport."""
    return max(MIN_MARGIN, MARGIN_SCREENS * visible_rows)


def window_span(viewport: int, visible_rows: int) -> tuple[int, int]:
    """(first row, row count) of the window to read for a viewport whose top row is `viewport`."""
    rows = margin(visible_rows)
    return max(0, viewport - rows), visible_rows + 2 * rows


@dataclass(frozen=True, slots=True)
class Window:
    """The rows held: `jobs` are rows `offset` .. `offset + len(jobs) - 1` of the filtered, sorted listing."""

    offset: int = 0
    jobs: tuple[LinkJob, ...] = ()

    @property
    def end(self) -> int:
        return self.offset + len(self.jobs)

    def job_at(self, row: int) -> LinkJob | None:
        index = row - self.offset
        return self.jobs[index] if 0 <= index < len(self.jobs) else None

    def row_of(self, job_id: int) -> int | None:
        """The row of a job held in the window, if it is."""
        return next((self.offset + i for i, job in enumerate(self.jobs) if job.id == job_id), None)

    def covers(self, top: int, visible_rows: int, total: int) -> bool:
        """True while the window holds the viewport plus a screen of slack on each side that has rows."""
        slack = PREFETCH_SCREENS * visible_rows
        first = max(0, top - slack)
        last = min(total, top + visible_rows + slack)
        return self.offset <= first and (last <= self.end or self.end >= total)

    def trimmed(self, top: int, visible_rows: int) -> Window:
        """At most the rows a read for this viewport holds (`window_span`): the first window is read for the terminal's
        height before the table knows its own (`read_first_window`)."""
        start, limit = window_span(top, visible_rows)
        first, last = max(self.offset, start), min(self.end, start + limit)
        if first >= last or (first, last) == (self.offset, self.end):
            return self
        return Window(first, self.jobs[first - self.offset : last - self.offset])

    def with_job(self, job: LinkJob) -> Window | None:
        """The window with `job` replacing the row of the same id, or None when it holds no such row."""
        row = self.row_of(job.id)
        if row is None:
            return None
        index = row - self.offset
        return Window(self.offset, (*self.jobs[:index], job, *self.jobs[index + 1 :]))


async def read_window(
    store: PagedStore,
    job_filter: JobFilter,
    sort: JobSort,
    *,
    start: int,
    limit: int,
    total: int,
    before: LinkJob | None,
    now: datetime,
) -> list[LinkJob]:
    """Read rows `start` .. `start + limit - 1` the cheapest way the store allows.

    From the top and after a known row (`before`, the row at `start - 1`, while scrolling) by keyset, which costs
    what it returns; in the second half mirrored from the end (an OFFSET costs what it skips); elsewhere by offset.
    """
    if start == 0:
        return await store.page_after(job_filter, sort, None, limit=limit, now=now)
    if before is not None:
        return await store.page_after(job_filter, sort, before, limit=limit, now=now)
    if start > total // 2:
        return await read_from_the_end(store, job_filter, sort, start=start, limit=limit, total=total, now=now)
    page = await store.page(job_filter, sort, offset=start, limit=limit, now=now)
    return list(page.jobs)


async def read_from_the_end(
    store: PagedStore,
    job_filter: JobFilter,
    sort: JobSort,
    *,
    start: int,
    limit: int,
    total: int,
    now: datetime,
) -> list[LinkJob]:
    """A window in the second half, read in the reversed order (ties break on id in the sort's direction, so
    the reversed listing is exactly the mirror)."""
    mirror = JobSort(sort.column, not sort.descending)
    end = min(total, start + limit)
    if end == total:
        jobs = await store.page_after(job_filter, mirror, None, limit=end - start, now=now)
    else:
        page = await store.page(job_filter, mirror, offset=total - end, limit=end - start, now=now)
        jobs = list(page.jobs)
    jobs.reverse()
    return jobs


@dataclass(frozen=True, slots=True)
class Placement:
    """Where the table stands after a window was read."""

    total: int
    """The row count, raised when rows arrived between the count and the read."""
    cursor: int
    scroll_to: int | None
    """The new top row when the viewport must follow the cursor's job, else None."""


def place(window: Window, *, total: int, cursor: int, anchor: LinkJob | None, viewport: int) -> Placement:
    """Keep the cursor in range, and on `anchor` (its job before a live reread) if the window still holds it:
    the viewport then moves by as many rows as the job did, so the row stays where the eye was."""
    total = max(total, window.end)
    placed = min(cursor, max(0, total - 1))
    scroll_to = None
    if anchor is not None:
        row = window.row_of(anchor.id)
        if row is not None:
            moved = row - cursor
            if moved and viewport > 0:
                scroll_to = viewport + moved
            placed = row
    return Placement(total, placed, scroll_to)


@dataclass(frozen=True, slots=True)
class FirstWindow:
    """The table's first window, read before Textual lays out and draws the first frame (`read_first_window`)."""

    job_filter: JobFilter
    sort: JobSort
    first_seq: int
    total: int
    start: int
    jobs: tuple[LinkJob, ...]
    elapsed: float


async def read_first_window(
    store: JobStore, job_filter: JobFilter, sort: JobSort, *, rows: int, now: datetime
) -> FirstWindow:
    """What the table's first load reads (the feed's position, the count, the window from the top), for a viewport
    of at most `rows` rows: read while the app starts, the first frame Textual draws already holds the rows, instead
    of a "Loading jobs…" frame and then a second one, paced by Textual's 60 fps refresh timer, holding them.

    It holds the viewport and the screen below it (the slack `Window.covers` asks for), not the table's usual three
    screens each side (`window_span`): 2 x `rows` jobs to decode before the first frame instead of 7 x (about 1 ms
    instead of 3.5 at 50 rows, measured); the rest comes with the first scroll, by keyset."""
    started = time.perf_counter()
    first_seq = await store.latest_seq()
    total = await store.count(job_filter, now=now)
    jobs = await read_window(store, job_filter, sort, start=0, limit=2 * rows, total=total, before=None, now=now)
    return FirstWindow(job_filter, sort, first_seq, total, 0, tuple(jobs), time.perf_counter() - started)
