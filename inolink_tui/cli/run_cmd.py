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
    from inolink_tui.store.base import StoreError
    from inolink_tui.ui.run import run_console as start_console

    ui = ctx.settings().ui
    try:
        return start_console(
            ctx.db_path(),
            read_only=ctx.read_only,
            theme=ui.theme,
            refresh_ms=ui.refresh_ms,
            default_view=ui.default_view,
            confirm_bulk=ui.confirm_bulk,
        )
    except StoreError as exc:
        click.echo(f"inolink-tui: {exc}", err=True)
        return 2
