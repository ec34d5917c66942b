"""--read-only: every mutation is refused with a reason, nothing reaches the store, the badge shows."""

from __future__ import annotations

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.ui.confirm import ChoiceScreen, ConfirmScreen
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import make_app, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_actions import notices, select_job


async def test_read_only_refuses_every_mutation(store: MemoryStore) -> None:
    app = make_app(store, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert "READ-ONLY" in screen_text(app)
        await select_job(app, pilot, 119)
        for key in ("r", "R", "x", "s", "p"):
            await pilot.press(key)
            await settle(pilot, app)
            assert not isinstance(app.screen, ConfirmScreen | ChoiceScreen), key
        text = notices(app)
        for what in ("requeue", "mark as Error", "sync now", "pause / resume"):
            assert f"Read-only: {what} is disabled (started with --read-only)." in text
        assert store.jobs[119].link_status is LinkStatus.ERROR
        assert store.audit == [] and store.requests == []


async def test_read_only_store_makes_the_console_read_only() -> None:
    from tests.ui.conftest import NOW, fill

    store = fill(MemoryStore(now=NOW, read_only=True))
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.read_only
        await pilot.press("space", "f", "f")  # reading habits still work: marks and freeze
        assert app.jobs.table.marked


async def test_read_only_palette_entries_say_disabled() -> None:
    from inolink_tui.ui.commands import console_commands

    helps = {c.action: c.help for c in console_commands(True)}
    assert "disabled: read-only" in helps["requeue"]
    assert "disabled" not in helps["freeze"]
