"""`inolink-tui jobs purge --older-than 90d`: delete old Success jobs; nothing is ever purged by default."""

from __future__ import annotations

import getpass

import click

from inolink_tui.cli.context import CliContext, pass_cli


@click.command()
@click.option(
    "--older-than",
    "older_than",
    required=True,
    metavar="AGE",
    help="Purge Success jobs processed longer ago than AGE (e.g. 90d, 12w). Required: there is no default.",
)
@click.option("--dry-run", is_flag=True, help="Only say how many jobs would go.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@pass_cli
def purge(cli: CliContext, older_than: str, dry_run: bool, yes: bool) -> None:
    """Delete Success jobs (and their attempts) processed before now minus AGE.

    Queued and Error jobs are never purged. The purge is written to the audit log. Take a backup
    first (inolink-tui db backup) if you may want the history back.
    """
    from inolink_tui.domain.filters import FilterSyntaxError, parse_duration
    from inolink_tui.store.base import StoreError
    from inolink_tui.store.maintenance import purge_success

    try:
        age = parse_duration(older_than)
    except FilterSyntaxError as exc:
        raise click.BadParameter(str(exc), param_hint="--older-than") from exc
    if age.total_seconds() <= 0:
        raise click.BadParameter("the age must be more than zero", param_hint="--older-than")
    if cli.read_only and not dry_run:
        click.echo("Error: read-only: purge refused (started with --read-only)", err=True)
        raise SystemExit(2)
    path = cli.db_path()
    actor = f"cli:{getpass.getuser()}"
    try:
        preview = purge_success(path, age, actor=actor, dry_run=True)
        before = f"processed before {preview.cutoff:%Y-%m-%d %H:%M} UTC"
        if preview.matched == 0:
            click.echo(f"nothing to purge: no Success job {before}")
            return
        if dry_run:
            click.echo(f"would purge {preview.matched} Success job(s) {before}")
            return
        if not yes:
            click.confirm(f"Purge {preview.matched} Success job(s) {before} from {path}?", abort=True)
        result = purge_success(path, age, actor=actor)
    except StoreError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(
        f"purged {result.deleted} Success job(s) processed before {result.cutoff:%Y-%m-%d %H:%M} UTC "
        f"({result.seconds:.2f} s)"
    )
