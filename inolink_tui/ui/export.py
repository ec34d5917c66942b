"""Export the filtered, sorted view to CSV or JSON, streamed page by page so 1,000,000 rows fit in memory."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import EXPORT_COLUMNS, LinkJob
from inolink_tui.store.base import JobStore

Format = Literal["csv", "json"]
BATCH = 2000


class ExportError(Exception):
    """The export could not be written; the message names the file and the reason."""


def format_for(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "json"
    raise ExportError(f"{path.name}: the file name must end in .csv or .json")


def default_path(now: datetime, directory: Path | None = None) -> Path:
    return (directory or Path.cwd()) / f"inolink-jobs-{now.astimezone(UTC):%Y%m%d-%H%M%S}.csv"


async def iter_jobs(
    store: JobStore, job_filter: JobFilter, sort: JobSort, now: datetime, batch: int = BATCH
) -> AsyncIterator[LinkJob]:
    after: LinkJob | None = None
    while True:
        jobs = await store.page_after(job_filter, sort, after, limit=batch, now=now)
        for job in jobs:
            yield job
        if len(jobs) < batch:
            return
        after = jobs[-1]


async def export_jobs(store: JobStore, job_filter: JobFilter, sort: JobSort, path: Path, *, now: datetime) -> int:
    """Write the view to `path` (format from its suffix) atomically; return the number of jobs written.

    A temporary file in the same directory is renamed over the target at the end, so a failed export
    never leaves half a file where a good one was.
    """
    fmt = format_for(path)
    if not path.parent.is_dir():
        raise ExportError(f"{path}: directory {path.parent} does not exist")
    temp = path.with_name(f".{path.name}.partial")
    count = 0
    try:
        with temp.open("w", encoding="utf-8", newline="") as handle:
            if fmt == "csv":
                writer = csv.DictWriter(handle, fieldnames=list(EXPORT_COLUMNS), extrasaction="ignore")
                writer.writeheader()
                async for job in iter_jobs(store, job_filter, sort, now):
                    writer.writerow(_csv_row(job.as_export()))
                    count += 1
            else:
                handle.write("[")
                async for job in iter_jobs(store, job_filter, sort, now):
                    handle.write(",\n" if count else "\n")
                    handle.write(json.dumps(job.as_export(), ensure_ascii=False))
                    count += 1
                handle.write("\n]\n" if count else "]\n")
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise ExportError(f"{path}: {exc.strerror or exc}") from exc
    return count


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: "" if value is None else value for key, value in row.items()}


class ExportScreen(ModalScreen[Path | None]):
    """Ask where to write; the suffix (.csv or .json) picks the format."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 76; max-width: 95%; height: auto; border: thick $primary; background: $surface; padding: 1 2;
    }
    ExportScreen #export-title { text-style: bold; width: 1fr; }
    ExportScreen #export-error { color: $error; width: 1fr; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, description: str, count: int, suggested: Path, *, now: Callable[[], datetime]) -> None:
        super().__init__()
        self.description = description
        self.count = count
        self.suggested = suggested
        self._now = now

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Export {self.count:,} jobs ({self.description})", id="export-title")
            yield Label("File (.csv or .json); Enter writes it, Esc cancels:")
            field = Input(str(self.suggested), id="export-path")
            field.cursor_blink = False
            yield field
            yield Label("", id="export-error")

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = Path(event.value.strip()).expanduser()
        try:
            format_for(path)
        except ExportError as exc:
            self.query_one("#export-error", Label).update(str(exc))
            return
        self.dismiss(path)
