"""Starting the console or the headless engine. Filled in as the engine and console land."""

from __future__ import annotations

import logging
from typing import Any

import click

from inolink_tui.cli.context import CliContext

log = logging.getLogger(__name__)


def run_headless(ctx: CliContext, **options: Any) -> int:
    """`--no-ui` / `--once`: the engine as a service with JSON logs; never imports Textual."""
    from inolink_tui.headless.app import HeadlessOptions, main

    settings = ctx.settings()
    return main(
        settings,
        HeadlessOptions(
            db_path=ctx.db_path(),
            once=bool(options.get("once")),
            log_format=str(options.get("log_format") or "json"),
            metrics_port=options.get("metrics_port"),
            read_only=ctx.read_only,
        ),
    )


def run_console(ctx: CliContext, **options: Any) -> int:
    if options.get("demo"):
        click.echo("The built-in sandbox and console are not built yet; nothing to run.", err=True)
        return 0
    click.echo("The console is not built yet (see issue 6).", err=True)
    return 0
