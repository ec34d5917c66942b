"""Deterministic pictures of the console (frozen clock, fixed store, fake engine, no cursor blink).

Review changes with `uv run pytest tests/ui/test_snapshots.py --snapshot-update` and the HTML report.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.pilot import Pilot

from inolink_tui.store.base import Change
from inolink_tui.ui.app import InolinkApp
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, fill, make_app, settle
from tests.ui.fakes import FakeEngine


def snapshot_app(**kwargs: Any) -> InolinkApp:
    store = fill(MemoryStore(now=NOW))
    for minute in range(60):  # an hour of throughput for the sparklines
        for n in range((minute * 7) % 5 + 1):
            store.changes.append(
                Change(len(store.changes) + 1, 1, "completed", NOW - timedelta(minutes=minute, seconds=n))
            )
        if minute % 9 == 0:
            store.changes.append(Change(len(store.changes) + 1, 1, "failed", NOW - timedelta(minutes=minute)))
    kwargs.setdefault("engine", FakeEngine(NOW))
    kwargs.setdefault("in_process", True)
    return make_app(store, refresh_ms=100_000, **kwargs)


async def ready(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, InolinkApp)
    await settle(pilot, app)
    app.jobs._flush_slow()
    await app.jobs._refresh_engine_state()
    await settle(pilot, app)


def test_main_screen_80x24(snap_compare: Any) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=ready)


def test_main_screen_160x50(snap_compare: Any) -> None:
    assert snap_compare(snapshot_app(), terminal_size=(160, 50), run_before=ready)


def test_main_screen_read_only_attached_80x24(snap_compare: Any) -> None:
    from inolink_tui.ui.engine_port import StoreOnlyEngine
    from tests.fakes.memstore import lease_for

    app = snapshot_app(read_only=True, engine=None, in_process=False)
    app.store.lease = lease_for("ops-vm-3:4242", NOW)  # type: ignore[attr-defined]
    app.engine = StoreOnlyEngine(app.store, now=lambda: NOW)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready)


def test_inspector(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("down")  # job 119: a duplicate-name Error
        await pilot.press("enter")
        await settle(pilot, pilot.app)  # type: ignore[arg-type]

    assert snap_compare(snapshot_app(), terminal_size=(100, 50), run_before=run_before)


def test_help(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(80, 40), run_before=run_before)


def test_requeue_all_confirmation(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("2")  # Failed view
        await settle(pilot, pilot.app)  # type: ignore[arg-type]
        await pilot.press("R")
        await settle(pilot, pilot.app)  # type: ignore[arg-type]

    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=run_before)


def test_filter_error_inline(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("slash", *"status:done", "enter")
        await pilot.pause()

    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=run_before)
