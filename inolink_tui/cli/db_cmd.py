"""`inolink-tui db backup PATH` and `inolink-tui db check`: care of the job database file."""

from __future__ import annotations

import json
from pathlib import Path

import click

from inolink_tui.cli.context import CliContext, pass_cli


@click.group()
def db() -> None:
    """Back up and check the job database (safe while the engine runs)."""


def _human_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"


@db.command()
@click.argument("destination", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DESTINATION if it already exists.")
@pass_cli
def backup(cli: CliContext, destination: Path, force: bool) -> None:
    """Copy the live database to DESTINATION (a file, or a directory to get a timestamped name).

    Uses SQLite's online backup API: the daemon and consoles can keep running.
    """
    from inolink_tui.store.base import StoreError
    from inolink_tui.store.maintenance import backup as do_backup

    source = cli.db_path()
    try:
        result = do_backup(source, destination, overwrite=force)
    except StoreError as exc:  # missing folder, read-only or full disk, locked source: one line, exit 2
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from exc
    click.echo(
        f"backed up {result.source} to {result.destination} "
        f"({_human_bytes(result.bytes)}, {result.pages} pages, {result.seconds:.2f} s)"
    )


@db.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quick", is_flag=True, help="Skip checking that indexes match the rows (much faster on big files).")
@pass_cli
def check(cli: CliContext, fmt: str, quick: bool) -> None:
    """Check the database's integrity. Exit 0 when sound, 1 when damaged, 2 when it cannot be read.

    Only damage (exit 1) comes with the advice to restore a backup: a full disk, a read-only folder or a
    permission problem (exit 2) leaves the database sound, and restoring would lose every job since the backup.
    """
    from inolink_tui.store.base import StoreError
    from inolink_tui.store.errors import StoreForeignError
    from inolink_tui.store.maintenance import MaintenanceError
    from inolink_tui.store.maintenance import check as do_check

    path = cli.db_path()
    try:
        result = do_check(path, quick=quick)
    except (MaintenanceError, StoreForeignError) as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from exc
    except StoreError as exc:
        click.echo(
            f"Error: cannot check: {exc}; this is not damage to the database: fix the disk or access and run "
            "db check again (do not restore a backup)",
            err=True,
        )
        raise SystemExit(2) from exc
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "path": str(result.path),
                    "ok": result.ok,
                    "problems": list(result.problems),
                    "schema_version": result.schema_version,
                    "journal_mode": result.journal_mode,
                    "bytes": result.bytes,
                    "jobs": result.jobs,
                },
                indent=2,
            )
        )
    elif result.ok:
        jobs = f", {result.jobs} jobs" if result.jobs is not None else ""
        click.echo(
            f"{result.path}: ok (schema version {result.schema_version}, {result.journal_mode} journal, "
            f"{_human_bytes(result.bytes)}{jobs})"
        )
    else:
        click.echo(f"{result.path}: {len(result.problems)} problem(s) found:", err=True)
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
        click.echo("Restore the latest backup (inolink-tui db backup) or recover with sqlite3's .recover.", err=True)
    if not result.ok:
        raise SystemExit(1)
