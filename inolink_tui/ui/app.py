"""The console application: what is app-wide (theme, command palette, quit, the engine it was handed).

The jobs, their keys, actions and live timers belong to the main screen, `JobsScreen` (ui/jobs_screen.py).
"""

from __future__ import annotations

import gc
from dataclasses import replace
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from inolink_tui.store.base import JobStore
from inolink_tui.ui.engine_port import EnginePort, StoreOnlyEngine
from inolink_tui.ui.job_table import JobTable
from inolink_tui.ui.jobs_screen import JobsScreen
from inolink_tui.ui.lazy import tool_commands_provider
from inolink_tui.ui.options import ConsoleOptions
from inolink_tui.ui.styles import APP_CSS
from inolink_tui.ui.theme import MONO_TERMINAL, MONO_THEME, pick_theme, theme_before_start


def freeze_start_up_objects() -> None:
    """Move every object alive now (the modules, classes and functions the imports made) out of the garbage
    collector's reach, once per process (`gc.freeze`).

    They live as long as the process, yet each full collection walks them all: measured, one such collection
    (and the older-generation passes around it) fell inside the console's start, about 10-15 ms of CPU before
    the first rows. Later collections, while scrolling a million jobs too, only walk what the console made since.
    Once only: a process that starts several consoles (the tests) would otherwise freeze each one's leftovers.
    """
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.freeze()


_FROZEN = False

FIRST_WINDOW_ROWS = 50
"""Rows the first window is read for at least: before Textual starts its driver it may not know the terminal's
height yet. Read for 50 rows (100 jobs), it holds what a table up to 50 lines tall needs; a taller one reads again
once laid out, as it did before the first window was read early."""


class InolinkApp(App[int]):
    """The Link Jobs console over one `JobStore`, optionally driving an engine through `EnginePort`."""

    TITLE = "inolink-tui"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {tool_commands_provider}
    CSS = APP_CSS

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("ctrl+p", "command_palette", "Commands", show=False),
    ]

    def __init__(
        self,
        store: JobStore,
        options: ConsoleOptions | None = None,
        *,
        engine: EnginePort | None = None,
        in_process: bool = False,
    ) -> None:
        freeze_start_up_objects()
        super().__init__()
        options = options or ConsoleOptions()
        self.store = store
        self.options = replace_read_only(options, store)
        self.engine: EnginePort = engine or StoreOnlyEngine(store, now=self.options.now)
        """Read when the app starts (tests swap it before)."""
        self.in_process = in_process
        self._jobs: JobsScreen | None = None
        # The theme is chosen here, before Textual first parses the stylesheet: chosen on mount, it made Textual
        # parse every rule again and restyle every widget before the first rows (`refresh_css`).
        self.register_theme(MONO_THEME)
        if self.no_color:
            self.ansi_theme_dark = MONO_TERMINAL
        wanted, warning = pick_theme(self.options.theme, self.available_themes, no_color=self.no_color)
        theme_before_start(self, wanted)
        self._theme_warning = warning

    @property
    def read_only(self) -> bool:
        return self.options.read_only

    @property
    def jobs(self) -> JobsScreen:
        """The main screen, reachable while a dialog or the inspector is on top."""
        if self._jobs is None:
            raise RuntimeError("the console has not started")
        return self._jobs

    @property
    def table(self) -> JobTable:
        """The main screen's job table (the palette's tools act on its selected job)."""
        return self.jobs.table

    def get_default_screen(self) -> Screen[None]:
        if self._jobs is None:
            self._jobs = JobsScreen(self.store, self.options, engine=self.engine, in_process=self.in_process)
        return self._jobs

    async def on_load(self) -> None:
        """Before Textual starts the terminal and composes the screen (it awaits this): the table's first window is
        read here, so that the first frame already shows the rows."""
        screen = self.get_default_screen()
        assert isinstance(screen, JobsScreen)
        await screen.read_first_window(max(self.size.height, FIRST_WINDOW_ROWS))

    def on_mount(self) -> None:
        if self._theme_warning:
            self.notify(self._theme_warning, severity="warning")

    async def action_quit(self) -> None:
        self.exit(0)


def replace_read_only(options: ConsoleOptions, store: JobStore) -> ConsoleOptions:
    """A store opened read-only makes the whole console read-only, whatever was asked."""
    return replace(options, read_only=options.read_only or store.read_only)
