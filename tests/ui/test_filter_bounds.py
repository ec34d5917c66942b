"""Issue 12 item 3 in the console: a filter with an out-of-range number, typed with `/`, shows its error inline
and the console (and the engine that may run inside it) keeps running. Runs on a real SQLite store, where an
unbounded value used to end in OverflowError and kill the app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, Operation, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.store import JobStore, open_store
from tests.ui.conftest import NOW, make_app, settle
from tests.ui.screen_text import screen_text

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[JobStore]:
    store = await open_store(tmp_path / "jobs.db")
    jobs = [
        NewJob(
            entity_type=EntityType.ACCOUNT,
            source=Source.CRM,
            crm_record_id=f"crm-{i}",
            record_name=f"Contoso {i}",
            company="9130",
            submitted_by="admin",
            operation=Operation.CREATE,
            submitted_at=NOW,
        )
        for i in range(5)
    ]
    await store.enqueue(jobs, now=NOW)
    try:
        yield store
    finally:
        await store.close()


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("slash")
    await pilot.press(*["space" if ch == " " else ch for ch in text])
    await pilot.press("enter")


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("since:99999999d", "too long"),
        ("id:99999999999999999999", "too large"),
        ("until:0001-01-01", "outside the dates"),
    ],
)
async def test_a_huge_value_in_the_filter_is_an_inline_error(sqlite_store: JobStore, typed: str, shown: str) -> None:
    app = make_app(sqlite_store)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot, app)
        await _type(pilot, typed)
        await settle(pilot, app)
        assert app.is_running
        assert shown in screen_text(app)
        assert app.table.total == 5  # the listing stays as it was
        await pilot.press("escape")
        await _type(pilot, "Contoso 3")  # and the console still filters
        await settle(pilot, app)
        assert app.is_running
        assert [job.record_name for job in app.table.visible_jobs()] == ["Contoso 3"]


async def test_a_twenty_digit_number_is_searched_as_text(sqlite_store: JobStore) -> None:
    app = make_app(sqlite_store)  # type: ignore[arg-type]
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot, app)
        await _type(pilot, "12345678901234567890")
        await settle(pilot, app)
        assert app.is_running
        assert app.table.total == 0
