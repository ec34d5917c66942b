"""Starting the console or the headless engine. Filled in as the engine and console land."""

from __future__ import annotations

import logging
from typing import Any

import click

from inolink_tui.cli.context import CliContext

log = logging.getLogger(__name__)


def run_headless(ctx: CliContext, **options: Any) -> int:
    click.echo("The headless engine is not built yet (see issue 7).", err=True)
    return 0


def run_console(ctx: CliContext, **options: Any) -> int:
    if options.get("demo"):
        click.echo("The built-in sandbox and console are not built yet; nothing to run.", err=True)
        return 0
    click.echo("The console is not built yet (see issue 6).", err=True)
    return 0
