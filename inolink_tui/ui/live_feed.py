"""The jobs screen's live part: its state, its timers and what they repaint (top bar, tiles, sparklines, info line).

Everything live is driven by the store's change feed (`latest_seq`), polled on a timer: that works the
same with the engine in this process and when attached to a daemon in another. A poll that finds no
change does nothing at all, so an idle console neither queries the window nor repaints.

The timers belong to the screen (`Screen.set_interval`): Textual stops them before it removes the screen's
widgets, so a tick can no longer find the table gone while the console quits (the app used to own the
timers and guard every tick by hand).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from rich.text import Text
from textual import work
from textual.screen import Screen
from textual.widgets import Static

from inolink_tui.domain.enums import JobView
from inolink_tui.domain.filters import JobCounts, JobFilter, JobSort
from inolink_tui.present.columns import COLUMNS
from inolink_tui.store.base import JobStore, StoreError
from inolink_tui.ui.engine_port import ConnectionStatus, EnginePort, ServiceStatus, bar_mode
from inolink_tui.ui.job_detail import JobDetail
from inolink_tui.ui.job_table import JobTable
from inolink_tui.ui.options import ConsoleOptions
from inolink_tui.ui.status_bar import BarState, StatusBar
from inolink_tui.ui.tiles import FeedRates, TileData, Tiles
from inolink_tui.ui.window import FirstWindow, read_first_window

log = logging.getLogger(__name__)

FEED_TIMER, SLOW_TIMER, ENGINE_TIMER = "feed", "slow", "engine"


class LiveFeed(Screen[None]):
    """The state of the jobs screen and the timers that keep it live (see JobsScreen for keys and layout)."""

    def __init__(self, store: JobStore, options: ConsoleOptions, *, engine: EnginePort, in_process: bool) -> None:
        super().__init__()
        self.store = store
        self.options = options
        self.engine = engine
        self.in_process = in_process
        self.read_only = options.read_only
        self.actor = options.actor
        self.now = options.now
        self.view: JobView = options.default_view
        self.typed_filter = JobFilter()
        self.sort = JobSort("id", descending=True)
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
        self._updated_at: datetime | None = None
        self.first_paint: float | None = None
        """Seconds from mount to the frame that first showed the rows (measured, for the 1M-row figure)."""
        self._mounted_at = 0.0
        self._started = False
        self.first_window: FirstWindow | None = None
        """The table's first window when it was read before the screen was composed (`read_first_window`)."""
        """Whether the widgets mounted after the first rows are in (JobsScreen._finish_start)."""

    @property
    def table(self) -> JobTable:
        return self.query_one("#jobs", JobTable)

    @property
    def effective_filter(self) -> JobFilter:
        return self.typed_filter.with_view(self.view)

    async def read_first_window(self, rows: int) -> None:
        """Read the table's first window now, before Textual composes and draws this screen (`rows`: at least the
        table's height). A failing store is left to the table's own first load, which reports it on screen."""
        try:
            self.first_window = await read_first_window(
                self.store, self.effective_filter, self.sort, rows=rows, now=self.now()
            )
        except StoreError as exc:
            log.warning("reading the first window failed: %s", exc)

    def start_live_feed(self) -> None:
        self.set_interval(self.options.refresh_ms / 1000, self._poll_feed, name=FEED_TIMER)
        self.set_interval(1.0, self._flush_slow, name=SLOW_TIMER)
        self.set_interval(2.0, self._poll_engine, name=ENGINE_TIMER)

    def read_engine_state(self) -> None:
        """The top bar's first read of the services and connections: called once the first rows are on screen, as
        its reads would otherwise queue on the store's connection between those of the first window."""
        self.run_worker(self._refresh_engine_state(), group="engine", exit_on_error=False)

    # --- change feed -----------------------------------------------------------------------
    async def _poll_feed(self) -> None:
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
        if isinstance(self.app.screen, JobDetail):
            self._refresh_inspector(self.app.screen)

    @work(group="inspect-refresh", exclusive=True, exit_on_error=False)
    async def _refresh_inspector(self, screen: JobDetail) -> None:
        try:
            job = await self.store.get(screen.job.id)
        except StoreError:
            return
        if screen.is_attached:
            screen.show_job(job)

    # --- tiles and sparklines --------------------------------------------------------------
    def _flush_slow(self) -> None:
        """Tiles and sparklines: at most once a second and only after a change (the sparkline also slides
        every 30 s so an idle minute shows as a gap)."""
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
            self.query_one("#tiles", Tiles).show(TileData(self._counts, today, stalled))

    @work(group="spark", exclusive=True, exit_on_error=False)
    async def _load_spark(self) -> None:
        now = self.now()
        more = await self._rates.catch_up(self.store, now)
        done, failed = self._rates.series(now)
        from inolink_tui.ui.throughput import Throughput  # mounted (and loaded) once the first rows are on screen

        for throughput in self.query("#throughput").results(Throughput):
            throughput.show(done, failed)
        self._paint_tiles()
        self._spark_dirty = more

    # --- engine and top bar ----------------------------------------------------------------
    async def _poll_engine(self) -> None:
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
        self.query_one("#status", StatusBar).show(state)
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
        self.query_one("#info", Static).update(text, layout=False)  # one line, whatever it says: no layout pass
