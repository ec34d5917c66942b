"""The jobs screen owns its keys, palette commands and timers: Textual's screen scoping, no hand-made guards."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from inolink_tui.ui.engine_port import ServiceStatus
from inolink_tui.ui.inspector import InspectorScreen
from inolink_tui.ui.jobs_screen import JobsScreen
from tests.ui.conftest import NOW, make_app, settle
from tests.ui.fakes import FakeEngine
from tests.ui.memory_store import MemoryStore
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
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, JobsScreen)
        assert {t.name for t in app.jobs._timers} >= {"feed", "slow", "engine"}
        assert not {t.name for t in app._timers} & {"feed", "slow", "engine"}


class SlowEngine(FakeEngine):
    """Answers its status late, so a quit lands while the jobs screen waits for it."""

    def __init__(self) -> None:
        super().__init__(NOW)
        self.asked = 0

    async def services(self) -> Sequence[ServiceStatus]:
        self.asked += 1
        await asyncio.sleep(0.15)
        return await super().services()


async def test_quitting_while_the_engine_is_read_ends_cleanly(store: MemoryStore) -> None:
    """The app used to guard every timer tick against the screen's widgets being gone on quit; the screen's own
    timers stop before its widgets are removed, so a quit in the middle of a read ends with status 0."""
    for delay in (0.0, 0.05, 0.1, 0.2):
        engine = SlowEngine()
        app = make_app(store, engine=engine, refresh_ms=20)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot, app)
            await pilot.pause(delay)
            await pilot.press("q")
        assert app.return_code == 0, delay
        assert engine.asked >= 1
