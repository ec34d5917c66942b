"""Marks and views: `R` states how many marked jobs it will requeue outside the current view (issue 12, item 9).

Before: jobs marked in one view were requeued by `R` in another without a word: the confirmation said
"Requeue 2 marked Error jobs?" while the screen showed one of them, or none.
"""

from __future__ import annotations

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.ui.confirm import ConfirmScreen
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import make_app, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_actions import notices, select_job
from tests.ui.test_filter import apply_filter


async def _mark(app, pilot, *ids: int) -> None:  # type: ignore[no-untyped-def]
    for job_id in ids:
        await select_job(app, pilot, job_id)
        await pilot.press("space")
    assert app.jobs.table.marked == set(ids)


async def test_R_names_the_marked_jobs_outside_the_view_before_requeueing_them(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("2")  # the Failed view
        await settle(pilot, app)
        await _mark(app, pilot, 119, 112, 105)
        await apply_filter(app, pilot, "id:119")  # now the screen shows job 119 only
        await pilot.press("R")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        text = screen_text(app)
        assert "Requeue 3 marked Error jobs, 2 of them outside this view" in text
        assert "(view:failed id:119)?" in text  # the dialog wraps the question here
        assert "Marked outside this view: #105, #112." in text
        await pilot.press("y")
        await settle(pilot, app)
        assert all(store.jobs[i].link_status is LinkStatus.QUEUED for i in (119, 112, 105))
        assert "Requeued 3 job(s) (2 of them marked outside this view)." in notices(app)


async def test_with_confirmations_off_R_still_asks_when_marks_lie_outside_the_view(store: MemoryStore) -> None:
    app = make_app(store, confirm_bulk=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await _mark(app, pilot, 119, 112)
        await apply_filter(app, pilot, "id:119")
        await pilot.press("R")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        assert "1 of them outside this view" in screen_text(app)
        await pilot.press("n")
        await settle(pilot, app)
        assert store.jobs[112].link_status is LinkStatus.ERROR and store.jobs[119].link_status is LinkStatus.ERROR
        await apply_filter(app, pilot, "")  # every marked job in view again: confirmations off means no question
        await pilot.press("R")
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert store.jobs[112].link_status is LinkStatus.QUEUED and store.jobs[119].link_status is LinkStatus.QUEUED
