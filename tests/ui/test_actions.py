"""Every console action, driven by keys as an operator would."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.ui.confirm import ChoiceScreen, ConfirmScreen
from inolink_tui.ui.export import ExportScreen
from inolink_tui.ui.help import HelpScreen
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import make_app, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_filter import apply_filter


async def select_job(app, pilot, job_id: int) -> None:  # type: ignore[no-untyped-def]
    """Move the cursor to a job with the keyboard: Home, then Down as many times as its row."""
    listing = app.store._listing(app.jobs.effective_filter, app.jobs.sort, None)
    row = [job.id for job in listing].index(job_id)
    await pilot.press("home", *(["down"] * row))
    await settle(pilot, app)
    assert app.jobs.table.selected_job is not None and app.jobs.table.selected_job.id == job_id


def notices(app) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(str(n.message) for n in app._notifications)


async def test_r_requeues_the_selected_error_job_and_audits(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await select_job(app, pilot, 119)
        assert store.jobs[119].link_status is LinkStatus.ERROR
        await pilot.press("r")
        await settle(pilot, app)
        assert store.jobs[119].link_status is LinkStatus.QUEUED
        assert app.jobs.table.selected_job is not None and app.jobs.table.selected_job.link_status is LinkStatus.QUEUED
        assert [(a.actor, a.action, a.job_count) for a in store.audit] == [("console:tester", "requeue", 1)]
        assert "Job 119 requeued" in notices(app)


async def test_r_on_a_job_not_in_error_says_why(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await select_job(app, pilot, 118)  # Success
        await pilot.press("r")
        await settle(pilot, app)
        assert "Job 118 succeeded; only Error jobs can be requeued." in notices(app)
        await select_job(app, pilot, 120)  # Queued
        await pilot.press("r")
        await settle(pilot, app)
        assert "Job 120 is already Queued" in notices(app)
        assert store.audit == []


async def test_space_marks_and_R_requeues_the_marked_after_confirming_the_count(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await select_job(app, pilot, 119)
        await pilot.press("space")  # marks 119, moves to 118
        await pilot.press("space")  # marks 118 (Success)
        await select_job(app, pilot, 112)
        await pilot.press("space")
        assert app.jobs.table.marked == {119, 118, 112}
        assert "3 marked" in screen_text(app)
        await pilot.press("R")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Requeue 2 marked Error jobs?" in screen_text(app)
        assert "1 marked job(s) are not in Error" in screen_text(app)
        await pilot.press("y")
        await settle(pilot, app)
        assert store.jobs[119].link_status is LinkStatus.QUEUED
        assert store.jobs[112].link_status is LinkStatus.QUEUED
        assert store.jobs[118].link_status is LinkStatus.SUCCESS
        assert app.jobs.table.marked == set()
        assert store.audit[-1].job_count == 2


async def test_R_without_marks_requeues_every_error_matching_the_filter(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await apply_filter(app, pilot, "entity:invoice")
        expected = sorted(
            j.id for j in store.jobs.values() if j.entity_type.value == "Invoice" and j.link_status is LinkStatus.ERROR
        )
        await pilot.press("R")
        await settle(pilot, app)
        assert f"Requeue {len(expected)} Error jobs matching: entity:invoice?" in screen_text(app)
        await pilot.press("n")
        await settle(pilot, app)
        assert all(store.jobs[i].link_status is LinkStatus.ERROR for i in expected)  # cancelled: nothing changed
        await pilot.press("R")
        await settle(pilot, app)
        await pilot.press("y")
        await settle(pilot, app)
        assert all(store.jobs[i].link_status is LinkStatus.QUEUED for i in expected)
        others = [j for j in store.jobs.values() if j.entity_type.value != "Invoice"]
        assert any(j.link_status is LinkStatus.ERROR for j in others)
        assert store.audit[-1].detail == "entity:invoice"
        assert store.audit[-1].job_count == len(expected)


async def test_R_with_a_filter_that_excludes_errors_says_nothing_to_do(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await apply_filter(app, pilot, "status:success")
        await pilot.press("R")
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert "nothing to requeue" in notices(app)


async def test_x_marks_a_stuck_queued_job_as_error(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await select_job(app, pilot, 120)
        await pilot.press("x")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot, app)
        assert store.jobs[120].link_status is LinkStatus.ERROR
        assert store.audit[-1].action == "mark-error"
        await select_job(app, pilot, 118)
        await pilot.press("x")
        await settle(pilot, app)
        assert "only a stuck Queued job can be marked as Error" in notices(app)


async def test_s_sync_now_picks_a_service_and_posts_a_request(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("s")
        await settle(pilot, app)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("down", "enter")  # the second service: Low priority
        await settle(pilot, app)
        assert [(r.kind, r.args) for r in store.requests] == [("sync-now", {"service": "low_priority"})]
        assert "sent to the next engine to start" in notices(app)
        assert store.audit[-1].action == "request:sync-now"


async def test_p_pauses_then_resumes(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        assert [r.kind for r in store.requests] == ["pause", "resume"]


async def test_f_freezes_the_view_and_holds_updates(store: MemoryStore) -> None:
    from tests.ui.conftest import make_job

    app = make_app(store, refresh_ms=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("f")
        await settle(pilot, app)
        loads = app.jobs.table.loads
        store.put(make_job(121))
        store.put(make_job(122))
        for _ in range(100):  # bounded wait for the feed poll to notice
            await pilot.pause(0.02)
            if app.jobs.held == 2:
                break
        await pilot.pause(0.1)
        assert app.jobs.table.loads == loads
        assert app.jobs.table.total == 120
        assert "FROZEN · 2 changes held" in screen_text(app)
        await pilot.press("f")
        for _ in range(100):
            await pilot.pause(0.02)
            if app.jobs.table.total == 122:
                break
        await settle(pilot, app)
        assert app.jobs.table.total == 122
        assert "FROZEN" not in screen_text(app)


async def test_e_exports_the_filtered_view_to_csv_and_json(store: MemoryStore, tmp_path: Path) -> None:
    app = make_app(store, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await apply_filter(app, pilot, "status:error")
        errors = sorted((j.id for j in store.jobs.values() if j.link_status is LinkStatus.ERROR), reverse=True)
        for suffix in ("csv", "json"):
            await pilot.press("e")
            await settle(pilot, app)
            assert isinstance(app.screen, ExportScreen)
            app.screen.query_one("#export-path").value = str(tmp_path / f"errors.{suffix}")
            await pilot.press("enter")
            await settle(pilot, app)
        rows = list(csv.DictReader((tmp_path / "errors.csv").open(encoding="utf-8")))
        assert [int(r["id"]) for r in rows] == errors
        assert rows[0]["link_status"] == "Error" and "Duplicate Name" in rows[0]["error_description"]
        data = json.loads((tmp_path / "errors.json").read_text(encoding="utf-8"))
        assert [d["id"] for d in data] == errors
        assert "Exported" in notices(app)


async def test_export_refuses_a_bad_suffix_inline(store: MemoryStore, tmp_path: Path) -> None:
    app = make_app(store, export_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("e")
        await settle(pilot, app)
        app.screen.query_one("#export-path").value = str(tmp_path / "x.txt")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ExportScreen)
        assert "must end in .csv or .json" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert not list(tmp_path.iterdir())  # noqa: ASYNC240


async def test_question_mark_shows_help_generated_from_bindings(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot, app)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for key, words in (("r", "Requeue"), ("R", "Requeue all"), ("Space", "Mark"), ("f", "Freeze"), ("/", "Filter")):
            assert any(line.strip("█ ").startswith(key) and words in line for line in text.splitlines()), key
        assert "status:error" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_every_action(store: MemoryStore) -> None:
    from inolink_tui.ui.commands import console_commands

    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        for command in console_commands(False):
            name = command.action.split("(")[0]
            target, name = (app, name.removeprefix("app.")) if name.startswith("app.") else (app.jobs, name)
            assert hasattr(target, f"action_{name}"), command
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"freeze")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert app.jobs.frozen


async def test_q_quits(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
