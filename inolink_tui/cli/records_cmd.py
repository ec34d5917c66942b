"""`promote`, `unlink`, `link`, `match` and `jobs fix-dependencies`: InoLink's record buttons from a shell.

    inolink-tui promote account --ids ID [ID...] | --filter "name eq 'Contoso'" | --all-unlinked [--with-dependencies]
    inolink-tui unlink account ID [ID...]
    inolink-tui link account --crm ID --quickbooks ID
    inolink-tui match account [--preview] [--output pairs.csv] [--from pairs.csv] [--yes]
    inolink-tui jobs fix-dependencies JOB_ID

Exit 0 when everything asked for was done, 1 when some records were left alone (each named with why),
2 for bad input, configuration or a refused connection.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from inolink_tui.cli.connected import parse_entity, run_connected
from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.cli.job_filters import JOB_ID
from inolink_tui.cli.store_session import EXIT_NOT_DONE, cli_actor, fail, refuse_if_read_only

if TYPE_CHECKING:
    from inolink_tui.domain.matching import MatchResult, Pair
    from inolink_tui.engine.connect import Ports
    from inolink_tui.engine.record_actions import ActionReport, RecordActions
    from inolink_tui.store.base import JobStore

PAIR_COLUMNS = ("crm_id", "crm_name", "quickbooks_id", "quickbooks_name", "score")


def _actions(store: JobStore, ports: Ports) -> RecordActions:
    from inolink_tui.engine.record_actions import RecordActions

    if ports.qbo is None:
        raise ValueError("QuickBooks is not connected")
    return RecordActions(store, ports.crm, ports.qbo, ports.options)


def _finish(report: ActionReport, verb: str, what: str) -> None:
    for note in report.notes:
        click.echo(f"  {note}")
    for rid, why in report.skipped.items():
        click.echo(f"  skipped {rid}: {why}")
    click.echo(f"{verb} {len(report.done)} {what}" + (f", {len(report.skipped)} skipped" if report.skipped else ""))
    if report.skipped:
        raise SystemExit(EXIT_NOT_DONE)


@click.command()
@click.argument("entity")
@click.option("--ids", "ids", multiple=True, help="CRM record ids (repeat, or separate with commas).")
@click.option("--filter", "odata_filter", help="An OData $filter over the CRM table, e.g. \"name eq 'Contoso'\".")
@click.option("--all-unlinked", is_flag=True, help="Every record that is not Linked or To be Linked.")
@click.option("--with-dependencies", is_flag=True, help="Transactions: promote their customer and products too.")
@pass_cli
def promote(
    cli: CliContext,
    entity: str,
    ids: tuple[str, ...],
    odata_filter: str | None,
    all_unlinked: bool,
    with_dependencies: bool,
) -> None:
    """Set records To be Linked (Promoted By / On): the CRM to QuickBooks service links them."""
    et = parse_entity(entity)
    wanted = [i.strip() for part in ids for i in part.split(",") if i.strip()]
    if sum(bool(x) for x in (wanted, odata_filter, all_unlinked)) != 1:
        fail("say which records: --ids, --filter or --all-unlinked (exactly one)")
    refuse_if_read_only(cli, "promote")

    async def body(store: JobStore, ports: Ports) -> ActionReport:
        return await _actions(store, ports).promote(
            et, ids=wanted, odata_filter=odata_filter, with_dependencies=with_dependencies
        )

    _finish(run_connected(cli, body), "promoted", f"{et.value.lower()}(s) (To be Linked)")


@click.command()
@click.argument("entity")
@click.argument("ids", nargs=-1, required=True)
@pass_cli
def unlink(cli: CliContext, entity: str, ids: tuple[str, ...]) -> None:
    """End the link of records (InoLink's UnLink): nothing is deleted on either side."""
    et = parse_entity(entity)
    refuse_if_read_only(cli, "unlink")

    async def body(store: JobStore, ports: Ports) -> ActionReport:
        return await _actions(store, ports).unlink(et, list(ids))

    _finish(run_connected(cli, body), "unlinked", f"{et.value.lower()}(s)")


@click.command()
@click.argument("entity")
@click.option("--crm", "crm_id", required=True, help="The CRM record's id.")
@click.option("--quickbooks", "qbo_id", required=True, help="The QuickBooks record's Id.")
@pass_cli
def link(cli: CliContext, entity: str, crm_id: str, qbo_id: str) -> None:
    """Link a CRM record to a QuickBooks record that already exists."""
    et = parse_entity(entity)
    refuse_if_read_only(cli, "link")

    async def body(store: JobStore, ports: Ports) -> str:
        return await _actions(store, ports).link(et, crm_id, qbo_id)

    click.echo(run_connected(cli, body))


def _show(result: MatchResult) -> None:
    click.echo(f"{len(result.pairs)} pair(s):")
    for p in result.pairs:
        click.echo(
            f"  {p.score:>3}  {p.crm.name}  <->  {p.quickbooks.name}  (CRM {p.crm.id}, QuickBooks {p.quickbooks.id})"
        )
    if result.ambiguous:
        click.echo(f"{len(result.ambiguous)} ambiguous (not linked; decide with `link`):")
        for a in result.ambiguous:
            crm = ", ".join(f"{c.name!r} ({c.id})" for c in a.crm)
            qbo = ", ".join(f"{c.name!r} ({c.id})" for c in a.quickbooks)
            click.echo(f"  {crm}  <->  {qbo}: {a.reason}")
    click.echo(f"{len(result.unmatched_crm)} CRM record(s) without a QuickBooks match")


def write_pairs(path: Path, pairs: tuple[Pair, ...]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(PAIR_COLUMNS)
        for p in pairs:
            out.writerow((p.crm.id, p.crm.name, p.quickbooks.id, p.quickbooks.name, p.score))


def read_pairs(path: Path) -> list[Pair]:
    """The pairs a person kept in the file (rows deleted are not linked); a malformed row is an error."""
    from inolink_tui.domain.matching import Candidate, Pair

    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror or exc}")
    pairs: list[Pair] = []
    for number, row in enumerate(rows, start=2):
        crm_id, qbo_id = (row.get("crm_id") or "").strip(), (row.get("quickbooks_id") or "").strip()
        if not crm_id or not qbo_id:
            fail(f"{path} line {number}: crm_id and quickbooks_id are both needed")
        score = str(row.get("score") or "0").strip()
        pairs.append(
            Pair(
                Candidate(crm_id, row.get("crm_name") or ""),
                Candidate(qbo_id, row.get("quickbooks_name") or ""),
                int(score) if score.isdigit() else 0,
            )
        )
    return pairs


@click.command()
@click.argument("entity")
@click.option("--preview", is_flag=True, help="Only list the pairs; link nothing.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write the pairs to this CSV file.")
@click.option(
    "--from", "from_file", type=click.Path(path_type=Path, dir_okay=False), help="Link the pairs kept in this CSV."
)
@click.option("--yes", is_flag=True, help="Link every unambiguous pair without asking.")
@pass_cli
def match(cli: CliContext, entity: str, preview: bool, output: Path | None, from_file: Path | None, yes: bool) -> None:
    """Pair unlinked CRM and QuickBooks records by Name Matching, and link the pairs you accept."""
    et = parse_entity(entity, names_only=True)
    if from_file is not None:
        refuse_if_read_only(cli, "match")
        pairs = read_pairs(from_file)

        async def accept(store: JobStore, ports: Ports) -> ActionReport:
            return await _actions(store, ports).accept(et, pairs)

        _finish(run_connected(cli, accept), "linked", "pair(s)")
        return

    async def find(store: JobStore, ports: Ports) -> MatchResult:
        return await _actions(store, ports).match(et)

    result = run_connected(cli, find)
    _show(result)
    if output is not None:
        write_pairs(output, result.pairs)
        click.echo(
            f"wrote {len(result.pairs)} pair(s) to {output}; delete the rows you reject, "
            f"then: match {entity} --from {output}"
        )
    if preview or output is not None or not result.pairs:
        return
    refuse_if_read_only(cli, "match")
    if not yes and not click.confirm(f"Link these {len(result.pairs)} pair(s)?", default=False):
        raise SystemExit(EXIT_NOT_DONE)
    chosen = result.pairs

    async def accept_all(store: JobStore, ports: Ports) -> ActionReport:
        return await _actions(store, ports).accept(et, chosen)

    _finish(run_connected(cli, accept_all), "linked", "pair(s)")


@click.command("fix-dependencies")
@click.argument("job_id", type=JOB_ID, metavar="ID")
@pass_cli
def fix_dependencies(cli: CliContext, job_id: int) -> None:
    """Queue jobs for the customer and products an Error transaction job needs, and requeue it to wait for them."""
    refuse_if_read_only(cli, "fix-dependencies")

    async def body(store: JobStore, ports: Ports) -> ActionReport:
        return await _actions(store, ports).fix_dependencies(job_id, cli_actor())

    report: Any = run_connected(cli, body)
    for note in report.notes:
        click.echo(f"  queued {note}")
    if report.skipped:
        for rid, why in report.skipped.items():
            click.echo(f"  job {rid} not requeued: {why}")
        raise SystemExit(EXIT_NOT_DONE)
    click.echo(f"job {job_id} requeued; it waits for {len(report.notes)} dependency job(s)")
