"""`inolink-tui import quickbooks ENTITY... --since DATE`: the first import of existing QuickBooks records.

Customers become Accounts or Contacts and items become Products, through ordinary Source = Accounting Link
Jobs that this command queues and then processes (see engine/first_import.py). Interrupted, it resumes
from its cursor in the job store; run again, it creates nothing.

Exit 0: every job succeeded; 1: some ended in Error or some records were ambiguous (each is listed);
2: bad input, configuration or a refused connection.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import click

from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.cli.store_session import EXIT_NOT_DONE, fail, refuse_if_read_only
from inolink_tui.domain.events import Event, JobChanged

if TYPE_CHECKING:
    from inolink_tui.engine.first_import import ImportTally
    from inolink_tui.store.base import JobStore

ENTITIES = ("customer", "item")


@click.group("import")
def import_group() -> None:
    """Bring records that already exist in QuickBooks into CRM."""


def _since(text: str) -> datetime:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.strip())
        except ValueError:
            fail(f"--since {text!r} is not a date (YYYY-MM-DD) or an ISO time")
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _progress(entity: str, tally: ImportTally) -> None:
    click.echo(
        f"  {entity}: {tally.read} read, {tally.matched} linked by name, {tally.queued} job(s) queued, "
        f"{tally.unchanged} already linked and unchanged"
    )


@import_group.command("quickbooks")
@click.argument("entities", nargs=-1, required=True)
@click.option("--since", "since_text", required=True, help="Last Modified From: YYYY-MM-DD (UTC) or an ISO time.")
@pass_cli
def import_quickbooks(cli: CliContext, entities: tuple[str, ...], since_text: str) -> None:
    """Import QuickBooks customers and/or items modified since a date as linked CRM records."""
    from inolink_tui.engine.first_import import IMPORTABLE

    wanted = []
    for text in entities:
        key = text.strip().lower().rstrip("s")
        if key not in IMPORTABLE:
            fail(f"{text!r} cannot be imported (choose from: {', '.join(ENTITIES)})")
        wanted.append(IMPORTABLE[key])
    since = _since(since_text)
    refuse_if_read_only(cli, "import")
    settings = cli.settings()
    bad = _run(cli, settings, list(dict.fromkeys(wanted)), since)
    if bad:
        raise SystemExit(EXIT_NOT_DONE)


def _drain_progress(wanted: set[int]) -> Callable[[Event], None]:
    """A bus callback printing "n/N processed" about ten times while the import's jobs run."""
    finished: set[int] = set()
    step = max(1, len(wanted) // 10)

    def show(event: Event) -> None:
        if not isinstance(event, JobChanged) or event.job_id not in wanted:
            return
        if event.change not in ("completed", "failed") or event.job_id in finished:
            return
        finished.add(event.job_id)
        if len(finished) % step == 0 or len(finished) == len(wanted):
            click.echo(f"  {len(finished)}/{len(wanted)} processed")

    return show


def _run(cli: CliContext, settings: object, entities: list[str], since: datetime) -> bool:
    from inolink_tui.cli.connected import run_with_store

    async def body(store: JobStore) -> bool:
        from inolink_tui.domain.enums import LinkStatus
        from inolink_tui.engine.adapters import DataverseCrm, QuickBooksAccounting
        from inolink_tui.engine.cursors import TWO_WAY
        from inolink_tui.engine.factory import build_engine
        from inolink_tui.engine.first_import import FirstImport
        from inolink_tui.engine.record_actions import RecordActions

        engine = await build_engine(settings, store)
        try:
            if not isinstance(engine.crm, DataverseCrm) or not isinstance(engine.qbo, QuickBooksAccounting):
                raise TypeError("the first import needs the Dataverse and QuickBooks connectors")
            actions = RecordActions(store, engine.crm, engine.qbo, engine.options)
            for et in TWO_WAY:  # links CRM already records (an earlier install) must not be matched again
                await engine.cycles.adopt_links(et)
            importer = FirstImport(store, actions, engine.qbo)
            job_ids: list[int] = []
            ambiguous: list[str] = []
            for entity in entities:
                click.echo(f"{entity}: reading QuickBooks records modified since {since.date().isoformat()} ...")
                tally = await importer.run(entity, since, _progress)
                if tally.resumed_from:
                    click.echo(f"  (resumed an interrupted import from {tally.resumed_from})")
                job_ids += tally.job_ids
                ambiguous += tally.ambiguous
            for line in ambiguous:
                click.echo(f"  not imported: {line}")
            if job_ids:
                click.echo(f"processing {len(job_ids)} Link Job(s) ...")
                stop_showing = engine.bus.on(_drain_progress(set(job_ids)), JobChanged)
                try:
                    await engine.cycles.qbo_pool.drain(
                        wait_seconds=engine.options.once_wait_seconds, stop=asyncio.Event()
                    )
                finally:
                    stop_showing()
                try:
                    await engine.mirror.flush()
                except Exception as exc:  # the mirror catches up on the next cycle; the import is done
                    click.echo(f"  (the Link Job mirror in CRM will catch up later: {exc})")
            if not job_ids and not ambiguous:
                click.echo("nothing to import: every record is linked and unchanged since the last import")
                return False
            jobs = await store.get_many(job_ids) if job_ids else []
            counts = {s: sum(1 for j in jobs if j.link_status is s) for s in LinkStatus}
            click.echo(
                f"done: {counts[LinkStatus.SUCCESS]} Success, {counts[LinkStatus.ERROR]} Error, "
                f"{counts[LinkStatus.QUEUED]} still Queued"
            )
            for job in jobs:
                if job.link_status is LinkStatus.ERROR:
                    click.echo(f"  job {job.id} {job.record_name!r}: {job.error_first_line}")
            return bool(ambiguous) or counts[LinkStatus.ERROR] > 0 or counts[LinkStatus.QUEUED] > 0
        finally:
            await engine.stop()

    return run_with_store(cli, body)
