"""Pure pieces of the console: export, throughput from the feed, top-bar text, theme choice."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.store.base import Change
from inolink_tui.ui.engine_port import ConnectionStatus, ServiceStatus
from inolink_tui.ui.export import ExportError, export_jobs, format_for
from inolink_tui.ui.status_bar import BarState, connection_text, service_text, until
from inolink_tui.ui.theme import DEFAULT_THEME, pick_theme
from inolink_tui.ui.tiles import FeedRates, first_seq_since, per_minute
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import NOW, fill, make_app, make_job, settle
from tests.ui.fakes import FakeEngine
from tests.ui.screen_text import screen_text


def test_format_from_suffix() -> None:
    assert format_for(Path("a.CSV")) == "csv" and format_for(Path("a.json")) == "json"
    with pytest.raises(ExportError, match=r"must end in \.csv or \.json"):
        format_for(Path("a.xlsx"))


async def test_export_streams_hostile_text_and_leaves_no_partial_file(tmp_path: Path) -> None:
    store = MemoryStore(now=NOW)
    nasty = 'Quote "A", 50% off_\\ \n second line ☃ \u202e'
    for i in range(1, 2502):  # more than one page
        store.put(make_job(i, record_name=nasty if i == 7 else f"r{i}"))
    path = tmp_path / "all.json"
    written = await export_jobs(store, JobFilter(), JobSort(), path, now=NOW)
    assert written == 2501
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [d["id"] for d in data][:3] == [2501, 2500, 2499]
    assert next(d for d in data if d["id"] == 7)["record_name"] == nasty
    with pytest.raises(ExportError, match="does not exist"):
        await export_jobs(store, JobFilter(), JobSort(), tmp_path / "missing" / "x.csv", now=NOW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.json"]  # noqa: ASYNC240


def test_per_minute_buckets_the_last_hour() -> None:
    times = [NOW - timedelta(seconds=30), NOW - timedelta(minutes=59, seconds=30), NOW - timedelta(hours=2), None]
    buckets = per_minute(times, NOW)
    assert len(buckets) == 60 and buckets[-1] == 1 and buckets[0] == 1 and sum(buckets) == 2


async def test_feed_rates_start_an_hour_back_and_follow_the_feed() -> None:
    store = MemoryStore(now=NOW)
    for minutes_ago in (120, 90, 50, 10, 1):
        store.changes.append(Change(len(store.changes) + 1, 1, "completed", NOW - timedelta(minutes=minutes_ago)))
    store.changes.append(Change(len(store.changes) + 1, 2, "failed", NOW - timedelta(minutes=5)))
    store.changes.append(Change(len(store.changes) + 1, 3, "created", NOW - timedelta(minutes=4)))
    assert await first_seq_since(store, NOW - timedelta(hours=1), await store.latest_seq()) == 2
    rates = FeedRates()
    await rates.catch_up(store, NOW)
    done, failed = rates.series(NOW)
    assert sum(done) == 3 and sum(failed) == 1
    store.changes.append(Change(len(store.changes) + 1, 4, "completed", NOW))
    await rates.catch_up(store, NOW)
    assert sum(rates.series(NOW)[0]) == 4


def test_top_bar_text() -> None:
    services = [
        ServiceStatus("high_priority", paused=True, last_run=NOW, next_run=NOW + timedelta(minutes=30)),
        ServiceStatus("crm_to_quickbooks", running=True),
        ServiceStatus("low_priority", enabled=False),
    ]
    text = service_text(services).plain
    assert "High priority paused 09:30→10:00" in text and "CRM→QB running" in text and "disabled" in text
    assert service_text(services, narrow=True).plain.startswith("High paused")
    state = BarState(
        connections=(ConnectionStatus("QuickBooks", False, "invalid_grant: reconnect", refresh_expires=NOW),),
        read_only=True,
        frozen=True,
        held=3,
        scheduler="attached",
        attached_to="h:1",
    )
    line = connection_text(state, NOW).plain
    for part in (
        "QuickBooks ✗ invalid_grant: reconnect",
        "refresh expired",
        "ATTACHED h:1",
        "READ-ONLY",
        "3 changes held",
    ):
        assert part in line
    assert until(NOW + timedelta(days=87, hours=1), NOW) == "87d" and until(NOW + timedelta(minutes=5), NOW) == "5m"


def test_theme_choice_defaults_to_the_terminals_palette() -> None:
    assert pick_theme(None, ["ansi-dark", "nord"]) == (DEFAULT_THEME, None)
    assert pick_theme("nord", ["ansi-dark", "nord"]) == ("nord", None)
    chosen, warning = pick_theme("nope", ["ansi-dark", "nord"])
    assert chosen == DEFAULT_THEME and warning is not None and "nord" in warning


async def test_app_uses_the_ansi_theme_and_toggles_tiles_by_entity(store: MemoryStore) -> None:
    app = make_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        assert app.theme == "ansi-dark"
        app.jobs._flush_slow()
        await settle(pilot, app)
        assert "Queued 21" in screen_text(app)
        await pilot.press("t")
        await pilot.pause()
        assert "Account 20" in screen_text(app) and "Invoice 20" in screen_text(app)


async def test_in_process_engine_control_is_audited_by_the_console() -> None:
    store = fill(MemoryStore(now=NOW))
    engine = FakeEngine(NOW)
    app = make_app(store, engine=engine, in_process=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot, app)
        await pilot.press("p")
        await settle(pilot, app)
        assert all(s.paused for s in await engine.services())
        await pilot.press("p")
        await settle(pilot, app)
        await pilot.press("s")
        await settle(pilot, app)
        await pilot.press("end", "enter")  # "All services"
        await settle(pilot, app)
        assert [c[0] for c in engine.calls] == ["pause", "resume", "run_now", "run_now", "run_now"]
        assert [a.action for a in store.audit] == ["pause", "resume", "sync-now"]
        assert store.requests == []  # in-process: nothing goes through the store's request table
        assert store.jobs[119].link_status is LinkStatus.ERROR
