"""Layering: nothing outside ui/ imports Textual, and import-linter's contracts hold."""

import subprocess
import sys

import pytest

HEADLESS_MODULES = [
    "inolink_tui.domain.enums",
    "inolink_tui.domain.jobs",
    "inolink_tui.domain.filters",
    "inolink_tui.store",
    "inolink_tui.cli",
    "inolink_tui.cli.run_cmd",
    "inolink_tui.config",
    "inolink_tui.sandbox",
    "inolink_tui.connectors",
    "inolink_tui.engine",
    "inolink_tui.headless",
]


def _importable(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("module", HEADLESS_MODULES)
def test_headless_path_never_imports_textual(module: str) -> None:
    if not _importable(module):
        pytest.skip(f"{module} does not exist yet")
    code = (
        "import importlib, sys\n"
        f"importlib.import_module({module!r})\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"{module} pulled in Textual: {out.stdout.strip()}"


def test_no_ui_help_path_never_imports_textual() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from inolink_tui.cli.main import cli\n"
        "r = CliRunner().invoke(cli, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_import_linter_contracts_hold() -> None:
    out = subprocess.run(["lint-imports"], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
