"""Palette tools (doctor, fix dependencies): found by name, run for the selected job, output shown."""

from __future__ import annotations

import pytest

from inolink_tui.domain.jobs import LinkJob
from inolink_tui.ui import tools
from inolink_tui.ui.tools import Tool, ToolOutputScreen, register_tool
from tests.fakes.memstore import MemoryStore
from tests.ui.conftest import make_app, settle
from tests.ui.screen_text import screen_text
from tests.ui.test_actions import select_job


@pytest.fixture(autouse=True)
def no_tools(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools, "TOOLS", {})


async def test_doctor_from_the_palette_shows_its_findings(store: MemoryStore) -> None:
    calls: list[LinkJob | None] = []

    async def doctor(job: LinkJob | None) -> tuple[int, str]:
        calls.append(job)
        return 2, "FAIL Dynamics 365: missing column account.ino_promotedon -- fix: run `inolink-tui crm setup`"

    register_tool("doctor", Tool("Doctor: check connections, schema and settings", "doctor", doctor))
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("ctrl+p")
        await pilot.press(*"doctor")
        await settle(pilot, app)
        await pilot.press("enter")
        await settle(pilot, app)
        assert isinstance(app.screen, ToolOutputScreen)
        text = screen_text(app)
        assert "exit 2" in text and "missing column account.ino_promotedon" in text
        assert calls == [None]


async def test_fix_dependencies_runs_for_the_selected_job_and_not_when_read_only(store: MemoryStore) -> None:
    seen: list[int | None] = []

    async def fix(job: LinkJob | None) -> tuple[int, str]:
        seen.append(job.id if job else None)
        return 0, f"job {seen[-1]} requeued; it waits for 2 dependency job(s)"

    register_tool("fix-dependencies", Tool("Fix dependencies of selected job", "h", fix, needs_job=True, mutating=True))
    app = make_app(store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, app)
        await select_job(app, pilot, 119)
        await tools.run_tool(app, "fix-dependencies")
        await settle(pilot, app)
        assert seen == [119]
        assert "job 119 requeued" in screen_text(app)
    read_only = make_app(store, read_only=True)
    async with read_only.run_test(size=(120, 30)) as pilot:
        await settle(pilot, read_only)
        await tools.run_tool(read_only, "fix-dependencies")
        await settle(pilot, read_only)
        assert seen == [119]
        assert "Read-only" in "\n".join(str(n.message) for n in read_only._notifications)
