"""[ui] settings and --read-only reach the console as one ConsoleOptions value (cli/run_cmd.py -> ui/run.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from inolink_tui.cli import run_cmd
from inolink_tui.cli.context import CliContext
from inolink_tui.domain.enums import JobView
from inolink_tui.ui import run as ui_run
from inolink_tui.ui import tools
from inolink_tui.ui.options import ConsoleOptions


def test_ui_settings_and_read_only_become_console_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "s.toml"
    config.write_text(
        '[ui]\ntheme = "textual-light"\nrefresh_ms = 500\nconfirm_bulk = false\ndefault_view = "Failed"\n'
    )
    seen: list[tuple[Path, ConsoleOptions, object]] = []

    def fake_console(path: Path, options: ConsoleOptions, *, engine_factory: object = None) -> int:
        seen.append((path, options, engine_factory))
        return 0

    monkeypatch.setattr(tools, "TOOLS", {})  # the CLI registers its palette tools; keep them out of other tests
    monkeypatch.setattr(ui_run, "run_console", fake_console)
    monkeypatch.setattr(run_cmd, "_log_to_file", lambda path: None)
    ctx = CliContext(config_path=config, db_override=tmp_path / "jobs.db", read_only=True)
    assert run_cmd.run_console(ctx) == 0
    [(path, options, factory)] = seen
    assert path == tmp_path / "jobs.db" and factory is None
    assert (options.theme, options.refresh_ms, options.confirm_bulk) == ("textual-light", 500, False)
    assert options.default_view is JobView.FAILED and options.read_only
    assert options.actor.startswith("console:")
