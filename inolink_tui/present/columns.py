"""The job table's column catalogue: what each column shows, how wide it wants to be, and which go first
when space is short. One catalogue for the console's table and the CLI's `jobs list`.

Width fitting is pure so it can be tested without a terminal: at 80 columns the lowest-priority columns
are dropped whole (a truncated date is worse than no date), and spare width goes to the text columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from inolink_tui.domain.jobs import LinkJob
from inolink_tui.present.text import Align, clean
from inolink_tui.present.times import short_time


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    key: str
    """Also the JobSort column name when `sortable`."""
    label: str
    width: int
    """Preferred width in cells; non-flex columns get exactly this."""
    priority: int
    """Lower is more important: columns are dropped from the highest number down."""
    value: Callable[[LinkJob], str]
    min_width: int = 0
    """Flex columns may shrink to this; 0 means `width`."""
    flex: int = 0
    """Share of spare width a text column takes (0 = fixed width)."""
    align: Align = "left"
    sortable: bool = True
    short_label: str = ""
    """Header used when `label` does not fit the width the column got."""

    def header(self, width: int) -> str:
        return self.label if len(self.label) <= width or not self.short_label else self.short_label

    @property
    def minimum(self) -> int:
        return self.min_width or self.width


@dataclass(frozen=True, slots=True)
class FittedColumn:
    spec: ColumnSpec
    width: int


MARKER = ColumnSpec("marker", "", 2, 0, lambda job: "", sortable=False)
"""Two cells before each row: a mark (space) and an in-flight arrow; filled in by the table."""

COLUMNS: tuple[ColumnSpec, ...] = (
    MARKER,
    ColumnSpec("id", "Job", 7, 1, lambda j: str(j.id), align="right"),
    ColumnSpec("entity_type", "Entity Type", 11, 3, lambda j: j.entity_type.value, min_width=7, short_label="Entity"),
    ColumnSpec("record_name", "Record", 18, 4, lambda j: clean(j.record_name), min_width=14, flex=2),
    ColumnSpec("link_status", "Link Status", 11, 2, lambda j: j.link_status.value, min_width=7, short_label="Status"),
    ColumnSpec("source", "Source", 10, 6, lambda j: j.source.value),
    ColumnSpec("submitted_by", "Submitted By", 12, 10, lambda j: clean(j.submitted_by), min_width=10),
    ColumnSpec(
        "submitted_at",
        "Submitted At",
        12,
        7,
        lambda j: short_time(j.submitted_at),
        min_width=11,
        short_label="Submitted",
    ),
    ColumnSpec(
        "processed_at",
        "Processed At",
        12,
        9,
        lambda j: short_time(j.processed_at),
        min_width=11,
        short_label="Processed",
    ),
    ColumnSpec(
        "accounting_id",
        "Accounting ID",
        13,
        8,
        lambda j: clean(j.accounting_id or ""),
        min_width=8,
        short_label="Acct ID",
    ),
    ColumnSpec(
        "processed_count",
        "Processed Count",
        5,
        11,
        lambda j: str(j.processed_count),
        align="right",
        short_label="Count",
    ),
    ColumnSpec(
        "error_description",
        "Error Description",
        30,
        5,
        lambda j: clean(j.error_first_line),
        min_width=18,
        flex=3,
        short_label="Error",
    ),
)
"""In display order. Priorities keep Job, Link Status, Entity Type, Record and Error visible at 80 columns."""

SEPARATOR = 1


def fit_columns(
    width: int, columns: Sequence[ColumnSpec] = COLUMNS, *, separator: int = SEPARATOR
) -> list[FittedColumn]:
    """Choose and size the columns for `width` cells, `separator` cells between columns.

    Columns are admitted by priority until the first that does not fit; the spare cells then go to the
    text columns up to their preferred width, then to the fixed ones, then to the text columns by `flex`.
    """
    chosen: list[ColumnSpec] = []
    used = 0
    for spec in sorted(columns, key=lambda c: c.priority):
        cost = spec.minimum + (separator if chosen else 0)
        if used + cost > width:
            break  # never let a less important narrow column jump ahead of a dropped one
        chosen.append(spec)
        used += cost
    widths = {spec.key: spec.minimum for spec in chosen}
    spare = width - used
    # Text columns first reach their preferred width (a readable error beats a full "Link Status"
    # header), then fixed columns grow to theirs, then text columns share what is left.
    flexible = [c for c in chosen if c.flex]
    fixed = [c for c in chosen if not c.flex and c.key != "marker"]
    for group in (flexible, fixed):
        for spec in sorted(group, key=lambda c: c.priority):
            grow = max(0, min(spare, spec.width - widths[spec.key]))
            widths[spec.key] += grow
            spare -= grow
    if flexible and spare > 0:
        total_flex = sum(c.flex for c in flexible)
        given = 0
        for index, spec in enumerate(flexible):
            share = spare - given if index == len(flexible) - 1 else spare * spec.flex // total_flex
            widths[spec.key] += share
            given += share
    order = {spec.key: index for index, spec in enumerate(columns)}
    return [FittedColumn(spec, widths[spec.key]) for spec in sorted(chosen, key=lambda c: order[c.key])]
