"""The console's first screen loads only what it shows (issue 18 item 3: start-up).

The inspector (and the mapping domain it renders), the help screen, the command palette's providers and tools,
the dialogs and the export all load on first use; the console's start through the CLI with no engine in its
process loads neither the connectors nor their libraries. Each check runs in a fresh interpreter (this test
process has imported everything already) and reads `sys.modules` there.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from inolink_tui.store import open_store

LAZY = (
    "inolink_tui.ui.inspector",
    "inolink_tui.ui.conflict_section",
    "inolink_tui.ui.mapped_section",
    "inolink_tui.domain.mapping.applied",
    "inolink_tui.ui.help",
    "inolink_tui.ui.commands",
    "inolink_tui.ui.tools",
    "inolink_tui.ui.confirm",
    "inolink_tui.ui.export",
    "inolink_tui.ui.marks",
    "inolink_tui.domain.conflicts",
)
"""Modules of screens, dialogs and actions the first frame does not show or run."""

AFTER_FIRST_ROWS = (
    "inolink_tui.ui.throughput",
    "textual.widgets._sparkline",
    "textual.widgets._footer",
    "inolink_tui.domain.vocabulary",
    "inolink_tui.domain.errors",
)
"""Modules of what comes once the first rows are on screen (JobsScreen._finish_start): the sparklines, the footer,
and the service vocabulary the top bar's first engine read decodes with."""

NO_ENGINE = (
    "msal",
    "httpx",
    "requests",
    "inolink_tui.connectors",
    "inolink_tui.sandbox",
    "inolink_tui.engine.crm_setup",
)
"""What a console with no engine in its process has no use for."""

FIRST_SCREEN = """
import asyncio, json, sys
from pathlib import Path

async def main() -> None:
    from inolink_tui.store import open_store
    from inolink_tui.ui.app import InolinkApp
    from inolink_tui.ui.options import ConsoleOptions

    from inolink_tui.ui.job_table import JobTable

    store = await open_store(Path(sys.argv[1]))
    report = {}
    render_line = JobTable.render_line

    def watched(table, y):
        if y >= 1 and table.loaded_once and "at_rows" not in report:
            report["at_rows"] = sorted(sys.modules)
        return render_line(table, y)

    JobTable.render_line = watched
    try:
        app = InolinkApp(store, ConsoleOptions(actor="console:test", refresh_ms=250))
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(2000):
                if app.jobs.first_paint is not None:
                    break
                await pilot.pause(0.01)
            report["painted"] = app.jobs.first_paint is not None
            await pilot.pause(0.3)  # a refresh tick or two of the live feed
            report["first"] = sorted(sys.modules)
            await pilot.press("question_mark")
            await pilot.pause(0.2)
            report["after_help"] = sorted(sys.modules)
    finally:
        await store.close()
    sys.stdout.write("\\n@@" + json.dumps(report) + "\\n")

asyncio.run(main())
"""

CLI_CONSOLE = """
import json, sys
import inolink_tui.ui.run as run

def record(db, options, *, engine_factory=None):
    report = {"factory": engine_factory is not None, "modules": sorted(sys.modules)}
    sys.stdout.write("\\n@@" + json.dumps(report) + "\\n")
    return 0

run.run_console = record
from inolink_tui.cli.main import cli
try:
    cli.main(sys.argv[1:], prog_name="inolink-tui")
except SystemExit:
    pass
"""


def probe(script: str, *args: str) -> dict[str, object]:
    command = [sys.executable, "-c", script, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)
    tail = done.stdout.rsplit("\n@@", 1)
    assert len(tail) == 2, done.stderr[-2000:]
    report: dict[str, object] = json.loads(tail[1])
    return report


def loaded(modules: object, names: tuple[str, ...]) -> list[str]:
    assert isinstance(modules, list)
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lazy-start")

    async def create() -> None:
        store = await open_store(folder / "jobs.db", create=True)
        await store.close()

    asyncio.run(create())
    (folder / "c.toml").write_text(f'[store]\npath = "{folder / "jobs.db"}"\n', encoding="utf-8")
    return folder


def test_the_first_screen_loads_no_screen_it_does_not_show(folder: Path) -> None:
    report = probe(FIRST_SCREEN, str(folder / "jobs.db"))
    assert report["painted"] is True
    assert loaded(report["first"], LAZY) == []
    assert loaded(report["first"], NO_ENGINE) == []
    assert loaded(report["at_rows"], AFTER_FIRST_ROWS) == []
    assert loaded(report["first"], AFTER_FIRST_ROWS) == sorted(AFTER_FIRST_ROWS)  # then they come
    # The list is real: asking for help loads the help screen then.
    assert loaded(report["after_help"], ("inolink_tui.ui.help",)) == ["inolink_tui.ui.help"]


def test_the_console_without_an_engine_loads_no_connector(folder: Path) -> None:
    """No connections configured: the console is a viewer, and its start imports no connector library."""
    report = probe(CLI_CONSOLE, "--config", str(folder / "c.toml"))
    assert report["factory"] is False
    assert "inolink_tui.ui.options" in report["modules"]  # it did reach the console's start
    assert loaded(report["modules"], NO_ENGINE) == []
