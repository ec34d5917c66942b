"""The Line-API job table: windows from the store, strip cache, live refresh that keeps the cursor's job."""

from __future__ import annotations

from datetime import timedelta

from inolink_tui.domain.enums import LinkStatus
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, make_app, make_job, settle
from tests.ui.screen_text import screen_lines, screen_text


def big_store(count: int) -> MemoryStore:
    store = MemoryStore(now=NOW)
    for index in range(1, count + 1):
        store.put(make_job(index))
    return store


async def test_table_reads_only_a_window_around_the_viewport() -> None:
    store = big_store(2000)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.jobs.table
        assert table.total == 2000
        assert len(table.window.jobs) <= table.visible_rows + 2 * table.margin < 2000  # a window, not the listing
        assert table.job_at(0) is not None and table.job_at(0).id == 2000  # newest first
        assert "showing 2,000 of 2,000" in screen_text(app)


async def test_cursor_moves_scroll_and_page_with_keyset_reads() -> None:
    store = big_store(2000)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.jobs.table
        await pilot.press("down", "down", "down")
        assert table.selected_job is not None and table.selected_job.id == 1997
        for _ in range(12):
            await pilot.press("pagedown")
        await settle(pilot, app)
        assert table.cursor_row == 3 + 12 * table.visible_rows
        assert table.selected_job is not None and table.selected_job.id == 2000 - table.cursor_row
        lines = screen_lines(app)
        assert any(str(table.selected_job.id) in line for line in lines)
        await pilot.press("end")
        await settle(pilot, app)
        assert table.selected_job is not None and table.selected_job.id == 1
        await pilot.press("home")
        await settle(pilot, app)
        assert table.selected_job is not None and table.selected_job.id == 2000


async def test_rendered_rows_come_from_the_strip_cache() -> None:
    store = big_store(50)
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        table = app.jobs.table
        cached = len(table._strips)
        assert cached > 0
        table.refresh()
        await pilot.pause()
        assert len(table._strips) == cached  # repainting the same rows reuses the strips


async def test_idle_console_reads_nothing() -> None:
    store = big_store(100)
    app = make_app(store, refresh_ms=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.pause(1.3)  # the first tiles and sparkline reads happen in the first second
        await settle(pilot, app)
        reads, loads = store.reads, app.jobs.table.loads
        await pilot.pause(0.8)  # ~40 feed polls
        assert app.jobs.table.loads == loads
        assert store.reads == reads


async def test_live_updates_keep_the_cursor_on_its_job_and_the_view_still() -> None:
    store = big_store(300)
    app = make_app(store, refresh_ms=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.jobs.table
        for _ in range(5):
            await pilot.press("pagedown")
        await settle(pilot, app)
        chosen = table.selected_job
        assert chosen is not None
        top_job = table.job_at(int(table.scroll_y))
        for index in range(301, 311):  # ten new jobs arrive above (newest first)
            store.put(make_job(index))
        store.set_job(chosen.id, link_status=LinkStatus.ERROR, error_description="boom", updated_at=NOW)
        await pilot.pause(0.2)
        await settle(pilot, app)
        assert table.total == 310
        assert table.selected_job is not None and table.selected_job.id == chosen.id
        assert table.selected_job.link_status is LinkStatus.ERROR
        assert table.job_at(int(table.scroll_y)) == top_job


async def test_at_the_top_new_jobs_appear_and_cursor_keeps_its_job() -> None:
    store = big_store(30)
    app = make_app(store, refresh_ms=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.jobs.table
        await pilot.press("down")
        chosen = table.selected_job
        store.put(make_job(31))
        await pilot.pause(0.2)
        await settle(pilot, app)
        assert table.scroll_y == 0
        assert table.job_at(0) is not None and table.job_at(0).id == 31
        assert table.selected_job == chosen


async def test_in_flight_jobs_are_marked() -> None:
    from inolink_tui.domain.jobs import Lease

    store = big_store(5)
    store.set_job(5, lease=Lease("w1", NOW + timedelta(seconds=30)), link_status=LinkStatus.QUEUED)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        row = next(line for line in screen_lines(app) if "Contoso" in line and " 5 " in line)
        assert "▸" in row


async def test_sort_keys_change_order_and_header() -> None:
    store = big_store(40)
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("o")
        await settle(pilot, app)
        assert app.jobs.table.job_at(0) is not None and app.jobs.table.job_at(0).id == 1
        assert "Job↑" in screen_text(app)
        await pilot.press("greater_than_sign")
        await settle(pilot, app)
        assert app.jobs.sort.column == "entity_type"
        assert "Entity Type↑" in screen_text(app)
        app.jobs.action_sort_by("record_name")
        await settle(pilot, app)
        names = [j.record_name for j in app.jobs.table.visible_jobs()]
        assert names == sorted(names, reverse=True)


async def test_header_click_sorts() -> None:
    store = big_store(10)
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.click("#jobs", offset=(3, 0))
        await settle(pilot, app)
        assert app.jobs.sort.column == "id" and not app.jobs.sort.descending


async def test_empty_store_says_so() -> None:
    app = make_app(MemoryStore(now=NOW))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert "No jobs match: all jobs" in screen_text(app)
        await pilot.press("enter", "r", "space")
        await pilot.pause()


async def test_a_job_written_before_the_first_feed_poll_still_appears() -> None:
    """The live feed starts where the first load read the store, not at the first poll: a job written in between
    (the attached console's window when another process writes right after start-up) is shown."""
    store = big_store(30)
    app = make_app(store, refresh_ms=60_000)  # the timer never ticks during the test: polls are driven by hand
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.jobs.table.total == 30
        store.put(make_job(31))
        await app.jobs._poll_feed()
        await settle(pilot, app)
        assert app.jobs.table.total == 31
        assert app.jobs.table.job_at(0) is not None and app.jobs.table.job_at(0).id == 31


async def test_on_the_first_row_new_jobs_arrive_in_view() -> None:
    """Watching the head of the list (first row, not scrolled): 50 new jobs appear at the top and the cursor stays
    on the first row, instead of following its old job down and scrolling the newest out of view."""
    store = big_store(30)
    app = make_app(store, refresh_ms=20)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        table = app.jobs.table
        assert table.cursor_row == 0 and table.selected_job is not None and table.selected_job.id == 30
        for index in range(31, 81):
            store.put(make_job(index))
        await pilot.pause(0.2)
        await settle(pilot, app)
        assert table.total == 80
        assert table.scroll_y == 0 and table.cursor_row == 0
        assert table.selected_job is not None and table.selected_job.id == 80
        top = table.job_at(int(table.scroll_y))
        assert top is not None and top.id == 80
