"""The headless path, run for real in a fresh interpreter, never loads Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]


def test_a_headless_once_run_never_imports_textual(tmp_path: Path) -> None:
    code = f"""
import sys
from pathlib import Path
from inolink_tui.cli import run_cmd  # the CLI entry of --no-ui
from inolink_tui.headless.app import HeadlessOptions, main
from tests.headless.store_engine import build_engine, settings_for
status = main(settings_for(None), HeadlessOptions(Path({str(tmp_path / "jobs.db")!r}), once=True), build_engine)
loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
sys.stderr.write(f"status={{status}} textual={{loaded}}\\n")
"""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=50)
    assert "status=0 textual=[]" in out.stderr, out.stdout + out.stderr


def test_the_headless_modules_import_nothing_of_the_console() -> None:
    code = (
        "import sys, inolink_tui.headless.app, inolink_tui.cli.db_cmd, inolink_tui.cli.purge_cmd\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('textual', 'inolink_tui.ui')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_read_only_refuses_to_run_the_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from inolink_tui.headless.app import HeadlessOptions, main
    from tests.headless.store_engine import build_engine, settings_for

    root = logging.getLogger()
    saved = list(root.handlers)
    try:
        status = main(settings_for(None), HeadlessOptions(tmp_path / "jobs.db", read_only=True), build_engine)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
    assert status == 2
    assert "--read-only cannot run the engine" in capsys.readouterr().out
    assert not (tmp_path / "jobs.db").exists()
