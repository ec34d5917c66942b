"""`inolink-tui reconcile [ENTITY...] [--format table|json] [--fix]`: drift between CRM and QuickBooks.

Compares the linked customers (accounts, contacts) and products of both systems (engine/reconcile.py) and reports
links whose other side is gone or inactive, mapped fields that differ, account and contact aging that differs
from QuickBooks' AgedReceivables report, records To be Linked with no Queued job, and duplicate names on either
side; `invoice` compares the money (engine/reconcile_money.py): linked invoices' status, amount paid and
balance, QuickBooks payments of linked customers missing in CRM or missing an application, and the Sales
Transaction history rows of the types switched to "history" (domain/reconcile_history.py).
`--fix` queues the ordinary Link Jobs that repair the fixable ones (audited; refused with --read-only); what no
Link Job repairs (the money) is said with the service cycle that writes it.

Exit 0 when clean, 1 when drift was found (even if --fix queued its repairs: run again after the next cycle to
see it clean), 2 for bad input, configuration or a refused connection.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from inolink_tui.cli.connected import parse_entity, run_guarded
from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.cli.store_session import EXIT_NOT_DONE, cli_actor, fail, refuse_if_read_only

if TYPE_CHECKING:
    from inolink_tui.domain.enums import EntityType
    from inolink_tui.domain.reconcile import Drift
    from inolink_tui.store.base import EnqueueResult


def _table(drifts: list[Drift]) -> str:
    from inolink_tui.domain.reconcile import TABLE_COLUMNS, table_rows

    rows = [TABLE_COLUMNS, *table_rows(drifts)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


@click.command()
@click.argument("entities", nargs=-1)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True, help="Report form."
)
@click.option("--fix", is_flag=True, help="Queue the Link Jobs that repair what can be repaired (audited).")
@pass_cli
def reconcile(cli: CliContext, entities: tuple[str, ...], fmt: str, fix: bool) -> None:
    """Compare CRM and QuickBooks for linked records (account, contact, product, invoice; default: all)."""
    from inolink_tui.engine.reconcile import COMPARED

    wanted: list[EntityType] = []
    for text in entities:
        et = parse_entity(text)
        if et not in COMPARED:
            fail(f"reconcile compares account, contact, product and invoice; not {et.value}")
        if et not in wanted:
            wanted.append(et)
    if fix:
        refuse_if_read_only(cli, "reconcile --fix")
    drifts, queued = run_guarded(cli, lambda: _run(cli, wanted or list(COMPARED), fix))
    if fmt == "json":
        report = {
            "drift": [d.as_json() for d in drifts],
            "count": len(drifts),
            "fix": None if queued is None else {"queued": list(queued.created), "already_open": list(queued.existing)},
        }
        click.echo(json.dumps(report, indent=2, default=str))
    else:
        click.echo(_table(drifts) if drifts else "No drift: both systems agree for the linked records compared.")
        fixable = sum(1 for d in drifts if d.fixable)
        if drifts:
            click.echo(f"{len(drifts)} drift(s), {fixable} fixable by --fix")
        if queued is not None:
            click.echo(f"--fix: queued {len(queued.created)} job(s), {len(queued.existing)} already open")
            for kind, detail in dict.fromkeys((d.kind.value, d.detail) for d in drifts if not d.fixable):
                click.echo(f"--fix: no job repairs {kind} drift: {detail}")
    if drifts:
        raise SystemExit(EXIT_NOT_DONE)


async def _run(cli: CliContext, entities: list[EntityType], fix: bool) -> tuple[list[Drift], EnqueueResult | None]:
    from inolink_tui.cli.store_session import open_job_store
    from inolink_tui.engine.connect import connected_ports
    from inolink_tui.engine.reconcile import queue_repairs, reconcile

    settings = cli.settings()
    async with open_job_store(cli, create=fix) as store, connected_ports(settings) as ports:
        if ports.qbo is None:
            raise ValueError("QuickBooks is not connected")
        drifts = await reconcile(store, ports.crm, ports.qbo, ports.options, entities)
        queued = None
        if fix:
            queued = await queue_repairs(store, drifts, ports.options.company, cli_actor())
        return drifts, queued
