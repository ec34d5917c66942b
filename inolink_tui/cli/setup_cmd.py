"""`inolink-tui crm setup [--dry-run]`: create in a Dynamics 365 org everything the engine needs.

Reads the org's table definitions, prints or applies the plan (engine/crm_setup.py), publishes the
customizations at the end, and says how many metadata requests it made and how long it took. A second
run finds nothing to do; an interrupted run resumes when started again.

Exit 0: done (or nothing to do); 2: a problem setup cannot fix (each named with its fix), bad config or a
refused request.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.cli.store_session import EXIT_USAGE, refuse_if_read_only

if TYPE_CHECKING:
    from inolink_tui.connectors.dataverse import DataverseClient
    from inolink_tui.domain.crm_setup_plan import Step


@click.group()
def crm() -> None:
    """Dynamics 365: prepare the org for InoLink."""


def _progress(number: int, total: int, step: Step) -> None:
    click.echo(f"[{number}/{total}] {step.describe()}")


@crm.command("setup")
@click.option("--dry-run", is_flag=True, help="Print the plan (tables, columns, keys, options); change nothing.")
@click.option(
    "--solution",
    default="InoLink",
    show_default=True,
    help="Unique name of the unmanaged solution the new components go in (created when missing).",
)
@pass_cli
def setup(cli: CliContext, dry_run: bool, solution: str) -> None:
    """Create InoLink's columns, Link Job and sync-lease tables, keys and change tracking in the org."""
    from inolink_tui.cli.connected import run_crm

    if not dry_run:
        refuse_if_read_only(cli, "crm setup")
    schema = cli.settings().crm.crm_schema.to_schema()

    async def body(client: DataverseClient) -> int:
        from inolink_tui.connectors.dataverse_metadata import DataverseMetadata
        from inolink_tui.engine.crm_setup import apply_plan, plan_setup

        started = time.monotonic()
        md = DataverseMetadata(client, solution=solution)
        click.echo(f"Reading the table definitions of {client.settings.org_url} (prefix {schema.prefix!r}) ...")
        plan = await plan_setup(md, schema, solution)
        if plan.adopted:
            click.echo(f"{len(plan.adopted)} column(s) already there, adopted as they are")
        for finding in plan.findings:
            click.echo(f"cannot fix: {finding.line()}")
        if plan.nothing_to_do:
            click.echo(f"nothing to do: the org has everything the engine needs ({md.requests} metadata requests)")
            return 0
        if dry_run:
            click.echo(f"Plan ({len(plan.changes)} change(s), then publish):")
            for step in plan.steps:
                click.echo(f"  {step.describe()}")
            click.echo(f"dry run: nothing was changed ({md.requests} metadata requests)")
            return EXIT_USAGE if plan.findings else 0
        if plan.findings:
            click.echo("nothing was changed: fix the problems above first, then run `crm setup` again")
            return EXIT_USAGE
        applied = await apply_plan(md, plan, _progress)
        seconds = time.monotonic() - started
        click.echo(f"done: {applied} step(s), {md.requests} metadata requests, {seconds:.1f} s")
        return 0

    code = run_crm(cli, body)
    if code:
        raise SystemExit(code)
