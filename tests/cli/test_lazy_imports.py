"""Each command imports what it uses: `--help` and `jobs list` never load the connectors' libraries (msal,
intuit-oauth, httpx), Textual or the sandbox (issue 18 item 3).

Each check runs the real entry point in a fresh interpreter (the test process has imported everything already)
and reads `sys.modules` there after the command has run.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from inolink_tui.cli.main import SUBCOMMANDS, SUMMARIES, cli
from inolink_tui.store import open_store

FORBIDDEN = ("msal", "intuitlib", "httpx", "textual", "inolink_tui.sandbox", "inolink_tui.ui", "inolink_tui.connectors")
"""Top-level packages (and our own heavy packages) no listing or job command needs."""
SYNC_LISTING = (
    "asyncio",
    "ssl",
    "concurrent.futures",
    "inolink_tui.store.sqlite",
    "inolink_tui.store.executor",
    "logging",
    "inolink_tui.domain.links",
)
"""What `jobs list` and `jobs show` no longer load: they read through store/snapshot.py, without an event loop, its
threads or the async store (asyncio alone was about a quarter of what `jobs list` imported beyond click); the
store's open path and the config stamp import logging only to log, and the record links are annotations only."""

PROBE = """
import json, sys
from inolink_tui.cli.main import cli
code = 0
try:
    cli.main(sys.argv[1:], prog_name="inolink-tui")
except SystemExit as exc:
    code = exc.code
loaded = sorted(name for name in sys.modules)
sys.stdout.write("\\n@@" + json.dumps({"code": code, "modules": loaded}) + "\\n")
"""


def modules_after(*args: str) -> tuple[object, list[str]]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=60, check=False)
    tail = done.stdout.rsplit("\n@@", 1)
    assert len(tail) == 2, done.stderr
    report = json.loads(tail[1])
    return report["code"], report["modules"]


@pytest.fixture(scope="module")
def bare() -> set[str]:
    """What a bare interpreter holds already: intuit-oauth's namespace .pth file, for one, imports `intuitlib`
    (an empty namespace package) at every start-up, before any code of ours runs."""
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(done.stdout))


def heavy(modules: list[str], bare: set[str]) -> list[str]:
    return [
        name for name in modules if name not in bare and any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("lazy")

    async def create() -> None:
        store = await open_store(folder / "jobs.db", create=True)
        await store.close()

    asyncio.run(create())
    path = folder / "c.toml"
    path.write_text(f'[store]\npath = "{folder / "jobs.db"}"\n', encoding="utf-8")
    return path


def test_help_imports_no_subcommand_module(bare: set[str]) -> None:
    code, modules = modules_after("--help")
    assert code == 0
    assert heavy(modules, bare) == []
    # The listing comes from SUMMARIES: not one command module (nor pydantic, which the config pulls in) loads.
    assert [m for m in modules if m.startswith("inolink_tui.cli.") and m.endswith("_cmd")] == []
    assert "pydantic" not in modules


def test_jobs_list_imports_the_store_not_the_connectors(config: Path, bare: set[str]) -> None:
    code, first = modules_after("--config", str(config), "jobs", "list")
    assert code in (0, None)
    assert "inolink_tui.store.snapshot" in first  # it did run
    assert heavy(first, bare) == []
    assert "pydantic" in first  # the first run validates the config in full, and stamps it
    code, again = modules_after("--config", str(config), "jobs", "list")
    assert code in (0, None) and "inolink_tui.store.snapshot" in again
    assert heavy(again, bare) == [] and "pydantic" not in again and "inolink_tui.config.model" not in again
    assert [m for m in SYNC_LISTING if m in again] == []


def test_jobs_show_and_the_listing_formats_start_no_event_loop(config: Path) -> None:
    """Every reading form: the table, JSON, CSV and `jobs show` (a missing job: exit 1, still read synchronously);
    nor do they load `jobs purge` or `jobs fix-dependencies`, which are imported only when used."""
    modules_after("--config", str(config), "jobs", "list")  # the stamp, whichever test ran first
    for args in (("list", "--format", "json"), ("list", "--format", "csv"), ("show", "1")):
        code, loaded = modules_after("--config", str(config), "jobs", *args)
        assert code in (0, 1, None), args
        assert "inolink_tui.store.snapshot" in loaded, args
        assert [m for m in SYNC_LISTING if m in loaded] == [], args
        assert "inolink_tui.cli.records_cmd" not in loaded and "inolink_tui.cli.purge_cmd" not in loaded, args


def test_a_config_changed_after_its_stamp_is_validated_again(config: Path) -> None:
    """The stamp never hides a problem: the changed file does not match it, so it is validated in full."""
    assert modules_after("--config", str(config), "jobs", "list")[0] in (0, None)
    config.write_text(config.read_text(encoding="utf-8") + "\n[sync]\nworkerz = 2\n", encoding="utf-8")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "inolink_tui", "--config", str(config), "jobs", "list"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2 and "did you mean 'workers'?" in done.stderr
    finally:
        config.write_text(config.read_text(encoding="utf-8").replace("\n[sync]\nworkerz = 2\n", ""), encoding="utf-8")


@pytest.mark.parametrize("limit", [30, 45, 80, 200])
def test_each_summary_is_the_commands_own_short_help(limit: int) -> None:
    """--help lists SUMMARIES; each must say what the command's own help says, whatever the width."""
    assert set(SUMMARIES) == set(SUBCOMMANDS)
    context = click.Context(cli)
    for name in SUBCOMMANDS:
        command = cli.get_command(context, name)
        assert command is not None, name
        listed = click.Command(name, help=SUMMARIES[name]).get_short_help_str(limit)
        assert listed == command.get_short_help_str(limit), name
