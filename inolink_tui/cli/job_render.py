"""Link Jobs as text for a terminal, and as JSON or CSV for other programs.

The table is for a person over SSH: fixed columns that fit the terminal, one line per job, and
nothing a hostile record name could use to move the cursor or recolour the screen. JSON and CSV
are for programs: they carry every value exactly, so a round trip loses nothing.
"""

from __future__ import annotations

import codecs
import csv
import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

from inolink_tui.domain.jobs import EXPORT_COLUMNS, Attempt, LinkJob

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean(text: str, *, keep_newlines: bool = False) -> str:
    """Make untrusted text safe to print on a terminal.

    Control characters (ESC, BEL, ...) and bidi overrides are shown as `\\xNN` / `\\uNNNN`
    escapes rather than removed, so the operator still sees that something odd is there.
    """
    out: list[str] = []
    for ch in text:
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\t\n\r":
            out.append(" ")
        elif ch in _BIDI_CONTROLS:
            out.append(f"\\u{ord(ch):04x}")
        elif unicodedata.category(ch) in ("Cc", "Cs"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def cell_width(text: str) -> int:
    return sum(char_width(ch) for ch in text)


def fit(text: str, width: int, *, right: bool = False) -> str:
    """Exactly `width` terminal cells: truncated with an ellipsis, or padded."""
    if cell_width(text) > width:
        kept: list[str] = []
        used = 0
        for ch in text:
            w = char_width(ch)
            if used + w > width - 1:
                break
            kept.append(ch)
            used += w
        text = "".join(kept) + "…"
    pad = " " * max(0, width - cell_width(text))
    return pad + text if right else text + pad


def short_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ") if value else ""


# --- the table ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    width: int
    drop_order: int
    """Columns with a higher number are dropped first when the terminal is narrow; 0 never."""
    right: bool = False
    flexible: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", "ID", 7, 0, right=True),
    Column("entity_type", "Entity Type", 11, 2),
    Column("record_name", "Record", 16, 0, flexible=True),
    Column("link_status", "Link Status", 11, 0),
    Column("source", "Source", 10, 5),
    Column("submitted_by", "Submitted By", 14, 7),
    Column("submitted_at", "Submitted At", 17, 4),
    Column("processed_at", "Processed At", 17, 8),
    Column("accounting_id", "Accounting ID", 13, 6),
    Column("processed_count", "Count", 5, 3, right=True),
    Column("error", "Error Description", 28, 0, flexible=True),
)
_GAP = 2
_RECORD_MAX = 32
_SHRINK_TO = {"error": 16, "record_name": 10}
"""How far the flexible columns give way before the Entity Type column is dropped."""
_LAST_RESORT = {"error": 8, "record_name": 8}


def layout(width: int) -> list[tuple[Column, int]]:
    """Choose the columns and their widths for a terminal `width` cells wide.

    Optional columns go first (Processed At, Submitted By, ...), then the record name and error
    narrow, then Entity Type goes; ID, Record, Link Status and the error always stay.
    """
    columns = list(COLUMNS)
    widths = {c.key: c.width for c in columns}

    def needed() -> int:
        return sum(widths[c.key] for c in columns) + _GAP * (len(columns) - 1)

    def drop(min_order: int) -> None:
        while needed() > width:
            droppable = [c for c in columns if c.drop_order >= min_order]
            if not droppable:
                return
            victim = max(droppable, key=lambda c: c.drop_order)
            columns.remove(victim)
            del widths[victim.key]

    def shrink(floors: dict[str, int]) -> None:
        for key, floor in floors.items():
            excess = needed() - width
            if excess > 0 and key in widths:
                widths[key] = max(floor, widths[key] - excess)

    drop(3)
    shrink(_SHRINK_TO)
    drop(1)
    shrink(_LAST_RESORT)
    spare = max(0, width - needed())
    grow = min(spare // 2, _RECORD_MAX - widths["record_name"])
    if grow > 0:
        widths["record_name"] += grow
        spare -= grow
    widths["error"] += spare
    return [(c, widths[c.key]) for c in columns]


def _cell(job: LinkJob, key: str) -> str:
    if key == "id":
        return str(job.id)
    if key == "entity_type":
        return job.entity_type.value
    if key == "record_name":
        return clean(job.record_name or job.crm_record_id or job.accounting_id or "")
    if key == "link_status":
        return f"{job.link_status.value}*" if job.in_flight() else job.link_status.value
    if key == "source":
        return job.source.value
    if key == "submitted_by":
        return clean(job.submitted_by)
    if key == "submitted_at":
        return short_time(job.submitted_at)
    if key == "processed_at":
        return short_time(job.processed_at)
    if key == "accounting_id":
        return clean(job.accounting_id or "")
    if key == "processed_count":
        return str(job.processed_count)
    if key == "error":
        return clean(job.error_first_line)
    raise KeyError(key)


def table_header(columns: list[tuple[Column, int]]) -> str:
    line = (" " * _GAP).join(fit(c.header, w, right=c.right) for c, w in columns)
    return line.rstrip()


def table_row(job: LinkJob, columns: list[tuple[Column, int]]) -> str:
    return (" " * _GAP).join(fit(_cell(job, c.key), w, right=c.right) for c, w in columns).rstrip()


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
            "updated_at": _iso(job.updated_at),
            "lease": {"worker": job.lease.worker, "until": _iso(job.lease.until)} if job.lease else None,
            "payload": job.payload,
            "attempts": [
                {
                    "number": a.number,
                    "started_at": _iso(a.started_at),
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


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def job_text(job: LinkJob, attempts: list[Attempt]) -> list[str]:
    """The inspector as plain lines: InoLink's labels first, then our extras, the full error, the attempts."""
    status = job.link_status.value
    if job.lease is not None and job.in_flight():
        status += f" (processing by {clean(job.lease.worker)} until {short_time(job.lease.until)})"
    fields: list[tuple[str, str]] = [
        ("Entity Type", job.entity_type.value),
        ("Record", clean(job.record_name)),
        ("Link Status", status),
        ("Source", f"{job.source.value} ({job.source.direction})"),
        ("Submitted By", clean(job.submitted_by)),
        ("Submitted At", _iso(job.submitted_at) or ""),
        ("Processed At", _iso(job.processed_at) or ""),
        ("Accounting ID", clean(job.accounting_id or "")),
        ("Processed Count", str(job.processed_count)),
        ("Error Class", job.error_class.value if job.error_class else ""),
        ("Error Code", clean(job.error_code or "")),
        ("Operation", job.operation.value),
        ("Company", clean(job.company)),
        ("CRM Record ID", clean(job.crm_record_id)),
        ("QuickBooks Entity", clean(job.qbo_entity or "")),
        ("Request ID", clean(job.request_id or "")),
        ("Next Attempt At", _iso(job.next_attempt_at) or ""),
        ("Depends On", f"job {job.depends_on}" if job.depends_on else ""),
        ("Inactive", "yes" if job.inactive else "no"),
        ("Updated At", _iso(job.updated_at) or ""),
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
            f"  #{a.number:<3} {short_time(a.started_at)}  {a.duration_ms:>6} ms  {a.outcome.value:<8} {detail}{worker}"
        )
    return lines
