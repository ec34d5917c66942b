"""The job table's paging strategy without a terminal: which rows, read how, and where the cursor lands."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime

from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.store.base import JobPage
from inolink_tui.ui.window import (
    MIN_MARGIN,
    Load,
    Window,
    margin,
    place,
    read_window,
    window_span,
)
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, make_job

NEWEST_FIRST = JobSort("id", descending=True)


@dataclass
class Recording:
    """A store that says how each window was read (and by which sort), over the in-memory store."""

    store: MemoryStore
    calls: list[tuple[str, object, bool]] = field(default_factory=list)

    async def page(
        self,
        filter: JobFilter | None = None,
        sort: JobSort | None = None,
        *,
        offset: int = 0,
        limit: int = 100,
        now: datetime | None = None,
    ) -> JobPage:
        self.calls.append(("offset", offset, bool(sort and sort.descending)))
        return await self.store.page(filter, sort, offset=offset, limit=limit, now=now)

    async def page_after(
        self,
        filter: JobFilter | None,
        sort: JobSort,
        after: LinkJob | None,
        *,
        limit: int = 100,
        now: datetime | None = None,
    ) -> list[LinkJob]:
        self.calls.append(("keyset", after.id if after else None, sort.descending))
        return await self.store.page_after(filter, sort, after, limit=limit, now=now)


def recording(count: int) -> Recording:
    store = MemoryStore(now=NOW)
    for index in range(1, count + 1):
        store.put(make_job(index))
    return Recording(store)


async def read(rec: Recording, start: int, limit: int, before: LinkJob | None = None) -> list[int]:
    total = len(rec.store.jobs)
    jobs = await read_window(
        rec, JobFilter(), NEWEST_FIRST, start=start, limit=limit, total=total, before=before, now=NOW
    )
    return [j.id for j in jobs]


def expected(total: int, start: int, limit: int) -> list[int]:
    """Rows start .. start+limit-1 of ids total..1 (newest first)."""
    return list(range(total - start, max(0, total - start - limit), -1))


async def test_the_top_is_read_by_keyset_from_the_start() -> None:
    rec = recording(1000)
    assert await read(rec, 0, 150) == expected(1000, 0, 150)
    assert rec.calls == [("keyset", None, True)]


async def test_scrolling_reads_by_keyset_after_the_row_just_above() -> None:
    rec = recording(1000)
    above = rec.store.jobs[1000 - 299]  # row 299 of the newest-first listing
    assert await read(rec, 300, 150, before=above) == expected(1000, 300, 150)
    assert rec.calls == [("keyset", above.id, True)]


async def test_a_jump_in_the_first_half_reads_by_offset() -> None:
    rec = recording(1000)
    assert await read(rec, 300, 150) == expected(1000, 300, 150)
    assert rec.calls == [("offset", 300, True)]


async def test_a_jump_in_the_second_half_reads_mirrored_from_the_end() -> None:
    rec = recording(1000)
    assert await read(rec, 700, 150) == expected(1000, 700, 150)
    assert rec.calls == [("offset", 150, False)]  # skips 150 rows of the reversed listing, not 700


async def test_the_last_window_is_a_keyset_read_of_the_reversed_listing() -> None:
    rec = recording(1000)
    assert await read(rec, 900, 150) == expected(1000, 900, 150)
    assert rec.calls == [("keyset", None, False)]  # End on a million rows reads its rows and skips none


def test_the_window_spans_the_margin_on_each_side_of_the_viewport() -> None:
    assert margin(10) == MIN_MARGIN
    assert margin(40) == 120
    assert window_span(0, 10) == (0, 10 + 2 * MIN_MARGIN)
    assert window_span(30, 10) == (0, 10 + 2 * MIN_MARGIN)
    assert window_span(500, 40) == (380, 40 + 240)


def test_coverage_asks_for_a_screen_of_slack_where_rows_exist() -> None:
    window = Window(100, tuple(make_job(i) for i in range(1, 201)))  # rows 100..299
    assert window.covers(150, 20, total=1000)
    assert not window.covers(110, 20, total=1000)  # less than a screen above
    assert not window.covers(265, 20, total=1000)  # less than a screen below
    assert window.covers(290, 20, total=300)  # the end of the listing needs no slack below
    assert Window(0, tuple(make_job(i) for i in range(1, 40))).covers(0, 20, total=39)


def test_job_at_and_row_of_count_from_the_window_offset() -> None:
    jobs = tuple(make_job(i) for i in (9, 8, 7))
    window = Window(40, jobs)
    assert window.job_at(41) == jobs[1] and window.job_at(39) is None and window.job_at(43) is None
    assert window.row_of(7) == 42 and window.row_of(1) is None


def test_with_job_replaces_only_a_row_it_holds() -> None:
    window = Window(5, tuple(make_job(i) for i in (3, 2, 1)))
    changed = make_job(2, record_name="Renamed")
    assert window.with_job(changed) == Window(5, (window.jobs[0], changed, window.jobs[2]))
    assert window.with_job(make_job(99)) is None


def test_loads_merge_and_a_reset_drops_the_anchor() -> None:
    assert Load(recount=True).merge(Load(anchor=True)) == Load(recount=True, anchor=True)
    assert Load(anchor=True).merge(Load(reset=True)) == Load(reset=True)
    assert Load().merge(Load()) == Load()


def test_a_live_reread_keeps_the_cursor_on_its_job_and_moves_the_view_with_it() -> None:
    chosen = make_job(50)
    ten_new_above = Window(0, tuple(make_job(i) for i in range(70, 0, -1)))  # job 50 moved from row 10 to row 20
    placed = place(ten_new_above, total=70, cursor=10, anchor=chosen, viewport=5)
    assert (placed.cursor, placed.scroll_to) == (20, 15)
    at_the_top = place(ten_new_above, total=70, cursor=10, anchor=chosen, viewport=0)
    assert (at_the_top.cursor, at_the_top.scroll_to) == (20, None)  # an unscrolled view stays put


def test_placement_clamps_the_cursor_and_counts_rows_that_arrived_after_the_count() -> None:
    window = Window(0, tuple(make_job(i) for i in range(12, 0, -1)))
    assert place(window, total=10, cursor=3, anchor=None, viewport=0).total == 12
    shrunk = place(Window(0, ()), total=0, cursor=7, anchor=None, viewport=0)
    assert (shrunk.total, shrunk.cursor) == (0, 0)
    gone = place(window, total=12, cursor=30, anchor=make_job(99), viewport=4)
    assert (gone.cursor, gone.scroll_to) == (11, None)  # the anchored job left the window: clamp, stay


def test_the_window_module_imports_no_textual() -> None:
    code = "import sys, inolink_tui.ui.window; print(any(m.split('.')[0] == 'textual' for m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_a_window_read_for_the_terminal_is_trimmed_to_the_tables_span() -> None:
    """The first window is read for the terminal's height before the table knows its own (ui/window.py
    `read_first_window`); once laid out, the table keeps only what its own read would hold."""
    jobs = tuple(make_job(i) for i in range(1, 351))
    trimmed = Window(0, jobs).trimmed(0, 17)
    assert (trimmed.offset, len(trimmed.jobs)) == window_span(0, 17)
    assert trimmed.jobs == jobs[: window_span(0, 17)[1]]
    assert Window(0, jobs[:50]).trimmed(0, 17).jobs == jobs[:50]  # smaller already: kept as it is
    assert Window(400, jobs).trimmed(0, 17).offset == 400  # no overlap: left to the next read
