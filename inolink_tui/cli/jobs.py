"""`inolink-tui jobs list | show | requeue | mark-error`: the Link Jobs without the console.

Exit status: 0 done; 1 done only in part (unknown job, jobs skipped, confirmation declined);
2 bad input, refused by --read-only, or the store/config cannot be used.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import ClassVar, TextIO

import click

from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.cli.job_filters import JOB_ID, build_filter, build_sort, filter_options, sort_options
from inolink_tui.cli.job_render import (
    CsvWriter,
    JsonArrayWriter,
    job_detail,
    job_text,
    layout,
    needs_ascii,
    table_header,
    table_row,
)
from inolink_tui.cli.main import LazyGroup
from inolink_tui.cli.store_session import (
    EXIT_NOT_DONE,
    cli_actor,
    fail,
    open_job_store,
    reading_job_store,
    refuse_if_read_only,
    run_store_command,
)
from inolink_tui.domain.enums import EntityType, JobView, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import LinkJob, utcnow
from inolink_tui.store.base import BulkResult, JobNotFoundError
from inolink_tui.store.snapshot import StoreSnapshot

PAGE = 500
"""Rows fetched per keyset page while streaming a listing."""
TABLE_DEFAULT_LIMIT = 100
MAX_SKIP_LINES = 20
MAX_LIMIT = 1_000_000_000
"""--limit's ceiling: more jobs than any store holds, far below what would overflow a page size."""


class JobsGroup(LazyGroup):
    """`jobs purge` and `jobs fix-dependencies` live with the database-care and record commands; they are listed
    here, where users look for them, and imported only when used (fix-dependencies brings asyncio and the engine's
    plumbing, which `jobs list` does without)."""

    subcommands: ClassVar[Mapping[str, str]] = {
        "purge": "inolink_tui.cli.purge_cmd:purge",
        "fix-dependencies": "inolink_tui.cli.records_cmd:fix_dependencies",
    }
    summaries: ClassVar[Mapping[str, str]] = {}


@click.group(cls=JobsGroup)
def jobs() -> None:
    """List, inspect, requeue and mark Link Jobs."""


# --- list ------------------------------------------------------------------------------------------


@jobs.command("list")
@filter_options
@sort_options
@click.option(
    "--limit",
    type=click.IntRange(min=0, max=MAX_LIMIT),
    default=None,
    help=f"At most N jobs; 0 = all. Default: {TABLE_DEFAULT_LIMIT} for the table, all for json and csv.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"], case_sensitive=False),
    default="table",
    show_default=True,
)
@pass_cli
def list_jobs(
    cli: CliContext,
    statuses: tuple[LinkStatus, ...],
    entities: tuple[EntityType, ...],
    sources: tuple[Source, ...],
    search: str,
    filter_text: str,
    view: JobView | None,
    sort_column: str,
    asc: bool,
    limit: int | None,
    fmt: str,
) -> None:
    """List Link Jobs, newest first, as a table, a JSON array or CSV.

    JSON and CSV carry every exported field (the seed's Link Job fields in snake_case plus id,
    record_name and error_class) exactly; the table shows the first line of each error.
    """
    fmt = fmt.lower()
    job_filter = build_filter(
        statuses=statuses,
        entities=entities,
        sources=sources,
        search=search,
        filter_text=filter_text,
        view=view,
        now=utcnow(),
    )
    if limit is None:
        limit = TABLE_DEFAULT_LIMIT if fmt == "table" else 0
    sort = build_sort(sort_column, asc)
    with reading_job_store(cli) as store:
        _list(store, job_filter, sort, limit, fmt)


def _list(store: StoreSnapshot, job_filter: JobFilter | None, sort: JobSort, limit: int, fmt: str) -> None:
    out = sys.stdout
    rows = _stream(store, job_filter, sort, limit)
    if fmt == "json":
        _write_json(out, rows, needs_ascii(out))
    elif fmt == "csv":
        _write_csv(out, rows)
    else:
        _write_table(out, store, rows, job_filter, limit)


