"""The inspector's mapped fields: per field, the CRM value -> the QuickBooks value (<- for a pull), and the
transform between them (issue 17 item 4; the engine records them as `AppliedField`s in the job's payload)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from inolink_tui.domain.jobs import LinkJob
from inolink_tui.domain.mapping.applied import TO_CRM, applied_fields
from inolink_tui.present.text import clean

EMPTY = "—"


def _value(value: Any) -> Text:
    if value is None or value == "":
        return Text(EMPTY, style="dim")
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return Text(clean(text if len(text) <= 40 else text[:39] + "…"))


def mapped_section(job: LinkJob) -> RenderableType:
    """A table of the job's mapped fields, or a dim line for a job that recorded none."""
    fields = applied_fields(job.payload)
    if not fields:
        return Text("No mapped fields recorded for this job.", style="dim")
    table = Table(box=None, padding=(0, 1, 0, 0), header_style="bold")
    table.add_column("CRM column", no_wrap=True)
    table.add_column("CRM value")
    table.add_column("", no_wrap=True)
    table.add_column("QuickBooks field", no_wrap=True)
    table.add_column("QuickBooks value")
    table.add_column("Transform", no_wrap=True, style="cyan")
    for field in fields:
        arrow = Text("<-", style="bold magenta") if field.direction == TO_CRM else Text("->", style="bold green")
        transform = field.transform + (" (custom)" if field.custom else "")
        table.add_row(
            Text(clean(field.crm or EMPTY)),
            _value(field.crm_value),
            arrow,
            Text(clean(field.qbo)),
            _value(field.qbo_value),
            Text(clean(transform)),
        )
    return table
