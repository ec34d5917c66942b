"""Link Jobs as text for a terminal, and as JSON or CSV for other programs.

The table is for a person over SSH: fixed columns that fit the terminal, one line per job, and
nothing a hostile record name could use to move the cursor or recolour the screen. JSON and CSV
are for programs: they carry every value exactly, so a round trip loses nothing.
"""

from __future__ import annotations

import codecs
import csv
import json
from typing import Any, TextIO

from inolink_tui.domain.jobs import EXPORT_COLUMNS, Attempt, LinkJob
from inolink_tui.present.columns import COLUMNS, MARKER, ColumnSpec, FittedColumn, fit_columns
from inolink_tui.present.text import clean, fit
from inolink_tui.present.times import iso_time


def layout(width: int) -> list[FittedColumn]:
    """The console's columns (without its marker) sized for a terminal `width` cells wide."""
    return fit_columns(width, TABLE_COLUMNS, separator=_GAP)


TABLE_COLUMNS = tuple(spec for spec in COLUMNS if spec is not MARKER)
"""The console's catalogue; the CLI has no marker column, so in-flight shows as a "*" after the status."""
_GAP = 2


def _cell(job: LinkJob, spec: ColumnSpec) -> str:
    text = spec.value(job)
    if spec.key == "record_name" and not text:
        text = clean(job.crm_record_id or job.accounting_id or "")  # a record whose name was never read
    elif spec.key == "link_status" and job.in_flight():
        text += "*"
    return text


def table_header(columns: list[FittedColumn]) -> str:
    return (" " * _GAP).join(fit(c.spec.header(c.width), c.width, c.spec.align) for c in columns).rstrip()


def table_row(job: LinkJob, columns: list[FittedColumn]) -> str:
    return (" " * _GAP).join(fit(_cell(job, c.spec), c.width, c.spec.align) for c in columns).rstrip()


# --- JSON and CSV -------------------------------------------------------------------------------


def needs_ascii(stream: TextIO) -> bool:
    """JSON may carry UTF-8 as is only when the stream encodes UTF-8; elsewhere escape (still valid JSON)."""
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name != "utf-8"
    except LookupError:
        return True


class JsonArrayWriter:
    """Stream a JSON array, one object per line, so a million jobs never sit in memory at once."""

    def __init__(self, stream: TextIO, *, ascii_only: bool) -> None:
        self.stream = stream
        self.ascii_only = ascii_only
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        self.stream.write("[\n" if self.count == 0 else ",\n")
        self.stream.write(json.dumps(row, ensure_ascii=self.ascii_only))
        self.count += 1

    def close(self) -> None:
        self.stream.write("[]\n" if self.count == 0 else "\n]\n")


def csv_value(value: Any) -> str:
    """CSV cells: empty for null, true/false for booleans (as in the JSON), everything else as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CsvWriter:
    """RFC 4180 CSV with a header of EXPORT_COLUMNS; values are written exactly, never altered.

    CRLF line ends are not a style choice: with a bare "\\n" terminator the csv module leaves a field
    holding a lone "\\r" unquoted, and readers then split the row there.
    """

    def __init__(self, stream: TextIO) -> None:
        self.writer = csv.writer(stream, lineterminator="\r\n")
        self.writer.writerow(EXPORT_COLUMNS)
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        self.writer.writerow([csv_value(row.get(column)) for column in EXPORT_COLUMNS])
        self.count += 1


# --- one job in full ----------------------------------------------------------------------------


def job_detail(job: LinkJob, attempts: list[Attempt]) -> dict[str, Any]:
    """Every field of a job, for `jobs show --format json`: the export shape plus what only a detail view needs."""
    data = job.as_export()
    data.update(
        {
            "request_id": job.request_id,
            "depends_on": job.depends_on,
            "updated_at": iso_time(job.updated_at),
            "lease": {"worker": job.lease.worker, "until": iso_time(job.lease.until)} if job.lease else None,
            "payload": job.payload,
            "attempts": [
                {
                    "number": a.number,
                    "started_at": iso_time(a.started_at),
                    "duration_ms": a.duration_ms,
                    "outcome": a.outcome.value,
                    "http_status": a.http_status,
                    "error_code": a.error_code,
                    "message": a.message,
                    "worker": a.worker,
                }
                for a in attempts
            ],
        }
    )
    return data


def job_text(job: LinkJob, attempts: list[Attempt]) -> list[str]:
    """The inspector as plain lines: InoLink's labels first, then our extras, the full error, the attempts."""
    status = job.link_status.value
    if job.lease is not None and job.in_flight():
        status += f" (processing by {clean(job.lease.worker)} until {iso_time(job.lease.until)})"
    fields: list[tuple[str, str]] = [
        ("Entity Type", job.entity_type.value),
        ("Record", clean(job.record_name)),
        ("Link Status", status),
        ("Source", f"{job.source.value} ({job.source.direction})"),
        ("Submitted By", clean(job.submitted_by)),
        ("Submitted At", iso_time(job.submitted_at) or ""),
        ("Processed At", iso_time(job.processed_at) or ""),
        ("Accounting ID", clean(job.accounting_id or "")),
        ("Processed Count", str(job.processed_count)),
        ("Error Class", job.error_class.value if job.error_class else ""),
        ("Error Code", clean(job.error_code or "")),
        ("Operation", job.operation.value),
        ("Company", clean(job.company)),
        ("CRM Record ID", clean(job.crm_record_id)),
        ("QuickBooks Entity", clean(job.qbo_entity or "")),
        ("Request ID", clean(job.request_id or "")),
        ("Next Attempt At", iso_time(job.next_attempt_at) or ""),
        ("Depends On", f"job {job.depends_on}" if job.depends_on else ""),
        ("Inactive", "yes" if job.inactive else "no"),
        ("Updated At", iso_time(job.updated_at) or ""),
    ]
    lines = [f"Link Job {job.id}"]
    lines += [f"  {label:<17} {value}".rstrip() for label, value in fields]
    lines.append("Error Description")
    if job.error_description:
        lines += [f"  {line}" for line in clean(job.error_description, keep_newlines=True).splitlines()]
    else:
        lines.append("  (none)")
    lines.append(f"Attempts ({len(attempts)})")
    for a in attempts:
        detail = " ".join(
            part
            for part in (
                f"HTTP {a.http_status}" if a.http_status else "",
                clean(a.error_code or ""),
                clean(a.message or ""),
            )
            if part
        )
        worker = f" [{clean(a.worker)}]" if a.worker else ""
        lines.append(
            f"  #{a.number:<3} {iso_time(a.started_at) or ''}  {a.duration_ms:>6} ms"
            f"  {a.outcome.value:<8} {detail}{worker}"
        )
    return lines