def _stream(store: StoreSnapshot, job_filter: JobFilter | None, sort: JobSort, limit: int) -> Iterator[LinkJob]:
    """Every matching job in order, fetched a keyset page at a time; nothing when the filter contradicts itself."""
    if job_filter is None:
        return
    remaining = limit or None
    after: LinkJob | None = None
    now = utcnow()
    while remaining is None or remaining > 0:
        size = PAGE if remaining is None else min(PAGE, remaining)
        page = store.page_after(job_filter, sort, after, limit=size, now=now)
        yield from page
        if len(page) < size:
            return
        after = page[-1]
        if remaining is not None:
            remaining -= len(page)


def _write_json(out: TextIO, rows: Iterator[LinkJob], ascii_only: bool) -> None:
    writer = JsonArrayWriter(out, ascii_only=ascii_only)
    for job in rows:
        writer.write(job.as_export())
    writer.close()


def _write_csv(out: TextIO, rows: Iterator[LinkJob]) -> None:
    writer = CsvWriter(out)
    for job in rows:
        writer.write(job.as_export())


def _write_table(
    out: TextIO, store: StoreSnapshot, rows: Iterator[LinkJob], job_filter: JobFilter | None, limit: int
) -> None:
    columns = layout(shutil.get_terminal_size(fallback=(120, 24)).columns)
    shown = 0
    processing = False
    for job in rows:
        if shown == 0:
            out.write(table_header(columns) + "\n")
        out.write(table_row(job, columns) + "\n")
        shown += 1
        processing = processing or job.in_flight()
    total = store.count(job_filter, now=utcnow()) if job_filter is not None else 0
    described = job_filter.describe() if job_filter is not None else "a contradictory filter"
    if shown == 0:
        empty = job_filter is not None and job_filter.is_empty
        click.echo("no jobs yet" if empty else f"no jobs match {described}", err=True)
        return
    more = "; --limit 0 for all" if limit and total > shown else ""
    footer = f"showing {shown} of {total} jobs ({described}){more}"
    if processing:
        footer += "; * = being processed now"
    click.echo(footer, err=True)


# --- show ------------------------------------------------------------------------------------------


@jobs.command()
@click.argument("job_id", type=JOB_ID, metavar="ID")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"], case_sensitive=False), default="text", show_default=True
)
@pass_cli
def show(cli: CliContext, job_id: int, fmt: str) -> None:
    """Every field of one job, its full Error Description and its attempts."""
    with reading_job_store(cli) as store:
        try:
            job = store.get(job_id)
        except JobNotFoundError:
            fail(f"no job {job_id}", EXIT_NOT_DONE)
        attempts = list(job.attempts) or store.attempts(job_id)
    if fmt.lower() == "json":
        click.echo(json.dumps(job_detail(job, attempts), indent=2, ensure_ascii=needs_ascii(sys.stdout)))
    else:
        click.echo("\n".join(job_text(job, attempts)))


# --- requeue and mark-error -------------------------------------------------------------------------


