"""Enter opens the inspector: fields, the full error with its hint, attempts, payload diff, copy, live."""

from __future__ import annotations

import pytest

from inolink_tui.domain.enums import ErrorClass, LinkStatus
from inolink_tui.ui.inspector import HINTS, InspectorScreen, payload_diff
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, make_app, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_actions import notices, select_job


async def open_job(app, pilot, job_id: int) -> InspectorScreen:  # type: ignore[no-untyped-def]
    await select_job(app, pilot, job_id)
    await pilot.press("enter")
    await settle(pilot, app)
    assert isinstance(app.screen, InspectorScreen)
    return app.screen


async def test_inspector_shows_everything_about_a_failed_job(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 60)) as pilot:
        await settle(pilot, app)
        await open_job(app, pilot, 119)
        text = screen_text(app)
        for expected in (
            "Job 119",
            "Entity Type",
            "Invoice",
            "Submitted By",
            "svc-inolink",
            "Processed Count",
            "Duplicate Name Exists Error",
            "QuickBooks code 6240",  # the full description, not only its first line
            "Error class: duplicate",
            "code 6240",
            "What to do:",
            "412 ms",  # attempt duration
            "400",  # HTTP status
            "DisplayName",
            "Contoso Ltd 119",
            "00000000-0000-0000-0000-000000000119",  # CRM id
            "job-119",
        ):
            assert expected in text, expected


async def test_c_copies_the_error_to_the_clipboard(store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    copied: list[str] = []
    app = make_app(store)
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await open_job(app, pilot, 119)
        await pilot.press("c")
        await pilot.pause()
        assert copied == [store.jobs[119].error_description]
        await pilot.press("escape")
        await settle(pilot, app)
        await open_job(app, pilot, 118)
        await pilot.press("c")
        await pilot.pause()
        assert "has no Error Description" in notices(app)
        assert len(copied) == 1


async def test_requeue_from_the_inspector_and_watch_it_succeed(store: MemoryStore) -> None:
    """The operator's loop: open a failed job, requeue it, see it succeed without leaving the inspector."""
    app = make_app(store, refresh_ms=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        screen = await open_job(app, pilot, 119)
        await pilot.press("r")
        await settle(pilot, app)
        assert store.jobs[119].link_status is LinkStatus.QUEUED
        await pilot.pause(0.2)
        assert screen.job.link_status is LinkStatus.QUEUED
        store.set_job(119, link_status=LinkStatus.SUCCESS, accounting_id="4711", error_description=None, updated_at=NOW)
        for _ in range(50):
            await pilot.pause(0.05)
            if screen.job.link_status is LinkStatus.SUCCESS:
                break
        assert screen.job.link_status is LinkStatus.SUCCESS
        assert "4711" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.jobs.table.selected_job is not None and app.jobs.table.selected_job.id == 119


async def test_table_keys_do_not_leak_into_the_inspector(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await open_job(app, pilot, 119)
        await pilot.press("slash", "f", "2")
        await pilot.pause()
        assert isinstance(app.screen, InspectorScreen)
        assert not app.jobs.frozen


def test_every_error_class_has_a_plain_language_hint() -> None:
    assert set(HINTS) == set(ErrorClass)
    assert all(len(hint) > 40 for hint in HINTS.values())


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"before": {"a": 1, "b": 2}, "after": {"a": 1, "b": 3, "c": 4}}, [("b", 2, 3), ("c", None, 4)]),
        ({"changes": {"Name": {"old": "x", "new": "y"}}}, [("Name", "x", "y")]),
        ({"changes": {"Name": ["x", "y"]}}, [("Name", "x", "y")]),
        ({"DisplayName": "x"}, []),
        (None, []),
    ],
)
def test_payload_diff_shapes(payload: object, expected: list[tuple[object, object, object]]) -> None:
    assert [(c.field, c.before, c.after) for c in payload_diff(payload)] == expected  # type: ignore[arg-type]
