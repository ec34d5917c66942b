"""The console over a real SQLite store with many jobs: first paint, jumps and filters stay fast.

Runs with 20,000 jobs by default (a few seconds to build); set INOLINK_UI_ROWS=1000000 for the
million-job figure quoted in the report. Timing bounds are generous (shared CI machines); the
figures are printed so a run can be read.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from inolink_tui.store import open_store
from inolink_tui.ui.app import InolinkApp
from inolink_tui.ui.options import ConsoleOptions
from tests.ui.bench_data import fill_store
from tests.ui.conftest import settle

ROWS = int(os.environ.get("INOLINK_UI_ROWS", "20000"))
PREBUILT = os.environ.get("INOLINK_UI_DB")
"""A database already filled by `python -m tests.ui.bench_data PATH ROWS` (building 1M rows takes minutes)."""


@pytest.fixture(scope="module")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    if PREBUILT:
        return Path(PREBUILT)
    path = tmp_path_factory.mktemp("scale") / "jobs.db"
    asyncio.run(fill_store(path, ROWS))
    return path


@pytest.mark.timeout(300)
async def test_first_paint_and_navigation_over_a_large_store(big_db: Path) -> None:
    store = await open_store(big_db)
    try:
        app = InolinkApp(store, ConsoleOptions(actor="console:bench", refresh_ms=250))
        started = time.perf_counter()
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(500):
                if app.jobs.first_paint is not None:
                    break
                await pilot.pause(0.01)
            to_paint = time.perf_counter() - started
            assert app.jobs.first_paint is not None
            await settle(pilot, app)
            assert app.jobs.table.total == ROWS
            assert len(app.jobs.table.window.jobs) <= app.jobs.table.visible_rows + 2 * app.jobs.table.margin
            figures = {"mount_to_first_window_s": app.jobs.first_paint, "start_to_first_window_s": to_paint}

            t0 = time.perf_counter()
            await pilot.press("end")
            await settle(pilot, app)
            figures["jump_to_last_s"] = time.perf_counter() - t0
            assert app.jobs.table.selected_job is not None and app.jobs.table.selected_job.id == 1

            t0 = time.perf_counter()
            await pilot.press("home", *(["pagedown"] * 20))
            await settle(pilot, app)
            figures["home_then_20_pagedowns_s"] = time.perf_counter() - t0

            t0 = time.perf_counter()
            await pilot.press("2")  # Failed view
            await settle(pilot, app)
            figures["failed_view_s"] = time.perf_counter() - t0
            assert app.jobs.table.total == ROWS // 7
            print(f"\nconsole scale ({ROWS:,} jobs): " + " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
            assert app.jobs.first_paint < 5.0
    finally:
        await store.close()
