"""The `inolink-tui` command. Subcommands load lazily so `--no-ui` and the CLI never import Textual."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import click

from inolink_tui.cli.context import CliContext

SUBCOMMANDS: dict[str, str] = {
    "jobs": "inolink_tui.cli.jobs:jobs",
    "config": "inolink_tui.cli.config_cmd:config",
    "sandbox": "inolink_tui.cli.sandbox_cmd:sandbox",
    "auth": "inolink_tui.cli.auth_cmd:auth",
    "db": "inolink_tui.cli.db_cmd:db",
    "promote": "inolink_tui.cli.records_cmd:promote",
    "unlink": "inolink_tui.cli.records_cmd:unlink",
    "link": "inolink_tui.cli.records_cmd:link",
    "match": "inolink_tui.cli.records_cmd:match",
    "import": "inolink_tui.cli.import_cmd:import_group",
    "crm": "inolink_tui.cli.setup_cmd:crm",
    "doctor": "inolink_tui.cli.doctor_cmd:doctor",
    "reconcile": "inolink_tui.cli.reconcile_cmd:reconcile",
    "mapping": "inolink_tui.cli.mapping_cmd:mapping",
}

SUMMARIES: dict[str, str] = {
    "jobs": "List, inspect, requeue and mark Link Jobs.",
    "config": "Validate and print the configuration.",
    "sandbox": "A faithful local simulator of Dataverse, Entra ID, QuickBooks Online and Intuit OAuth.",
    "auth": "Connect QuickBooks and check the connections to both services.",
    "db": "Back up and check the job database (safe while the engine runs).",
    "promote": "Set records To be Linked (Promoted By / On): the CRM to QuickBooks service links them.",
    "unlink": "End the link of records (InoLink's UnLink): nothing is deleted on either side.",
    "link": "Link a CRM record to a QuickBooks record that already exists.",
    "match": "Pair unlinked CRM and QuickBooks records by Name Matching, and link the pairs you accept.",
    "import": "Bring records that already exist in QuickBooks into CRM.",
    "crm": "Dynamics 365: prepare the org for InoLink.",
    "doctor": (
        "Check both connections, the CRM schema and privileges, QuickBooks' settings and the custom mappings "
        "([[mapping.*]] against the org's columns and QuickBooks' fields); print each fix."
    ),
    "reconcile": "Compare CRM and QuickBooks for linked records (account, contact, product, invoice; default: all).",
    "mapping": "Field mappings between Dynamics 365 and QuickBooks.",
}
"""Each subcommand's first help sentence, so `--help` lists the commands without importing their modules (which
pull in pydantic, the connectors or the sandbox). tests/cli/test_lazy_imports.py checks each against the command's
own help; a subcommand missing here is imported to list it, as before."""


class LazyGroup(click.Group):
    """A click group whose subcommands are imported only when used (and listed in --help)."""

    subcommands: ClassVar[Mapping[str, str]] = SUBCOMMANDS
    """name -> "module:attribute" of each lazily imported subcommand."""
    summaries: ClassVar[Mapping[str, str]] = SUMMARIES
    """name -> the first help sentence, to list a subcommand in --help without importing it."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.subcommands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.subcommands:
            module_name, attr = self.subcommands[cmd_name].split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    return None
                raise
            command: click.Command = getattr(module, attr)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, from SUMMARIES where it can: click's own would import every subcommand's module."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows: list[tuple[str, str]] = []
        for name in names:
            if name in self.summaries:
                rows.append((name, click.Command(name, help=self.summaries[name]).get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="INOLINK_CONFIG",
    help="Config file (TOML). Default: the XDG config dir's inolink-tui/config.toml.",
)
@click.option(
    "--db", "db_path", type=click.Path(path_type=Path, dir_okay=False), help="Job database; overrides [store] path."
)
@click.option("--no-ui", is_flag=True, help="Run the engine headless (a service); never loads the console.")
@click.option("--demo", is_flag=True, help="Run against the built-in sandbox of Dynamics 365 and QuickBooks.")
@click.option("--read-only", is_flag=True, help="Refuse every change (requeue, mark error, sync now, pause).")
@click.option("--once", is_flag=True, help="With --no-ui: run each enabled service once, then exit.")
@click.option(
    "--log-format",
    type=click.Choice(["json", "text"]),
    default="json",
    show_default=True,
    help="With --no-ui: log format on stdout.",
)
@click.option(
    "--metrics-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="With --no-ui: serve Prometheus metrics on this port.",
)
@click.option(
    "--metrics-bind",
    default="127.0.0.1",
    show_default=True,
    help="With --metrics-port: the address /metrics listens on (0.0.0.0 for every interface).",
)
@click.option(
    "--webhook-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="With --no-ui: receive QuickBooks webhooks on this port (needs the app's webhook verifier token).",
)
@click.option(
    "--webhook-bind",
    default="127.0.0.1",
    show_default=True,
    help="With --webhook-port: the address it listens on (put the HTTPS proxy Intuit calls in front).",
)
@click.option(
    "--new-db",
    is_flag=True,
    help="Console: run the engine even though the job database does not exist yet (it is created).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: Path | None,
    db_path: Path | None,
    no_ui: bool,
    demo: bool,
    read_only: bool,
    once: bool,
    log_format: str,
    metrics_port: int | None,
    metrics_bind: str,
    webhook_port: int | None,
    webhook_bind: str,
    new_db: bool,
) -> None:
    """Sync Dynamics 365 and QuickBooks Online, and watch the Link Jobs.

    Without a subcommand this opens the console (or, with --no-ui, runs the engine headless).
    """
    obj = ctx.ensure_object(CliContext)
    obj.config_path = config_path
    obj.db_override = db_path
    obj.read_only = read_only
    if ctx.invoked_subcommand is not None:
        return
    options: dict[str, Any] = {
        "demo": demo,
        "once": once,
        "log_format": log_format,
        "metrics_port": metrics_port,
        "metrics_bind": metrics_bind,
        "webhook_port": webhook_port,
        "webhook_bind": webhook_bind,
        "new_db": new_db,
    }
    if no_ui or once:
        from inolink_tui.cli.run_cmd import run_headless

        sys.exit(run_headless(obj, **options))
    from inolink_tui.cli.run_cmd import run_console

    sys.exit(run_console(obj, **options))


def main() -> None:
    cli(prog_name="inolink-tui")
