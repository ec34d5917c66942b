"""The console: top bar, tiles and sparklines, the live job table, the filter line and the actions.

Everything live is driven by the store's change feed (`latest_seq`), polled on a timer: that works the
same with the engine in this process and when attached to a daemon in another. A poll that finds no
change does nothing at all, so an idle console neither queries the window nor repaints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer, Static

from inolink_tui.domain.enums import JobView, LinkStatus
from inolink_tui.domain.filters import SORTABLE_COLUMNS, JobCounts, JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob, utcnow
from inolink_tui.present.columns import COLUMNS
from inolink_tui.store.base import JobStore, StoreError
from inolink_tui.ui.commands import ConsoleCommands, ToolCommands
from inolink_tui.ui.confirm import ChoiceScreen, ConfirmScreen
from inolink_tui.ui.engine_port import ConnectionStatus, EnginePort, ServiceStatus, StoreOnlyEngine, bar_mode
from inolink_tui.ui.export import ExportError, ExportScreen, default_path, export_jobs
from inolink_tui.ui.filter_bar import FilterBar
from inolink_tui.ui.help import HelpScreen, collect_bindings
from inolink_tui.ui.inspector import InspectorScreen
from inolink_tui.ui.job_table import JobTable
from inolink_tui.ui.marks import plan_marked_requeue
from inolink_tui.ui.status_bar import BarState, StatusBar
from inolink_tui.ui.styles import APP_CSS
from inolink_tui.ui.theme import DEFAULT_THEME, MONO_TERMINAL, MONO_THEME, pick_theme
from inolink_tui.ui.tiles import FeedRates, Throughput, TileData, Tiles

log = logging.getLogger(__name__)

W = TypeVar("W", bound=Widget)


class InolinkApp(App[int]):
    """The Link Jobs console over one `JobStore`, optionally driving an engine through `EnginePort`."""

    TITLE = "inolink-tui"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {ConsoleCommands, ToolCommands}
    CSS = APP_CSS

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
        Binding("q", "quit", "Quit"),
        Binding("1", "view('active')", "View Active", show=False),
        Binding("2", "view('failed')", "View Failed", show=False),
        Binding("3", "view('inactive')", "View Inactive", show=False),
        Binding("4", "view('all')", "View All", show=False),
        Binding("t", "toggle_tiles", "Tiles by entity", show=False),
        Binding("less_than_sign", "sort_column(-1)", "Sort column left", show=False),
        Binding("greater_than_sign", "sort_column(1)", "Sort column right", show=False),
        Binding("o", "sort_reverse", "Reverse sort", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
    ]

    def __init__(
        self,
        store: JobStore,
        *,
        engine: EnginePort | None = None,
        in_process: bool = False,
        read_only: bool = False,
        actor: str = "console",
        now: Callable[[], datetime] = utcnow,
        refresh_ms: int = 250,
        theme: str | None = None,
        default_view: JobView = JobView.ALL,
        confirm_bulk: bool = True,
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.engine: EnginePort = engine or StoreOnlyEngine(store, now=now)
        self.in_process = in_process
        self.read_only = read_only or store.read_only
        self.actor = actor
        self.now = now
        self.refresh_ms = refresh_ms
        self.view = default_view
        self.typed_filter = JobFilter()
        self.sort = JobSort("id", descending=True)
        self.confirm_bulk = confirm_bulk
        self.export_dir = export_dir
        self.frozen = False
        self.held = 0
        self.notes: tuple[str, ...] = ()
        self._seq: int | None = None
        self._tiles_dirty = True
        self._spark_dirty = True
        self._spark_at = 0.0
        self._rates = FeedRates()
        self._counts: JobCounts | None = None
        self._services: tuple[ServiceStatus, ...] = ()
        self._connections: tuple[ConnectionStatus, ...] = ()
        self._all_total = 0
        self._filtered_total = 0
        self._updated_at: datetime | None = None
        self.first_paint: float | None = None
        """Seconds from mount to the first window painted (measured, for the 1M-row figure)."""
        self._mounted_at = 0.0
        self._theme_name, self._theme_warning = pick_theme(theme, [DEFAULT_THEME])

    # --- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(now=self.now, id="status")
        with Horizontal(id="summary"):
            yield Tiles(id="tiles")
            yield Throughput(id="throughput")
        yield JobTable(self.store, now=self.now, job_filter=self.effective_filter, sort=self.sort, id="jobs")
        yield FilterBar(now=self.now, id="filter")
        yield Static(id="info")
        yield Footer(compact=True)

    @property
    def table(self) -> JobTable:
        """The main screen's table, reachable while a modal or the inspector is on top."""
        return self._main.query_one("#jobs", JobTable)

    def _main_widget(self, selector: str, kind: type[W]) -> W:
        return self._main.query_one(selector, kind)

    MAIN_ONLY: ClassVar[frozenset[str]] = frozenset(
        {
            "filter",
            "requeue",
            "mark",
            "requeue_all",
            "mark_error",
            "sync_now",
            "pause",
            "freeze",
            "export",
            "view",
            "toggle_tiles",
            "sort_column",
            "sort_reverse",
            "sort_by",
            "clear_filter",
            "inspect",
            "clear_marks",
            "help",
        }
    )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Table actions only make sense on the main screen (the inspector and dialogs have their own keys)."""
        if action in self.MAIN_ONLY:
            return self.screen is self._main
        return True

    @property
    def effective_filter(self) -> JobFilter:
        return self.typed_filter.with_view(self.view)

    _main: Screen[object]

    def on_mount(self) -> None:
        self._main = self.screen
        self._mounted_at = time.perf_counter()
        self.register_theme(MONO_THEME)
        if self.no_color:
            self.ansi_theme_dark = MONO_TERMINAL
        wanted, warning = pick_theme(self._theme_name, self.available_themes, no_color=self.no_color)
        self.theme = wanted
        if self._theme_warning or warning:
            self.notify(self._theme_warning or warning or "", severity="warning")
        self.table.focus()
        self._paint_bar()
        self._paint_info()
        self.set_interval(self.refresh_ms / 1000, self._poll_feed, name="feed")
        self.set_interval(1.0, self._flush_slow, name="slow")
        self.set_interval(2.0, self._poll_engine, name="engine")
        self.run_worker(self._refresh_engine_state(), group="engine", exit_on_error=False)

    # --- live feed -------------------------------------------------------------------------
    def _screen_gone(self) -> bool:
        """Timers can tick once more while the app tears its screens down on quit: then do nothing."""
        try:
            self._main.query_one("#jobs", JobTable)
        except NoMatches:
            return True
        return False

    async def _poll_feed(self) -> None:
        if self._screen_gone():
            return
        try:
            seq = await self.store.latest_seq()
        except StoreError as exc:
            self._set_notes((f"store: {exc}",))
            return
        if self._seq is None:
            if self.table.first_seq is None:
                return  # the first load has not read the feed yet: it will
            self._seq = self.table.first_seq
        if seq == self._seq:
            return
        changed, self._seq = seq - self._seq, seq
        if self.frozen:
            self.held += changed
            self._paint_bar()
            return
        self._apply_changes()

    def _apply_changes(self) -> None:
        self.table.reload(recount=True)
        self._tiles_dirty = True
        self._spark_dirty = True
        if isinstance(self.screen, InspectorScreen):
            self._refresh_inspector(self.screen)

    def _flush_slow(self) -> None:
        """Tiles and sparklines: at most once a second and only after a change (the sparkline also slides
        every 30 s so an idle minute shows as a gap)."""
        if self._screen_gone():
            return
        if not self.table.loaded_once or self.frozen:
            return
        if self._tiles_dirty:
            self._tiles_dirty = False
            self._load_tiles()
        spark_due = time.monotonic() - self._spark_at
        if self._spark_dirty or spark_due >= 30:
            self._spark_dirty = False
            self._spark_at = time.monotonic()
            self._load_spark()

    @work(group="tiles", exclusive=True, exit_on_error=False)
    async def _load_tiles(self) -> None:
        counts = await self.store.counts(now=self.now())
        self._all_total = counts.total
        self._counts = counts
        self._paint_tiles()
        self._paint_info()

    def _paint_tiles(self) -> None:
        if self._counts is not None:
            today = self._rates.done_today(self.now()) if self._rates.caught_up else None
            stalled = bar_mode(self.engine, self.in_process)[0] == "stopped"
            self._main_widget("#tiles", Tiles).show(TileData(self._counts, today, stalled))

    @work(group="spark", exclusive=True, exit_on_error=False)
    async def _load_spark(self) -> None:
        now = self.now()
        more = await self._rates.catch_up(self.store, now)
        done, failed = self._rates.series(now)
        self._main_widget("#throughput", Throughput).show(done, failed)
        self._paint_tiles()
        self._spark_dirty = more

    async def _poll_engine(self) -> None:
        if self._screen_gone():
            return
        self._paint_bar()
        await self._refresh_engine_state()

    async def _refresh_engine_state(self) -> None:
        try:
            services = tuple(await self.engine.services())
            connections = tuple(await self.engine.connections())
        except Exception as exc:  # the engine's trouble is shown, never fatal to the console
            log.warning("engine status failed: %s", exc)
            self._set_notes((f"engine: {exc}",))
            return
        self._services = services
        self._connections = connections
        self._paint_bar()

    def _set_notes(self, notes: tuple[str, ...]) -> None:
        self.notes = notes
        self._paint_bar()

    def _paint_bar(self) -> None:
        if self._screen_gone():
            return
        mode, attached = bar_mode(self.engine, self.in_process)
        state = BarState(
            services=self._services,
            connections=self._connections,
            attached_to=attached,
            read_only=self.read_only,
            frozen=self.frozen,
            held=self.held,
            scheduler=mode,
            notes=self.notes,
        )
        self._main_widget("#status", StatusBar).show(state)
        self._paint_tiles()  # "Processing" turns "Stalled" when the daemon holding the jobs has stopped

    def _paint_info(self) -> None:
        table = self.table
        text = Text(no_wrap=True, overflow="ellipsis")
        if not table.loaded_once:
            text.append("loading…")
        else:
            everything = max(self._all_total, table.total)
            text.append(f"showing {table.total:,} of {everything:,}", style="bold")
            text.append(f" · view {self.view.value}")
            if self.typed_filter != JobFilter():
                text.append(f" · filter {self.typed_filter.describe()}", style="bold")
            label = next((c.label for c in COLUMNS if c.key == self.sort.column), self.sort.column)
            text.append(f" · sort {label}{'↓' if self.sort.descending else '↑'}")
            if table.marked:
                text.append(f" · {len(table.marked)} marked", style="bold")
            if self.frozen:
                text.append(" · FROZEN", style="bold reverse")
            elif self._updated_at is not None:
                text.append(f" · updated {self._updated_at.astimezone(UTC):%H:%M:%S}")
        self._main_widget("#info", Static).update(text)

    @on(JobTable.Loaded)
    def _table_loaded(self, event: JobTable.Loaded) -> None:
        if self.first_paint is None:
            self.first_paint = time.perf_counter() - self._mounted_at
            log.info("first window painted in %.3f s (%d jobs)", self.first_paint, event.total)
        self._updated_at = self.now()
        self._paint_info()

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

    def action_filter(self) -> None:
        self._main_widget("#filter", FilterBar).open()

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
        self._main_widget("#filter", FilterBar).action_clear()

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
        self._main_widget("#tiles", Tiles).toggle()

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
        await self.push_screen(InspectorScreen(job, now=self.now))

    @work(group="inspect-refresh", exclusive=True, exit_on_error=False)
    async def _refresh_inspector(self, screen: InspectorScreen) -> None:
        try:
            job = await self.store.get(screen.job.id)
        except StoreError:
            return
        if screen.is_attached:
            screen.show_job(job)

    @on(InspectorScreen.Action)
    def _inspector_action(self, event: InspectorScreen.Action) -> None:
        if event.action == "requeue":
            if not self._refuse("requeue"):
                self._requeue_one(event.job)
        elif not self._refuse("mark as Error"):
            self._mark_error(event.job)

    # --- actions ---------------------------------------------------------------------------
    def _refuse(self, what: str) -> bool:
        if self.read_only:
            self.notify(f"Read-only: {what} is disabled (started with --read-only).", severity="warning")
        return self.read_only

    def _selected(self) -> LinkJob | None:
        job = self.table.selected_job
        if job is None:
            self.notify("No job selected.", severity="warning")
        return job

    def action_mark(self) -> None:
        job = self.table.toggle_mark()
        if job is not None:
            self.table.action_cursor_down()
            self._paint_info()

    def action_clear_marks(self) -> None:
        self.table.clear_marks()
        self._paint_info()

    def action_requeue(self) -> None:
        if self._refuse("requeue"):
            return
        job = self._selected()
        if job is not None:
            self._requeue_one(job)

    @work(group="action", exit_on_error=False)
    async def _requeue_one(self, job: LinkJob) -> None:
        if job.link_status is not LinkStatus.ERROR:
            reason = (
                f"Job {job.id} is already Queued (waiting for the service)."
                if job.link_status is LinkStatus.QUEUED
                else f"Job {job.id} succeeded; only Error jobs can be requeued."
            )
            self.notify(reason, severity="warning")
            return
        try:
            result = await self.store.requeue(self.actor, ids=[job.id], now=self.now())
        except StoreError as exc:
            self.notify(f"Requeue failed: {exc}", severity="error")
            return
        if result.changed:
            self.notify(f"Job {job.id} requeued: Error → Queued.")
        else:
            self.notify(result.skipped.get(job.id, f"Job {job.id} was not requeued."), severity="warning")
        self._apply_changes()

    def action_requeue_all(self) -> None:
        if not self._refuse("requeue"):
            self._requeue_many()

    @work(group="action", exit_on_error=False)
    async def _requeue_many(self) -> None:
        table = self.table
        now = self.now()
        try:
            if table.marked:
                plan = await plan_marked_requeue(self.store, table.marked, self.effective_filter, now)
                if not plan.errors:
                    self.notify("None of the marked jobs is in Error; nothing to requeue.", severity="warning")
                    return
                if not await self._confirm(plan.question, plan.detail, always=bool(plan.outside)):
                    return
                result, tail = await self.store.requeue(self.actor, ids=plan.errors, now=now), plan.done
                table.clear_marks()
            else:
                scope = self.effective_filter
                if scope.statuses and LinkStatus.ERROR not in scope.statuses:
                    self.notify(f"The filter excludes Error jobs ({scope.describe()}); nothing to requeue.")
                    return
                count = await self.store.count(replace(scope, statuses=(LinkStatus.ERROR,)), now=now)
                if count == 0:
                    self.notify(f"No Error jobs match {scope.describe()}; nothing to requeue.")
                    return
                question = f"Requeue {count:,} Error job{'s' if count != 1 else ''} matching: {scope.describe()}?"
                detail = "They go back to Queued and run on the next cycle. The audit log records it."
                if not await self._confirm(question, detail):
                    return
                result, tail = await self.store.requeue(self.actor, filter=scope, now=now), ""
        except StoreError as exc:
            self.notify(f"Requeue failed: {exc}", severity="error")
            return
        message = f"Requeued {len(result.changed):,} job(s){tail}."
        if result.skipped:
            first = next(iter(result.skipped.values()))
            message += f" {len(result.skipped):,} skipped (e.g. {first})."
        self.notify(message)
        self._apply_changes()

    async def _confirm(self, question: str, detail: str = "", *, always: bool = False) -> bool:
        """Ask first; bulk confirmations can be switched off in config ([ui] confirm_bulk)."""
        if not (always or self.confirm_bulk):
            return True
        answer: bool | None = await self.push_screen_wait(ConfirmScreen(question, detail))
        return bool(answer)

    def action_mark_error(self) -> None:
        if self._refuse("mark as Error"):
            return
        job = self._selected()
        if job is not None:
            self._mark_error(job)

    @work(group="action", exit_on_error=False)
    async def _mark_error(self, job: LinkJob) -> None:
        if job.link_status is not LinkStatus.QUEUED:
            self.notify(
                f"Job {job.id} is {job.link_status.value}; only a stuck Queued job can be marked as Error.",
                severity="warning",
            )
            return
        question = f"Mark job {job.id} ({job.record_name}) as Error?"
        detail = "Use this for a job stuck in Queued; it can be requeued later."
        if not await self._confirm(question, detail, always=True):
            return
        try:
            result = await self.store.mark_error(self.actor, [job.id], now=self.now())
        except StoreError as exc:
            self.notify(f"Mark as Error failed: {exc}", severity="error")
            return
        if result.changed:
            self.notify(f"Job {job.id} marked as Error.")
        else:
            self.notify(result.skipped.get(job.id, f"Job {job.id} was not changed."), severity="warning")
        self._apply_changes()

    def action_sync_now(self) -> None:
        if not self._refuse("sync now"):
            self._sync_now()

    @work(group="action", exit_on_error=False)
    async def _sync_now(self) -> None:
        services = await self.engine.services()
        choices = [(s.name, f"{s.label} ({s.state})") for s in services] + [("*", "All services")]
        picked = await self.push_screen_wait(ChoiceScreen("Sync now: which service?", choices))
        if picked is None:
            return
        names = [s.name for s in services] if picked == "*" else [picked]
        try:
            messages = [await self.engine.run_now(name, actor=self.actor) for name in names]
            await self._audit("sync-now", ",".join(names))
        except Exception as exc:
            self.notify(f"Sync now failed: {exc}", severity="error")
            return
        self.notify("\n".join(messages))
        await self._refresh_engine_state()

    def action_pause(self) -> None:
        if not self._refuse("pause / resume"):
            self._toggle_pause()

    @work(group="action", exit_on_error=False)
    async def _toggle_pause(self) -> None:
        try:
            services = await self.engine.services()
            running = [s for s in services if s.enabled and not s.paused]
            if running or not services:
                message = await self.engine.pause(None, actor=self.actor)
                await self._audit("pause", "all services")
            else:
                message = await self.engine.resume(None, actor=self.actor)
                await self._audit("resume", "all services")
        except Exception as exc:
            self.notify(f"Pause/resume failed: {exc}", severity="error")
            return
        self.notify(message)
        await self._refresh_engine_state()

    async def _audit(self, action: str, detail: str) -> None:
        if not self.engine.records_audit:
            await self.store.record_audit(self.actor, action, detail, 0, now=self.now())

    def action_export(self) -> None:
        self._export()

    @work(group="action", exit_on_error=False)
    async def _export(self) -> None:
        table = self.table
        scope, sort = self.effective_filter, self.sort
        path = await self.push_screen_wait(
            ExportScreen(scope.describe(), table.total, default_path(self.now(), self.export_dir), now=self.now)
        )
        if path is None:
            return
        self.notify(f"Exporting {table.total:,} jobs to {path}…")
        try:
            written = await export_jobs(self.store, scope, sort, path, now=self.now())
        except (ExportError, StoreError) as exc:
            self.notify(f"Export failed: {exc}", severity="error", timeout=8)
            return
        self.notify(f"Exported {written:,} jobs to {path}.")

    def action_help(self) -> None:
        rows = collect_bindings(active.binding for active in self.screen.active_bindings.values())
        self.push_screen(HelpScreen(rows))

    async def action_quit(self) -> None:
        self.exit(0)