@jobs.command()
@click.argument("job_ids", type=JOB_ID, nargs=-1, metavar="[ID]...")
@click.option("--all-errors", is_flag=True, help="Requeue every Error job matching the filter options.")
@filter_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation with --all-errors.")
@pass_cli
def requeue(
    cli: CliContext,
    job_ids: tuple[int, ...],
    all_errors: bool,
    statuses: tuple[LinkStatus, ...],
    entities: tuple[EntityType, ...],
    sources: tuple[Source, ...],
    search: str,
    filter_text: str,
    view: JobView | None,
    yes: bool,
) -> None:
    """Set Error jobs back to Queued so the service processes them again.

    Give job ids, or --all-errors with the same filters as `jobs list` (it asks first, stating how
    many, unless --yes). Exits 1 when some jobs were skipped (each is listed with the reason).
    """
    has_filters = bool(statuses or entities or sources or search or filter_text or view)
    if job_ids and all_errors:
        raise click.UsageError("give job ids or --all-errors, not both")
    if not job_ids and not all_errors:
        raise click.UsageError("give the ids of the jobs to requeue, or --all-errors (with filters)")
    if job_ids and has_filters:
        raise click.UsageError("filters apply only with --all-errors")
    refuse_if_read_only(cli, "requeue")
    actor = cli_actor()
    if job_ids:
        result = run_store_command(_requeue_ids(cli, actor, job_ids))
        _report(result, "requeued")
        return
    job_filter = build_filter(
        statuses=statuses,
        entities=entities,
        sources=sources,
        search=search,
        filter_text=filter_text,
        view=view,
        now=utcnow(),
    )
    if job_filter is not None:
        job_filter = _only_errors(job_filter)
    if job_filter is None:
        click.echo("no Error jobs match (the filters contradict each other)")
        return
    count = run_store_command(_count(cli, job_filter))
    if count == 0:
        click.echo(f"no Error jobs match {job_filter.describe()}")
        return
    if not yes:
        click.confirm(
            f"Requeue {count} Error job{'s' if count != 1 else ''} matching {job_filter.describe()}?",
            abort=True,
            err=True,
        )
    result = run_store_command(_requeue_filter(cli, actor, job_filter))
    _report(result, "requeued")


def _only_errors(job_filter: JobFilter) -> JobFilter | None:
    """--all-errors acts on Error jobs only, whatever --status says; a filter excluding Error matches nothing."""
    if job_filter.statuses and LinkStatus.ERROR not in job_filter.statuses:
        return None
    return replace(job_filter, statuses=(LinkStatus.ERROR,))


async def _count(cli: CliContext, job_filter: JobFilter) -> int:
    async with open_job_store(cli) as store:
        return await store.count(job_filter, now=utcnow())


async def _requeue_ids(cli: CliContext, actor: str, job_ids: Sequence[int]) -> BulkResult:
    async with open_job_store(cli) as store:
        return await store.requeue(actor, ids=list(dict.fromkeys(job_ids)))


async def _requeue_filter(cli: CliContext, actor: str, job_filter: JobFilter) -> BulkResult:
    async with open_job_store(cli) as store:
        return await store.requeue(actor, filter=job_filter)


@jobs.command("mark-error")
@click.argument("job_ids", type=JOB_ID, nargs=-1, required=True, metavar="ID...")
@click.option(
    "--reason",
    default="Marked as Error by operator",
    show_default=True,
    help="Becomes the job's Error Description.",
)
@pass_cli
def mark_error(cli: CliContext, job_ids: tuple[int, ...], reason: str) -> None:
    """Set stuck Queued jobs to Error (InoLink's fix for a job that never leaves the queue).

    Exits 1 when some jobs were skipped (each is listed with the reason).
    """
    if not reason.strip():
        raise click.BadParameter("the reason must not be empty", param_hint="'--reason'")
    refuse_if_read_only(cli, "mark-error")
    result = run_store_command(_mark_error(cli, cli_actor(), job_ids, reason))
    _report(result, "marked as Error")


async def _mark_error(cli: CliContext, actor: str, job_ids: Sequence[int], reason: str) -> BulkResult:
    async with open_job_store(cli) as store:
        return await store.mark_error(actor, list(dict.fromkeys(job_ids)), reason=reason)


def _report(result: BulkResult, verb: str) -> None:
    changed = len(result.changed)
    click.echo(f"{verb} {changed} job{'s' if changed != 1 else ''}")
    if not result.skipped:
        return
    skipped = len(result.skipped)
    click.echo(f"skipped {skipped} job{'s' if skipped != 1 else ''}:")
    for job_id, reason in sorted(result.skipped.items())[:MAX_SKIP_LINES]:
        click.echo(f"  {reason}" if f"job {job_id}" in reason else f"  job {job_id}: {reason}")
    if skipped > MAX_SKIP_LINES:
        click.echo(f"  ... and {skipped - MAX_SKIP_LINES} more")
    sys.exit(EXIT_NOT_DONE)
