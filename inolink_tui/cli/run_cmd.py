"""Starting the console (optionally on the built-in sandbox) or the headless engine."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from inolink_tui.cli.context import CliContext

log = logging.getLogger(__name__)


def run_headless(ctx: CliContext, **options: Any) -> int:
    """`--no-ui` / `--once`: the engine as a service with JSON logs; never imports Textual."""
    from inolink_tui.cli.engine_factories import headless_factory
    from inolink_tui.headless.app import HeadlessOptions, main

    if options.get("demo"):
        click.echo(
            "--demo opens the console; for a headless run start `inolink-tui sandbox serve "
            "--write-config s.toml` and then `inolink-tui --config s.toml --no-ui`.",
            err=True,
        )
        return 2
    settings = ctx.settings()
    return main(
        settings,
        HeadlessOptions(
            db_path=ctx.db_path(),
            once=bool(options.get("once")),
            log_format=str(options.get("log_format") or "json"),
            metrics_port=options.get("metrics_port"),
            metrics_bind=str(options.get("metrics_bind") or "127.0.0.1"),
            read_only=ctx.read_only,
            webhook_port=options.get("webhook_port"),
            webhook_bind=str(options.get("webhook_bind") or "127.0.0.1"),
        ),
        headless_factory(),
    )


def console_log_path() -> Path:
    from inolink_tui.config.model import default_data_dir

    return default_data_dir() / "console.log"


def _log_to_file(path: Path) -> None:
    """The console owns the terminal: logs go to a private, rotating file (the engine's JSON lines included)."""
    from inolink_tui.cli.console_log import open_console_log

    open_console_log(path)


def run_console(ctx: CliContext, **options: Any) -> int:
    if options.get("demo"):
        return _run_demo(ctx)
    return _start_console(ctx, engine=True, new_db=bool(options.get("new_db")))


def new_database_refusal(db: Path) -> str:
    """Why the console will not start an engine on a job database that does not exist yet.

    A mistyped `--db`, or the console opened as another user (another XDG data folder), would otherwise start
    a second engine silently beside the real one. The pair lease in Dataverse keeps that engine from syncing
    while the first runs, but the operator would be watching an empty store and wondering why nothing moves.
    """
    return (
        f"inolink-tui: no job database at {db}; the console starts its engine only on an existing one "
        "(check --db / [store] path, or pass --new-db to create it here)"
    )


def _run_demo(ctx: CliContext) -> int:
    from inolink_tui.cli.demo import DEMO_PULSE_SECONDS, demo_environment

    _log_to_file(console_log_path())
    try:
        with demo_environment() as config_path:
            demo_ctx = CliContext(config_path=config_path, read_only=ctx.read_only)
            demo_ctx.settings()  # validate before the screen switches to the console
            return _start_console(demo_ctx, engine=True, pulse_seconds=DEMO_PULSE_SECONDS, demo=True)
    except RuntimeError as exc:
        click.echo(f"inolink-tui --demo: {exc}", err=True)
        return 2


def _start_console(
    ctx: CliContext, *, engine: bool, pulse_seconds: float | None = None, new_db: bool = True, demo: bool = False
) -> int:
    from inolink_tui.cli.console_tools import register_console_tools
    from inolink_tui.engine.schema_errors import SchemaMismatch
    from inolink_tui.store.base import StoreError
    from inolink_tui.ui.options import ConsoleOptions
    from inolink_tui.ui.run import run_console as start_console

    settings = ctx.settings()
    register_console_tools(ctx)
    factory = None
    if engine and not ctx.read_only and _engine_configured(settings):
        if not new_db and not ctx.db_path().exists():
            click.echo(new_database_refusal(ctx.db_path()), err=True)
            return 2
        from inolink_tui.cli.console_engine import in_process_engine

        hooks = str(settings.crm.url) if demo and settings.quickbooks.webhook_verifier_token else None
        factory = in_process_engine(settings, pulse_seconds=pulse_seconds, webhooks_from=hooks)
    if pulse_seconds is None:
        _log_to_file(console_log_path())
    ui = settings.ui
    options = ConsoleOptions(
        read_only=ctx.read_only,
        theme=ui.theme,
        refresh_ms=ui.refresh_ms,
        default_view=ui.default_view,
        confirm_bulk=ui.confirm_bulk,
    )
    try:
        return start_console(ctx.db_path(), options, engine_factory=factory)
    except (StoreError, SchemaMismatch) as exc:
        click.echo(f"inolink-tui: {exc}", err=True)
        return 2


def _engine_configured(settings: Any) -> bool:
    """Run an engine only when both connections are configured; otherwise the console is a viewer."""
    crm, qbo = settings.crm, settings.quickbooks
    return bool(getattr(crm, "url", None) and getattr(crm, "client_id", None) and getattr(qbo, "realm_id", None))
