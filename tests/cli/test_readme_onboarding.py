"""README "Connect your own services": every command it shows exists with the options it shows, and each one
has a test that runs it against the sandbox."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from inolink_tui.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

RUN_BY: dict[str, str] = {
    "auth quickbooks": "tests/cli/test_auth_cmd.py",
    "auth check": "tests/cli/test_auth_cmd.py",
    "crm setup": "tests/cli/test_setup_doctor.py",
    "doctor": "tests/cli/test_setup_doctor.py",
    "import quickbooks": "tests/cli/test_import_cmd.py",
    "match": "tests/cli/test_records_cmd.py",
    "promote": "tests/cli/test_records_cmd.py",
    "": "tests/cli/test_records_cmd.py",  # `--no-ui --once`
}
"""Each command of the guide -> the test file that runs it (the assertion below keeps this list honest)."""


def section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Connect your own services")
    return text[start : text.index("\n### ", start + 10)]


def guide_commands() -> list[list[str]]:
    return [shlex.split(m)[1:] for m in re.findall(r"`(inolink-tui [^`]*)`", section())]


def resolve(args: list[str]) -> str:
    """Parse like the CLI does (unknown commands or options raise), return the command path."""
    command: click.Command = cli
    ctx = command.make_context("inolink-tui", list(args))
    path: list[str] = []
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None
        path.append(name)
        command = sub
        ctx = command.make_context(name, rest, parent=ctx)
    return " ".join(path)


def test_the_guide_shows_the_steps_in_order() -> None:
    text = section()
    steps = [
        "1. **Register an app in Entra ID",
        "2. **Create the application user",
        "3. **Create the Intuit app",
        "`inolink-tui auth quickbooks`",
        "`inolink-tui crm setup --dry-run`",
        "`inolink-tui crm setup` creates",
        "`inolink-tui doctor`",
        "`inolink-tui import quickbooks",
        "`inolink-tui --no-ui --once`",
        "deploy/inolink-tui.service",
    ]
    positions = [text.index(s) for s in steps]
    assert positions == sorted(positions)
    assert "HTTPS" in text and "IP address" in text and "paste" in text


@pytest.mark.parametrize("args", guide_commands(), ids=lambda a: " ".join(a) or "(console)")
def test_every_guide_command_parses_and_is_run_by_a_test(args: list[str]) -> None:
    path = resolve(args)
    assert path in RUN_BY, f"no test runs `inolink-tui {' '.join(args)}`"
    tested = (ROOT / RUN_BY[path]).read_text(encoding="utf-8")
    words = [w for w in args if w.startswith("--")] or path.split()
    for word in words:
        if word not in ("--ids",):  # promote's ids are given as `"--ids", first` in the test
            assert f'"{word}"' in tested or word in tested, f"{RUN_BY[path]} never runs {word}"
