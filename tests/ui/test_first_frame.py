"""What Textual does before the console's first rows are on screen (issue 18 item 3: start-up).

The frame that first shows job rows is caught the way bench/console_scale.py times it: when the table draws a
content line of its first loaded window. At that moment the screen must hold only what the first frame shows, and
no stylesheet pass of a theme change may have run before it; what was deferred must be there once the start settled.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest
from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.filter import ANSIToTruecolor

from inolink_tui.domain.filters import JobFilter
from inolink_tui.ui.job_table import JobTable
from inolink_tui.ui.theme import MONO_THEME
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, fill, make_app, settle

DEFERRED = ("Throughput", "Sparkline", "Input", "Footer")
"""Widgets mounted once the first rows are on screen."""


@pytest.fixture
def first_frame(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Fills in, at the first content line the table draws, the screen's widgets and the stylesheet passes so far."""
    seen: dict[str, Any] = {"reparses": 0}
    reparse = Stylesheet.reparse

    def counted(stylesheet: Stylesheet) -> None:
        seen["reparses"] += 1
        reparse(stylesheet)

    render_line = JobTable.render_line

    def watched(table: JobTable, y: int) -> Any:
        if y == 1 and not table.loaded_once:
            seen["loading_drawn"] = True
        if y >= 1 and table.loaded_once and "widgets" not in seen:
            seen["widgets"] = [type(w).__name__ for w in table.screen.walk_children()]
            seen["reparses_before_rows"] = seen["reparses"]
        return render_line(table, y)

    monkeypatch.setattr(Stylesheet, "reparse", counted)
    monkeypatch.setattr(JobTable, "render_line", watched)
    return seen


async def test_the_first_rows_come_before_the_secondary_widgets(
    store: MemoryStore, first_frame: dict[str, Any]
) -> None:
    """Before: the sparklines (7 widgets), the filter line's input and label were composed, styled and laid out
    before the first rows: 17 widgets on the screen where 8 are now."""
    app = make_app(store)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        assert [name for name in first_frame["widgets"] if name in DEFERRED] == []
        assert "JobTable" in first_frame["widgets"] and "Tiles" in first_frame["widgets"]
        after = {type(w).__name__ for w in app.jobs.walk_children()}
        assert set(DEFERRED) <= after  # every deferred widget is there once the start settled
        assert "done/h" in str(app.jobs.query_one("#label-done").render())


class SlowStore(MemoryStore):
    """Counting takes a while, as on a big store on a slow disk (the in-memory store answers within the same tick)."""

    async def count(self, filter: JobFilter | None = None, *, now: datetime | None = None) -> int:
        await asyncio.sleep(0.05)
        return await super().count(filter, now=now)


async def test_the_first_frame_already_holds_the_rows(first_frame: dict[str, Any]) -> None:
    """Before: the first window was read once the table was mounted, so Textual first drew "Loading jobs…", then the
    rows in a second frame, paced by its 60 fps refresh timer. Now it is read while the app starts (`on_load`)."""
    app = make_app(fill(SlowStore(now=NOW)))
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot, app)
        assert "widgets" in first_frame and "loading_drawn" not in first_frame
        table = app.jobs.table
        assert table.loads == 1  # that read was the table's first load: no second read after the layout
        # the window read for the terminal is trimmed to what the table's own read would hold, once it is laid out
        assert len(table.window.jobs) <= table.visible_rows + 2 * table.margin


async def test_no_theme_pass_runs_before_the_first_rows(store: MemoryStore, first_frame: dict[str, Any]) -> None:
    """Before: the theme was set on mount, and Textual parsed every stylesheet again and restyled every widget
    (`refresh_css`) between mounting the screen and painting its first rows."""
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert first_frame["reparses_before_rows"] == 0
        assert app.theme == "ansi-dark"


def theme_state(app: App[Any]) -> tuple[object, ...]:
    """What Textual's theme switch leaves behind: the theme classes, the ANSI filter, the stylesheet's variables."""
    classes = sorted(c for c in app.classes if c.startswith("-theme-") or c in ("-dark-mode", "-light-mode"))
    filters = [(type(f).__name__, f.enabled) for f in app._filters if isinstance(f, ANSIToTruecolor)]
    return classes, filters, dict(app.stylesheet._variables)


@pytest.mark.parametrize("theme", ["ansi-dark", "textual-light", "nord", MONO_THEME.name])
async def test_the_theme_set_before_start_matches_textuals_own_switch(store: MemoryStore, theme: str) -> None:
    """`theme_before_start` stands in for Textual's theme watcher (a private hook of Textual 8.2): after start the
    console must be in the state Textual's own switch leaves, for a light theme too."""

    class Reference(App[None]):
        def on_mount(self) -> None:
            self.register_theme(MONO_THEME)
            self.theme = theme

    reference = Reference()
    async with reference.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        expected = theme_state(reference)
    app = make_app(store, theme=theme)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.theme == theme
        assert theme_state(app) == expected
