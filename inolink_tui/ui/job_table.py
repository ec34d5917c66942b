"""The job table: a Line-API widget over the whole store that only ever holds the rows on screen.

Why not DataTable: it measures and indexes every row (13 s to first paint at 100k rows, ~250 ms per
live event, see the console-expectations reference). Here the store counts and sorts; the widget keeps
one window of rows around the viewport (which rows, read how, and where the cursor lands: ui/window.py,
Textual-free) and paints each row once into an LRU of strips keyed by everything that changes its look.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.present.columns import COLUMNS, SEPARATOR, ColumnSpec, FittedColumn, fit_columns
from inolink_tui.present.text import fit
from inolink_tui.store.base import JobStore
from inolink_tui.ui.window import FirstWindow, Load, Window, place, read_window, window_span
from inolink_tui.ui.window import margin as window_margin

log = logging.getLogger(__name__)

_STATUS_CLASS = {
    LinkStatus.QUEUED: "job-table--queued",
    LinkStatus.SUCCESS: "job-table--success",
    LinkStatus.ERROR: "job-table--error",
}


def _version(job: LinkJob, now: datetime) -> tuple[Any, ...]:
    """Everything that changes how a row looks, for the strip cache key."""
    return (
        job.updated_at,
        job.link_status,
        job.processed_count,
        job.processed_at,
        job.accounting_id,
        job.record_name,
        job.error_description,
        job.inactive,
        job.in_flight(now),
    )


class JobTable(ScrollView, can_focus=True):
    """Rows of Link Jobs from a `JobStore`, filtered and sorted by the store."""

    DEFAULT_CSS = """
    JobTable {
        overflow-x: hidden;
        overflow-y: scroll;
        height: 1fr;
        scrollbar-size-vertical: 1;
    }
    JobTable > .job-table--header { text-style: bold; background: $panel; }
    JobTable > .job-table--header-sorted { text-style: bold underline; background: $panel; }
    JobTable > .job-table--cursor { background: $accent; color: $text; }
    JobTable:blur > .job-table--cursor { background: $panel; }
    JobTable > .job-table--queued { color: $warning; }
    JobTable > .job-table--success { color: $success; }
    JobTable > .job-table--error { color: $error; text-style: bold; }
    JobTable > .job-table--error-text { color: $error; }
    JobTable > .job-table--inflight { color: $secondary; text-style: bold; }
    JobTable > .job-table--marked { color: $primary; text-style: bold; }
    JobTable > .job-table--placeholder { color: $text-muted; }
    JobTable > .job-table--inactive { color: $text-muted; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "job-table--header",
        "job-table--header-sorted",
        "job-table--cursor",
        "job-table--queued",
        "job-table--success",
        "job-table--error",
        "job-table--error-text",
        "job-table--inflight",
        "job-table--marked",
        "job-table--placeholder",
        "job-table--inactive",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "open", "Inspect"),
    ]

    cursor_row: reactive[int] = reactive(0, always_update=False, repaint=False)

    class Loaded(Message):
        """A window was read and painted; `elapsed` is the store time for it."""

        def __init__(self, table: JobTable, total: int, elapsed: float) -> None:
            super().__init__()
            self.table = table
            self.total = total
            self.elapsed = elapsed

    class Painted(Message):
        """The first loaded window is on screen: a frame holding its rows (or "No jobs match") has been drawn."""

    class Opened(Message):
        """Enter on a row: the app opens the inspector."""

        def __init__(self, job: LinkJob) -> None:
            super().__init__()
            self.job = job

    class SortRequested(Message):
        """A header cell was clicked."""

        def __init__(self, column: str) -> None:
            super().__init__()
            self.column = column

    def __init__(
        self,
        store: JobStore,
        *,
        now: Callable[[], datetime],
        job_filter: JobFilter | None = None,
        sort: JobSort | None = None,
        columns: tuple[ColumnSpec, ...] = COLUMNS,
        first: FirstWindow | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._store = store
        self._now = now
        self.job_filter = job_filter or JobFilter()
        self.sort = sort or JobSort()
        self._columns_spec = columns
        self._fitted: list[FittedColumn] = []
        self._fitted_width = -1
        self.total = 0
        self.loaded_once = False
        self.first_seq: int | None = None
        """The change feed's position read just before the first load: the console's live feed starts there,
        so a write landing between the first paint and the first poll is not lost."""
        self.window = Window()
        """The rows held (see ui/window.py)."""
        self.marked: set[int] = set()
        self._strips: LRUCache[tuple[Any, ...], Strip] = LRUCache(1024)
        self._style_cache: dict[tuple[Any, ...], Style] = {}
        self._view = Size(0, 0)
        self._pending: Load | None = None
        self._loading = False
        self.loads = 0
        """How many windows were read: tests use it to prove idle means no reads."""
        self._painted = False
        self._first = first if first and (first.job_filter, first.sort) == (self.job_filter, self.sort) else None

    # --- public API ------------------------------------------------------------------------
    @property
    def selected_job(self) -> LinkJob | None:
        return self.job_at(self.cursor_row)

    @property
    def visible_rows(self) -> int:
        return max(1, self._view.height - 1)

    @property
    def fitted_columns(self) -> list[FittedColumn]:
        return self._columns_for(self.size.width)

    def job_at(self, row: int) -> LinkJob | None:
        return self.window.job_at(row)

    def visible_jobs(self) -> list[LinkJob]:
        top = int(self.scroll_y)
        found = (self.job_at(row) for row in range(top, min(self.total, top + self.visible_rows)))
        return [job for job in found if job is not None]

    def set_query(self, job_filter: JobFilter, sort: JobSort) -> None:
        """A new filter or sort: back to the top, recount, reread."""
        self.job_filter = job_filter
        self.sort = sort
        self.request_load(Load(recount=True, reset=True))

    def reload(self, *, recount: bool = True) -> None:
        """Live refresh: reread the window (and the count), keeping the cursor on its job."""
        self.request_load(Load(recount=recount, anchor=True))

    def toggle_mark(self) -> LinkJob | None:
        job = self.selected_job
        if job is None:
            return None
        self.marked.symmetric_difference_update({job.id})
        self._refresh_row(self.cursor_row)
        return job

    def clear_marks(self) -> None:
        self.marked.clear()
        self.refresh()

    # --- loading ---------------------------------------------------------------------------
    def on_mount(self) -> None:
        self._view = self.size
        if (first := self._first) is None:
            self.request_load(Load(recount=True, reset=True))
            return
        self._first, self.first_seq, self.total, self.loads = None, first.first_seq, first.total, self.loads + 1
        self._apply_window(first.start, list(first.jobs), anchor=None, viewport=0)  # read while the app started
        self.post_message(self.Loaded(self, self.total, first.elapsed))

    def request_load(self, load: Load) -> None:
        """Coalesce: while a read runs, later requests merge into one follow-up read."""
        self._pending = load if self._pending is None else self._pending.merge(load)
        if not self._loading:
            self._loading = True
            self.run_worker(self._load_loop(), group="job-table-load", exit_on_error=False)

    async def _load_loop(self) -> None:
        try:
            while self._pending is not None:
                load, self._pending = self._pending, None
                try:
                    await self._load(load)
                except Exception as exc:  # a store failure must not take the console down
                    log.exception("reading jobs failed")
                    self.notify(f"Could not read jobs: {exc}", severity="error", timeout=6)
        finally:
            self._loading = False

    async def _load(self, load: Load) -> None:
        started = time.perf_counter()
        now = self._now()
        if load.reset:
            self.cursor_row = 0
            self.scroll_to(y=0, animate=False, immediate=True)
        if self.first_seq is None:
            self.first_seq = await self._store.latest_seq()
        if load.recount or not self.loaded_once:
            self.total = await self._store.count(self.job_filter, now=now)
        viewport = int(self.scroll_y)
        start, limit = window_span(viewport, self.visible_rows)
        before = self.job_at(start - 1) if not (load.reset or load.anchor) else None
        jobs = await read_window(
            self._store,
            self.job_filter,
            self.sort,
            start=start,
            limit=limit,
            total=self.total,
            before=before,
            now=now,
        )
        # The cursor keeps its job through live changes, except on the first row of an unscrolled table: there the
        # operator is watching the head of the list, and new jobs must arrive in view instead of pushing the
        # cursor's job (and with it the view) down, the way `tail -f` follows a log.
        following_head = self.cursor_row == 0 and int(self.scroll_y) == 0
        selected = self.selected_job if load.anchor and not following_head else None
        self.loads += 1
        self._apply_window(start, jobs, anchor=selected, viewport=viewport)
        self.post_message(self.Loaded(self, self.total, time.perf_counter() - started))

    def _apply_window(self, start: int, jobs: list[LinkJob], *, anchor: LinkJob | None, viewport: int) -> None:
        self.window = Window(start, tuple(jobs))
        placed = place(self.window, total=self.total, cursor=self.cursor_row, anchor=anchor, viewport=viewport)
        self.total = placed.total
        self.virtual_size = Size(self._view.width, self.total + 1)
        if placed.scroll_to is not None:
            self.scroll_to(y=placed.scroll_to, animate=False, immediate=True)
        self.cursor_row = placed.cursor
        self._scroll_cursor_into_view()
        self.loaded_once = True
        self.refresh()

    @property
    def margin(self) -> int:
        return window_margin(self.visible_rows)

    def _ensure_window(self) -> None:
        if self.loaded_once and not self.window.covers(int(self.scroll_y), self.visible_rows, self.total):
            self.request_load(Load())

    # --- cursor ----------------------------------------------------------------------------
    def watch_cursor_row(self, old: int, new: int) -> None:
        self._refresh_row(old)
        self._refresh_row(new)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._ensure_window()

    def _refresh_row(self, row: int) -> None:
        y = row - int(self.scroll_y) + 1
        if 1 <= y < self._view.height:
            self.refresh_line(y + int(self.scroll_y))

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self.scroll_to(y=self.cursor_row, animate=False, immediate=True)
        elif self.cursor_row >= top + self.visible_rows:
            self.scroll_to(y=self.cursor_row - self.visible_rows + 1, animate=False, immediate=True)

    def _move(self, row: int) -> None:
        self.cursor_row = max(0, min(row, self.total - 1))
        self._scroll_cursor_into_view()

    def action_cursor_up(self) -> None:
        self._move(self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self._move(self.cursor_row + 1)

    def action_page_up(self) -> None:
        self._move(self.cursor_row - self.visible_rows)

    def action_page_down(self) -> None:
        self._move(self.cursor_row + self.visible_rows)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(self.total - 1)

    def action_open(self) -> None:
        job = self.selected_job
        if job is not None:
            self.post_message(self.Opened(job))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None and column.sortable:
                self.post_message(self.SortRequested(column.key))
            return
        row = int(self.scroll_y) + event.y - 1
        if 0 <= row < self.total:
            self._move(row)
            if event.chain == 2:
                self.action_open()

    def _column_at(self, x: int) -> ColumnSpec | None:
        left = 0
        for column in self.fitted_columns:
            if left <= x < left + column.width:
                return column.spec
            left += column.width + SEPARATOR
        return None

    # --- painting --------------------------------------------------------------------------
    def _columns_for(self, width: int) -> list[FittedColumn]:
        if width != self._fitted_width:
            self._fitted = fit_columns(width, self._columns_spec)
            self._fitted_width = width
        return self._fitted

    def on_resize(self, event: events.Resize) -> None:
        self._view = self.size  # `size` walks the DOM each call; render_line runs per visible line
        self.virtual_size = Size(self._view.width, self.total + 1)
        self._scroll_cursor_into_view()
        self.window = self.window.trimmed(int(self.scroll_y), self.visible_rows)  # the first was read for the terminal
        self._ensure_window()

    def render_line(self, y: int) -> Strip:
        width = self._view.width
        if y == 0:
            return self._header(width)
        row = int(self.scroll_y) + y - 1
        if not self.loaded_once:
            return self._message_line("Loading jobs…", width) if y == 1 else Strip.blank(width)
        if not self._painted:
            # Textual is drawing the frame that shows the first window: once that frame is out, say so.
            self._painted = True
            self.call_after_refresh(self.post_message, self.Painted())
        if self.total == 0:
            text = f"No jobs match: {self.job_filter.describe()}" if y == 1 else ""
            return self._message_line(text, width)
        if row >= self.total:
            return Strip.blank(width, self.rich_style)
        job = self.job_at(row)
        if job is None:
            self._ensure_window()
            return self._message_line("…", width)
        return self._row(job, row == self.cursor_row, width)

    def _message_line(self, text: str, width: int) -> Strip:
        style = self.get_component_rich_style("job-table--placeholder")
        return Strip([Segment(fit(text, width), style)], width)

    def _header(self, width: int) -> Strip:
        key = ("header", width, self.sort.column, self.sort.descending)
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        plain = self.get_component_rich_style("job-table--header")
        sorted_style = self.get_component_rich_style("job-table--header-sorted")
        segments: list[Segment] = []
        used = 0
        for index, column in enumerate(self._columns_for(width)):
            if index:
                segments.append(Segment(" " * SEPARATOR, plain))
            arrow = ("↓" if self.sort.descending else "↑") if column.spec.key == self.sort.column else ""
            label = column.spec.header(column.width - len(arrow)) + arrow
            style = plain
            if arrow:
                style = sorted_style
            segments.append(Segment(fit(label, column.width, column.spec.align), style))
            used += column.width + (SEPARATOR if index else 0)
        if used < width:
            segments.append(Segment(" " * (width - used), plain))
        strip = Strip(segments, width)
        self._strips[key] = strip
        return strip

    def _style(self, components: tuple[str, ...], inactive: bool, selected: bool) -> Style:
        """Row base + component classes + cursor, combined once per theme: painting a row costs no style maths."""
        key = (components, inactive, selected, self.has_focus)
        style = self._style_cache.get(key)
        if style is None:
            style = self.rich_style
            if inactive:
                style += self.get_component_rich_style("job-table--inactive")
            for name in components:
                style += self.get_component_rich_style(name)
            if selected:
                style += self.get_component_rich_style("job-table--cursor")
            self._style_cache[key] = style
        return style

    def notify_style_update(self) -> None:
        """Theme or focus styling changed: every cached style and strip is stale."""
        super().notify_style_update()
        self._style_cache.clear()
        self._strips.clear()

    def _row(self, job: LinkJob, selected: bool, width: int) -> Strip:
        now = self._now()
        marked = job.id in self.marked
        in_flight = job.in_flight(now)
        key = (job.id, _version(job, now), selected, marked, width, self.has_focus)
        cached = self._strips.get(key)
        if cached is not None:
            return cached
        plain = self._style((), job.inactive, selected)
        segments: list[Segment] = []
        for index, column in enumerate(self._columns_for(width)):
            if index:
                segments.append(Segment(" " * SEPARATOR, plain))
            text, components = self._cell(job, column.spec.key, column.spec, marked, in_flight)
            style = self._style(components, job.inactive, selected) if components else plain
            segments.append(Segment(fit(text, column.width, column.spec.align), style))
        used = sum(c.width for c in self._fitted) + SEPARATOR * max(0, len(self._fitted) - 1)
        if used < width:
            segments.append(Segment(" " * (width - used), plain))
        strip = Strip(segments, width)
        self._strips[key] = strip
        return strip

    @staticmethod
    def _cell(job: LinkJob, key: str, spec: ColumnSpec, marked: bool, in_flight: bool) -> tuple[str, tuple[str, ...]]:
        """A cell's text and the component classes that colour it."""
        if key == "marker":
            components: tuple[str, ...] = ("job-table--marked",) if marked else ()
            if in_flight:
                components += ("job-table--inflight",)
            return ("●" if marked else " ") + ("▸" if in_flight else " "), components
        text = spec.value(job)
        if key == "link_status":
            queued_in_flight = in_flight and job.link_status is LinkStatus.QUEUED
            return text, ("job-table--inflight" if queued_in_flight else _STATUS_CLASS[job.link_status],)
        if key == "error_description" and text:
            return text, ("job-table--error-text",)
        return text, ()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
