"""The inspector's Deadlock Win section: per field, the value discarded beside the value kept (what the record now
holds; jobs from before `winning_values` was recorded show "not recorded")."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from inolink_tui.domain.conflicts import conflict_of
from inolink_tui.domain.jobs import LinkJob
from inolink_tui.present.text import clean


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return clean(text if len(text) <= 60 else text[:59] + "…")


def conflict_section(job: LinkJob) -> RenderableType:
    """Winner and loser side by side per field, or a dim line when the job settled no conflict."""
    conflict = conflict_of(job.payload)
    if conflict is None:
        return Text("No Deadlock Win conflict.", style="dim")
    table = Table(box=None, padding=(0, 2, 0, 0), header_style="bold")
    table.add_column("Field", no_wrap=True)
    table.add_column(f"{conflict.losing_side} (discarded)", style="red")
    table.add_column(f"{conflict.winner} (kept, now in the record)", style="green")
    for change in conflict.fields:
        kept = Text(_value(change.winning)) if change.winning_known else Text("not recorded", style="dim italic")
        table.add_row(clean(change.field), Text(_value(change.losing)), kept)
    head = Text.assemble(
        ("Deadlock Win: ", "bold"),
        f"both sides changed; {conflict.winner} won and {conflict.losing_side}'s values were replaced. ",
        ("a", "bold"),
        " re-applies the discarded values as a new Link Job.",
    )
    return Group(head, table)
