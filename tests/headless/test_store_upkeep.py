"""The daemon's refresh chores include the store's upkeep (retention purge, feed pruning) from `[store]`."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from inolink_tui.config.model import Settings, StoreSettings
from inolink_tui.domain.filters import JobFilter
from inolink_tui.headless.app import store_upkeep
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.test_bounded_growth import START, _done

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(("days", "left"), [(90, 0), (0, 4)])
async def test_the_chore_applies_the_configured_retention(tmp_path: Path, days: int, left: int) -> None:
    store = await SqliteJobStore.open(tmp_path / "jobs.db")
    try:
        await _done(store, 4, START, "old")  # processed in 2025, long before the real clock's today
        settings = Settings(store=StoreSettings(path=tmp_path / "jobs.db", success_retention_days=days))
        chore = store_upkeep(store, settings)
        chore()
        for _ in range(100):
            tasks = [t for t in asyncio.all_tasks() if t.get_name() == "store-upkeep"]
            if not tasks:
                break
            await asyncio.gather(*tasks)
        assert await store.count(JobFilter()) == left
    finally:
        await store.close()
