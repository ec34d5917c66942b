"""The jobs screen owns its keys, palette commands and timers: Textual's screen scoping, no hand-made guards."""

from __future__ import annotations

from inolink_tui.ui.inspector import InspectorScreen
from inolink_tui.ui.jobs_screen import JobsScreen
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import make_app, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_inspector import open_job


async def test_the_palette_offers_the_jobs_commands_only_on_the_jobs_screen(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p", *"freeze")
        await pilot.pause(0.5)
        assert "Freeze or unfreeze the view" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        await open_job(app, pilot, 119)
        await pilot.press("ctrl+p", *"freeze")
        await pilot.pause(0.5)
        assert "Freeze or unfreeze the view" not in screen_text(app)
        await pilot.press("enter", "escape")
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen)
        assert not app.jobs.frozen


async def test_under_a_dialog_the_footer_shows_only_keys_that_still_work(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(200, 24)) as pilot:
        await settle(pilot, app)
        footer = screen_text(app).splitlines()[-1]
        assert "Filter" in footer and "Quit" in footer
        await pilot.press("2", "R")  # the Failed view, then Requeue all asks first
        await settle(pilot, app)
        assert app.screen is not app.jobs and app.jobs.is_current
        footer = screen_text(app).splitlines()[-1]
        assert "Quit" in footer and "Filter" not in footer and "Requeue" not in footer


async def test_the_live_timers_belong_to_the_jobs_screen(store: MemoryStore) -> None:
    """Textual stops a screen's timers before it removes the screen's widgets, so no tick needs to check that
    the table still exists (the app owned them before and guarded each tick on quit)."""
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, JobsScreen)
        assert {t.name for t in app.jobs._timers} >= {"feed", "slow", "engine"}
        assert not {t.name for t in app._timers} & {"feed", "slow", "engine"}
