"""The Conflicts view (key 5), the inspector's winner / loser table, and re-apply (confirmed, audited, read-only)."""

from __future__ import annotations

from inolink_tui.domain.enums import JobView, LinkStatus, Operation, Source
from inolink_tui.ui.confirm import ConfirmScreen
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, fill, make_app, make_job, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_actions import notices
from tests.ui.test_inspector import open_job

QB_WON = {
    "conflict": {
        "winner": "QuickBooks",
        "losing_side": "CRM",
        "losing_values": {"name": "Contoso CRM edit", "telephone1": "555-0100"},
        "winning_values": {"name": "Contoso QB edit", "telephone1": "555-0199"},
    }
}
CRM_WON_OLD = {"conflict": {"winner": "CRM", "losing_side": "QuickBooks", "losing_values": {"DisplayName": "QB Name"}}}


def conflict_store() -> MemoryStore:
    store = fill(MemoryStore(now=NOW))
    store.put(make_job(116, payload=QB_WON, operation=Operation.UPDATE, source=Source.ACCOUNTING))
    store.put(make_job(113, payload=CRM_WON_OLD, operation=Operation.UPDATE, source=Source.CRM))
    return store


async def test_key_5_shows_only_jobs_where_deadlock_win_discarded_a_change() -> None:
    store = conflict_store()
    app = make_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        assert app.jobs.view is JobView.CONFLICTS
        listing = app.store._listing(app.jobs.effective_filter, app.jobs.sort, None)
        assert [job.id for job in listing] == [116, 113]
        text = screen_text(app)
        assert "Contoso" in text and "116" in text and "113" in text


async def test_inspector_shows_loser_and_winner_side_by_side() -> None:
    store = conflict_store()
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await open_job(app, pilot, 116)
        text = screen_text(app)
        assert "CRM (discarded)" in text and "QuickBooks (kept, now in the record)" in text
        line = next(row for row in text.splitlines() if "telephone1" in row)
        assert line.index("555-0100") < line.index("555-0199"), line
        assert "Contoso CRM edit" in text and "Contoso QB edit" in text


async def test_older_jobs_without_winning_values_say_not_recorded() -> None:
    store = conflict_store()
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await open_job(app, pilot, 113)
        line = next(row for row in screen_text(app).splitlines() if "DisplayName" in row and "QB Name" in row)
        assert "not recorded" in line


async def test_a_reapplies_the_losing_values_as_a_new_job_after_confirming() -> None:
    store = conflict_store()
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await open_job(app, pilot, 116)
        before = set(store.jobs)
        await pilot.press("a")
        await settle(pilot, app)
        assert isinstance(app.screen, ConfirmScreen)
        assert set(store.jobs) == before, "nothing is queued before the answer"
        await pilot.press("y")
        await settle(pilot, app)
        (new_id,) = set(store.jobs) - before
        new = store.jobs[new_id]
        # CRM lost: a direct CRM update job (Source Accounting writes into CRM) carrying CRM's values.
        assert new.source is Source.ACCOUNTING and new.operation is Operation.UPDATE
        assert new.link_status is LinkStatus.QUEUED and new.submitted_by == "console:tester"
        assert new.crm_record_id == store.jobs[116].crm_record_id
        assert new.payload == {
            "reapply": {
                "losing_side": "CRM",
                "values": {"name": "Contoso CRM edit", "telephone1": "555-0100"},
                "from_job": 116,
            }
        }
        assert [(a.actor, a.action, a.job_count) for a in store.audit] == [("console:tester", "reapply-conflict", 1)]
        assert f"Queued job {new_id}" in notices(app)


async def test_a_for_a_quickbooks_loser_queues_a_crm_to_quickbooks_job() -> None:
    store = conflict_store()
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await open_job(app, pilot, 113)
        before = set(store.jobs)
        await pilot.press("a", "y")
        await settle(pilot, app)
        (new_id,) = set(store.jobs) - before
        assert store.jobs[new_id].source is Source.CRM
        assert store.jobs[new_id].payload["reapply"]["values"] == {"DisplayName": "QB Name"}  # type: ignore[index]


async def test_a_declined_or_read_only_queues_nothing() -> None:
    store = conflict_store()
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await open_job(app, pilot, 116)
        before = set(store.jobs)
        await pilot.press("a", "n")
        await settle(pilot, app)
        assert set(store.jobs) == before and store.audit == []
    store = conflict_store()
    app = make_app(store, read_only=True)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        await pilot.press("5")
        await settle(pilot, app)
        await open_job(app, pilot, 116)
        before = set(store.jobs)
        await pilot.press("a")
        await settle(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert set(store.jobs) == before and store.audit == []
        assert "Read-only: re-applying conflict values is disabled" in notices(app)


async def test_a_on_a_job_without_conflict_says_why() -> None:
    store = conflict_store()
    app = make_app(store)
    async with app.run_test(size=(120, 60)) as pilot:
        await settle(pilot, app)
        await open_job(app, pilot, 118)
        await pilot.press("a")
        await settle(pilot, app)
        assert "Cannot re-apply: job 118 records no Deadlock Win conflict." in notices(app)
        assert store.audit == []
