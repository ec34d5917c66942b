"""The console's main screen: top bar, tiles and sparklines, the live job table, the filter line and the keys.

The screen owns its layout, bindings, actions and timers (as Posting's main screen does): while the inspector,
a dialog or the help is on top, Textual leaves this screen's bindings inactive and its palette commands unlisted,
so no action needs to ask which screen is showing. The state and timers live in `LiveFeed` (ui/live_feed.py),
the actions that change jobs in `JobActions` (ui/job_actions.py) and `ConflictActions` (ui/conflicts.py).
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import Static

from inolink_tui.domain.enums import JobView
from inolink_tui.domain.filters import SORTABLE_COLUMNS, JobFilter, JobSort
from inolink_tui.store.base import StoreError
from inolink_tui.ui.conflicts import ConflictActions
from inolink_tui.ui.filter_bar import FilterBar
from inolink_tui.ui.job_table import JobTable
from inolink_tui.ui.lazy import console_commands_provider
from inolink_tui.ui.status_bar import StatusBar
from inolink_tui.ui.tiles import Tiles

if TYPE_CHECKING:
    from inolink_tui.ui.inspector import InspectorScreen

log = logging.getLogger(__name__)


FOOTER_AT_LATEST = 0.5
"""Seconds after mount when the key footer (and the rest of `_finish_start`) shows even if the first rows have not
come."""


class JobsScreen(ConflictActions):
    """The Link Jobs of one store, live, with every action of the console."""

    COMMANDS: ClassVar = {console_commands_provider}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("r", "requeue", "Requeue"),
        Binding("space", "mark", "Mark"),
        Binding("R", "requeue_all", "Requeue all"),
        Binding("x", "mark_error", "Mark Error"),
        Binding("s", "sync_now", "Sync now"),
        Binding("p", "pause", "Pause/resume"),
        Binding("f", "freeze", "Freeze"),
        Binding("e", "export", "Export"),
        Binding("question_mark", "help", "Help"),
        Binding("1", "view('active')", "View Active", show=False),
        Binding("2", "view('failed')", "View Failed", show=False),
        Binding("3", "view('inactive')", "View Inactive", show=False),
        Binding("4", "view('all')", "View All", show=False),
        Binding("5", "view('conflicts')", "View Conflicts", show=False),
        Binding("t", "toggle_tiles", "Tiles by entity", show=False),
        Binding("less_than_sign", "sort_column(-1)", "Sort column left", show=False),
        Binding("greater_than_sign", "sort_column(1)", "Sort column right", show=False),
        Binding("o", "sort_reverse", "Reverse sort", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    _own_actions: ClassVar[frozenset[str]] = frozenset(
        b.action.split("(")[0] for b in BINDINGS if isinstance(b, Binding)
    )
    """The names of this screen's own key actions (without their parameters)."""

    def _owns(self, binding: Binding) -> bool:
        return binding.action.split("(")[0] in self._own_actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys reach only the top screen (Textual's scoping); under a dialog this screen's footer stays in sight,
        so it shows none of this screen's keys then, only those that still work (quit)."""
        return self.is_active or action not in self._own_actions

    # --- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(now=self.now, id="status")
        with Horizontal(id="summary"):
            yield Tiles(id="tiles")
        yield JobTable(
            self.store,
            now=self.now,
            job_filter=self.effective_filter,
            sort=self.sort,
            first=self.first_window,
            id="jobs",
        )
        yield FilterBar(now=self.now, id="filter")
        yield Static(id="info")
        # The key footer follows once the first rows are on screen (`_finish_start`); its line is held meanwhile,
        # so the table keeps the height its first window was read for.
        yield Static(id="footer-space")

    async def _finish_start(self) -> None:
        """Mount what the first rows need not wait for, once they are on screen (or after FOOTER_AT_LATEST when they
        do not come: a slow or failing store).

        Each widget costs Textual a compose, a stylesheet pass and a layout before the first frame: the throughput
        sparklines (seven widgets, all zero until the feed is read after the first rows anyway), the filter line's
        input (hidden until `/`) and Textual's compact Footer, which builds its keys one by one, restyling each.
        """
        if self._started:
            return
        self._started = True
        self.read_engine_state()
        from textual.widgets import Footer

        from inolink_tui.ui.throughput import Throughput

        await self.query_one("#summary", Horizontal).mount(Throughput(id="throughput"))
        self._spark_dirty = True  # a feed read that came first painted no sparkline: the next tick does
        await self.query_one("#filter", FilterBar).build()
        footer = Footer(compact=True)
        await self.query_one("#footer-space", Static).remove()
        await self.mount(footer)
        # The screen's bindings settled before the footer came; it builds its keys on its own loop (its keys bind
        # to it as the node that composes them).
        footer.call_later(footer.bindings_changed, self)

    def on_mount(self) -> None:
        self._mounted_at = time.perf_counter()
        self.table.focus()
        self._paint_bar()
        self._paint_info()
        self.start_live_feed()
        self.set_timer(FOOTER_AT_LATEST, self._finish_start)

    @on(JobTable.Loaded)
    def _table_loaded(self) -> None:
        self._updated_at = self.now()
        self._paint_info()

    @on(JobTable.Painted)
    async def _first_rows_shown(self) -> None:
        """The first rows are in a frame on screen: the rest of the screen follows."""
        self.first_paint = time.perf_counter() - self._mounted_at
        log.info("first window painted in %.3f s (%d jobs)", self.first_paint, self.table.total)
        await self._finish_start()

    @on(JobTable.Opened)
    def _open_job(self, event: JobTable.Opened) -> None:
        self._inspect(event.job.id)

    @on(JobTable.SortRequested)
    def _sort_clicked(self, event: JobTable.SortRequested) -> None:
        descending = not self.sort.descending if event.column == self.sort.column else True
        self._set_sort(JobSort(event.column, descending))

    # --- filter, view, sort ----------------------------------------------------------------
    def _requery(self) -> None:
        self.table.set_query(self.effective_filter, self.sort)
        self._paint_info()

    async def action_filter(self) -> None:
        await self.query_one("#filter", FilterBar).open()

    @on(FilterBar.Applied)
    def _filter_applied(self, event: FilterBar.Applied) -> None:
        if event.job_filter.view is not JobView.ALL:
            self.view = event.job_filter.view
        self.typed_filter = replace(event.job_filter, view=JobView.ALL)
        self.table.focus()
        self._requery()

    @on(FilterBar.Cleared)
    def _filter_cleared(self) -> None:
        self.table.focus()
        if self.typed_filter != JobFilter():
            self.typed_filter = JobFilter()
            self._requery()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", FilterBar).action_clear()

    def action_view(self, name: str) -> None:
        self.view = JobView.parse(name)  # type: ignore[assignment]
        self._requery()

    def _set_sort(self, sort: JobSort) -> None:
        self.sort = sort
        self._requery()

    def action_sort_by(self, column: str) -> None:
        self._set_sort(JobSort(column, descending=True))

    def action_sort_column(self, step: int) -> None:
        keys = [c.spec.key for c in self.table.fitted_columns if c.spec.sortable and c.spec.key in SORTABLE_COLUMNS]
        index = keys.index(self.sort.column) if self.sort.column in keys else 0
        self._set_sort(JobSort(keys[(index + step) % len(keys)], self.sort.descending))

    def action_sort_reverse(self) -> None:
        self._set_sort(JobSort(self.sort.column, not self.sort.descending))

    def action_toggle_tiles(self) -> None:
        self.query_one("#tiles", Tiles).toggle()

    def action_freeze(self) -> None:
        self.frozen = not self.frozen
        if self.frozen:
            self.notify("View frozen: live updates are held (f resumes).")
        else:
            had, self.held = self.held, 0
            if had:
                self._apply_changes()
        self._paint_bar()
        self._paint_info()

    # --- inspector -------------------------------------------------------------------------
    def action_inspect(self) -> None:
        self.table.action_open()

    @work(group="inspect", exclusive=True, exit_on_error=False)
    async def _inspect(self, job_id: int) -> None:
        try:
            job = await self.store.get(job_id)
        except StoreError as exc:
            self.notify(f"Cannot open job {job_id}: {exc}", severity="error")
            return
        from inolink_tui.ui.inspector import InspectorScreen  # its first use: not on the first frame's path

        await self.app.push_screen(InspectorScreen(job, now=self.now, reply_to=self))

    def on_inspector_screen_action(self, event: InspectorScreen.Action) -> None:
        """The inspector's requeue / re-apply / mark (a handler by name: the inspector loads on first use)."""
        if event.action == "requeue":
            if not self._refuse("requeue"):
                self._requeue_one(event.job)
        elif event.action == "reapply":
            self.reapply(event.job)
        elif not self._refuse("mark as Error"):
            self._mark_error(event.job)

    # --- help ------------------------------------------------------------------------------
    def action_help(self) -> None:
        """The keys in reading order: the table's, the general ones (focus, copy, quit), then this screen's."""
        from inolink_tui.ui.help import HelpScreen, collect_bindings  # only when asked for

        active = sorted(self.active_bindings.values(), key=lambda a: a.node is self and self._owns(a.binding))
        self.app.push_screen(HelpScreen(collect_bindings(a.binding for a in active)))
