"""`inolink-tui mapping show ENTITY [--format table|toml]`: the fields a Link Job of that Entity Type carries.

Why: the mapping was visible only in code; an operator needs to see which CRM column goes to which
QuickBooks field, which way, how it is changed on the way and what each side accepts, including the custom rows
of the config's `[[mapping.<entity>]]` tables (marked custom). The TOML form is what the config loader reads back
(config/mapping.py), so it is the starting point for a custom mapping.
"""

from __future__ import annotations

from collections.abc import Sequence

import click
import tomli_w

from inolink_tui.cli.context import CliContext, pass_cli
from inolink_tui.cli.job_filters import LabelChoice
from inolink_tui.config.load import ConfigError, exit_config_error, load_config
from inolink_tui.config.mapping import SECTIONS, entry_of
from inolink_tui.domain.enums import EntityType
from inolink_tui.domain.limits import Limit
from inolink_tui.domain.mapping.custom import LocatedMapping
from inolink_tui.domain.mapping.tables import (
    DEFAULT_MAPPINGS,
    QBO_ENTITY,
    FieldMapping,
    crm_limit,
    qbo_limit,
    qbo_range,
)

SECTION_OF: dict[EntityType, str] = {et: name for name, et in SECTIONS.items()}
TABLE_COLUMNS = ("CRM column", "QuickBooks field", "direction", "transform", "CRM limit", "QuickBooks limit", "note")


def _limit(limit: Limit | None) -> str:
    return f"{limit.maximum} {limit.overflow.value}" if limit else ""


def _qbo_limit(entity_type: EntityType, row: FieldMapping) -> str:
    top = qbo_range(entity_type, row)
    return f"at most {top} refuse" if top is not None else _limit(qbo_limit(entity_type, row))


def _note(row: FieldMapping) -> str:
    return f"{row.note} (depends on {row.when})" if row.when else row.note


def _cells(entity_type: EntityType, row: FieldMapping, where: str = "") -> tuple[str, ...]:
    note = _note(row)
    if row.custom:
        note = f"custom ({where})" + (f": {_custom_note(row)}" if _custom_note(row) else "")
    return (
        row.crm or "-",
        row.qbo,
        row.direction.value,
        row.transform.value,
        _limit(crm_limit(entity_type, row)),
        _qbo_limit(entity_type, row),
        note,
    )


def _custom_note(row: FieldMapping) -> str:
    if row.values:
        return ", ".join(f"{crm} = {qbo}" for crm, qbo in row.values)
    if row.constant is not None:
        return repr(row.constant)
    if row.template is not None:
        return row.template
    return row.fmt or ""


def _where(located: LocatedMapping) -> str:
    origin = located.origin
    return f"{origin.file.name}:{origin.line}" if origin.line else origin.file.name


def effective_rows(
    entity_type: EntityType, custom: Sequence[LocatedMapping] = ()
) -> list[tuple[FieldMapping, LocatedMapping | None]]:
    """The built-in rows a custom one does not replace, then the custom rows of `entity_type`, in config order."""
    mine = [m for m in custom if m.entity_type is entity_type]
    replaced = {(m.mapping.crm, m.mapping.qbo) for m in mine if m.replaces}
    rows: list[tuple[FieldMapping, LocatedMapping | None]] = [
        (row, None) for row in DEFAULT_MAPPINGS[entity_type] if (row.crm, row.qbo) not in replaced
    ]
    return rows + [(m.mapping, m) for m in mine]


def _title(entity_type: EntityType, custom: int) -> str:
    what = "the built-in mapping" if not custom else f"built-in + {custom} custom row{'s' if custom != 1 else ''}"
    return f"{entity_type.value} <-> QuickBooks {QBO_ENTITY[entity_type]} ({what})"


def mapping_table(entity_type: EntityType, custom: Sequence[LocatedMapping] = ()) -> str:
    """Aligned columns, one line per field and direction (custom rows marked in the note), no trailing spaces."""
    effective = effective_rows(entity_type, custom)
    cells = [_cells(entity_type, row, _where(m) if m else "") for row, m in effective]
    rows = [TABLE_COLUMNS, *cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    n_custom = sum(1 for _, m in effective if m)
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    return "\n".join([_title(entity_type, n_custom), *lines])


def mapping_toml(entity_type: EntityType, custom: Sequence[LocatedMapping] = ()) -> str:
    """`[[mapping.<entity>]]` entries for the effective rows, each with its limits and note as a comment.

    The config loader reads them back: a built-in row written out as it is stays the built-in row (so this output
    is a config that changes nothing), a custom row keeps its parameters."""
    key = SECTION_OF[entity_type]
    out = [
        f"# The {entity_type.value} <-> QuickBooks {QBO_ENTITY[entity_type]} mapping, as [[mapping.{key}]] entries.",
        "# An entry equal to a built-in row changes nothing; edit or add entries to map your own fields.",
        "# direction: both | to_quickbooks | to_crm | on_create (to QuickBooks, when the record is created there).",
    ]
    for row, located in effective_rows(entity_type, custom):
        out.append("")
        facts = [
            "custom" if located else "",
            f"CRM limit {crm}" if (crm := _limit(crm_limit(entity_type, row))) else "",
            f"QuickBooks limit {qbo}" if (qbo := _qbo_limit(entity_type, row)) else "",
            _note(row),
        ]
        if comment := "; ".join(fact for fact in facts if fact):
            out.append(f"# {comment}")
        out.append(f"[[mapping.{key}]]")
        out.extend(_toml_lines(entry_of(row)))
    return "\n".join(out)


def _toml_string(text: str) -> str:
    return tomli_w.dumps({"v": text}).split("=", 1)[1].strip()


def _toml_lines(entry: dict[str, object]) -> list[str]:
    """One `key = value` line per key; `values` as an inline table, so it stays inside this entry."""
    lines: list[str] = []
    for key, value in entry.items():
        if isinstance(value, dict):
            pairs = ", ".join(f"{_toml_string(str(k))} = {_toml_string(str(v))}" for k, v in value.items())
            lines.append(f"{key} = {{ {pairs} }}")
        else:
            lines.append(f"{key} = {_toml_string(str(value))}")
    return lines


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
@pass_cli
def show(cli: CliContext, entity: EntityType, fmt: str) -> None:
    """Print the effective mapping of ENTITY (account, contact, product, quote, order, invoice): the built-in rows
    and the config's [[mapping.<entity>]] rows, marked custom."""
    if entity not in DEFAULT_MAPPINGS:
        raise click.BadParameter(
            f"{entity.value} has no field mapping (it is recorded from QuickBooks as it is); "
            "choose account, contact, product, quote, order or invoice",
            param_hint="'ENTITY'",
        )
    try:
        custom = load_config(cli.config_path).settings.mapping
    except ConfigError as exc:
        exit_config_error(exc)
    click.echo(mapping_toml(entity, custom) if fmt.lower() == "toml" else mapping_table(entity, custom))
