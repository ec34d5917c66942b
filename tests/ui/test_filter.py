"""The `/` filter line and InoLink's views on number keys."""

from __future__ import annotations

from inolink_tui.domain.enums import EntityType, JobView, LinkStatus
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import make_app, settle
from tests.ui.screen_text import screen_text


async def _type_filter(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    await pilot.press(*list(text.replace(" ", "\x00")))


async def apply_filter(app, pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    app.query_one("#filter-input").value = text
    await pilot.press("enter")
    await settle(pilot, app)


async def test_filter_grammar_narrows_the_table(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("slash")
        await pilot.press(*"status:error")
        await pilot.press("enter")
        await settle(pilot, app)
        jobs = app.jobs.table.visible_jobs()
        assert jobs and all(j.link_status is LinkStatus.ERROR for j in jobs)
        assert app.jobs.table.total == sum(1 for j in store.jobs.values() if j.link_status is LinkStatus.ERROR)
        text = screen_text(app)
        assert "filter status:error" in text
        assert "status:error" in app.query_one("#filter-input").value  # shown while active


async def test_combined_keys_and_free_text(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await apply_filter(app, pilot, "entity:invoice source:crm Contoso")
        jobs = app.jobs.table.visible_jobs()
        assert jobs and all(j.entity_type is EntityType.INVOICE for j in jobs)
        await apply_filter(app, pilot, "119")
        assert [j.id for j in app.jobs.table.visible_jobs()] == [119]


async def test_syntax_error_is_shown_inline_and_nothing_crashes(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await apply_filter(app, pilot, "status:bogus")
        text = screen_text(app)
        assert "'status:bogus'" in text and "is not a valid LinkStatus" in text
        assert app.jobs.table.total == len(store.jobs)  # the old listing stays
        await apply_filter(app, pilot, 'by:"unbalanced')
        assert "unbalanced quotes" in screen_text(app)
        await apply_filter(app, pilot, "since:yesterday")
        assert "neither a duration" in screen_text(app)


async def test_escape_clears_the_filter(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await apply_filter(app, pilot, "status:queued")
        assert app.jobs.table.total < len(store.jobs)
        await pilot.press("escape")
        await settle(pilot, app)
        assert app.jobs.table.total == len(store.jobs)
        assert "filter " not in screen_text(app).split("showing")[1]


async def test_number_keys_switch_inolink_views(store: MemoryStore) -> None:
    store.set_job(7, inactive=True)
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        expected = {
            "1": (JobView.ACTIVE, lambda j: not j.inactive and j.link_status is not LinkStatus.SUCCESS),
            "2": (JobView.FAILED, lambda j: not j.inactive and j.link_status is LinkStatus.ERROR),
            "3": (JobView.INACTIVE, lambda j: j.inactive),
            "4": (JobView.ALL, lambda j: True),
        }
        for key, (view, rule) in expected.items():
            await pilot.press(key)
            await settle(pilot, app)
            assert app.jobs.view is view
            assert app.jobs.table.total == sum(1 for j in store.jobs.values() if rule(j))
            assert f"view {view.value}" in screen_text(app)


async def test_view_typed_in_the_filter_sets_the_view(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await apply_filter(app, pilot, "view:failed")
        assert app.jobs.view is JobView.FAILED
