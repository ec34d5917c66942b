"""`inolink-tui mapping show ENTITY [--format table|toml]`: the fields a Link Job of that Entity Type carries.

Why: the mapping was visible only in code; an operator needs to see which CRM column goes to which
QuickBooks field, which way, how it is changed on the way and what each side accepts. The TOML form is
a starting point for the custom mappings issue 17 describes; the configuration does not accept them yet
(an unknown `mapping` key is refused), and the TOML's header says so.
"""

from __future__ import annotations

import click
import tomli_w

from inolink_tui.cli.job_filters import LabelChoice
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.limits import Limit
from inolink_tui.domain.mapping.tables import (
    DEFAULT_MAPPINGS,
    QBO_ENTITY,
    FieldMapping,
    crm_limit,
    qbo_limit,
    qbo_range,
)

TABLE_COLUMNS = ("CRM column", "QuickBooks field", "direction", "transform", "CRM limit", "QuickBooks limit", "note")


def _limit(limit: Limit | None) -> str:
    return f"{limit.maximum} {limit.overflow.value}" if limit else ""


def _qbo_limit(entity_type: EntityType, row: FieldMapping) -> str:
    top = qbo_range(entity_type, row)
    return f"at most {top} refuse" if top is not None else _limit(qbo_limit(entity_type, row))


def _note(row: FieldMapping) -> str:
    return f"{row.note} (depends on {row.when})" if row.when else row.note


def _cells(entity_type: EntityType, row: FieldMapping) -> tuple[str, ...]:
    return (
        row.crm or "-",
        row.qbo,
        row.direction.value,
        row.transform.value,
        _limit(crm_limit(entity_type, row)),
        _qbo_limit(entity_type, row),
        _note(row),
    )


def mapping_table(entity_type: EntityType) -> str:
    """Aligned columns, one line per field and direction, no trailing spaces."""
    rows = [TABLE_COLUMNS, *(_cells(entity_type, row) for row in DEFAULT_MAPPINGS[entity_type])]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    title = f"{entity_type.value} <-> QuickBooks {QBO_ENTITY[entity_type]} (the built-in mapping)"
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([title, *lines])


def mapping_toml(entity_type: EntityType) -> str:
    """`[[mapping.<entity>]]` entries for the built-in rows, each with its limits and note as a comment."""
    key = entity_type.value.lower()
    out = [
        f"# The built-in {entity_type.value} <-> QuickBooks {QBO_ENTITY[entity_type]} mapping, as a starting point.",
        "# NOTE: custom mappings are not read yet: the config refuses a [mapping] section today (unknown key)",
        "# and inolink-tui syncs the built-in mapping below (custom entries: issue 17 item 2).",
        "# direction: both | to QuickBooks | to CRM | on create only (to QuickBooks, when the record is created).",
    ]
    for row in DEFAULT_MAPPINGS[entity_type]:
        entry: dict[str, str] = {}
        if row.crm:
            entry["crm"] = row.crm
        entry["quickbooks"] = row.qbo
        entry["direction"] = row.direction.value
        entry["transform"] = row.transform.value
        out.append("")
        facts = [
            f"CRM limit {crm}" if (crm := _limit(crm_limit(entity_type, row))) else "",
            f"QuickBooks limit {qbo}" if (qbo := _qbo_limit(entity_type, row)) else "",
            _note(row),
        ]
        if comment := "; ".join(fact for fact in facts if fact):
            out.append(f"# {comment}")
        out.append(f"[[mapping.{key}]]")
        out.append(tomli_w.dumps(entry).rstrip("\n"))
    return "\n".join(out)


@click.group()
def mapping() -> None:
    """Field mappings between Dynamics 365 and QuickBooks."""


@mapping.command("show")
@click.argument("entity", type=LabelChoice(EntityType))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "toml"], case_sensitive=False),
    default="table",
    show_default=True,
    help="A table to read, or TOML to start a custom mapping from.",
)
def show(entity: EntityType, fmt: str) -> None:
    """Print the built-in mapping of ENTITY (account, contact, product, quote, order, invoice)."""
    if entity not in DEFAULT_MAPPINGS:
        raise click.BadParameter(
            f"{entity.value} has no field mapping (it is recorded from QuickBooks as it is); "
            "choose account, contact, product, quote, order or invoice",
            param_hint="'ENTITY'",
        )
    click.echo(mapping_toml(entity) if fmt.lower() == "toml" else mapping_table(entity))
