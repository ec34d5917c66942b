"""The job inspector: everything about one job, and why it failed in words an operator can act on."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.message_pump import MessagePump
from textual.widgets import Footer, Static

from inolink_tui.domain.enums import ErrorClass, LinkStatus
from inolink_tui.domain.jobs import Attempt, LinkJob
from inolink_tui.domain.mapping.applied import PAYLOAD_KEY as APPLIED_KEY
from inolink_tui.present.text import clean
from inolink_tui.present.times import detail_time
from inolink_tui.ui.conflict_section import conflict_section
from inolink_tui.ui.job_detail import JobDetail
from inolink_tui.ui.mapped_section import mapped_section

STATUS_STYLE = {LinkStatus.QUEUED: "yellow", LinkStatus.SUCCESS: "green", LinkStatus.ERROR: "bold red"}

HINTS: dict[ErrorClass, str] = {
    ErrorClass.TRANSIENT: (
        "A temporary problem (throttling, timeout, service unavailable). It is retried automatically until "
        "Processed Count reaches the maximum; requeue it once the service is healthy again."
    ),
    ErrorClass.AUTH: (
        "The connection's sign-in failed or expired (for QuickBooks usually a revoked or expired refresh token: "
        "invalid_grant). Reconnect the app, then requeue the failed jobs."
    ),
    ErrorClass.VALIDATION: (
        "The other system rejected the data (a required field is missing or a value is not allowed). Correct the "
        "record in the source system, then requeue."
    ),
    ErrorClass.DUPLICATE: (
        "A record with the same name already exists on the other side (QuickBooks display names are unique across "
        "customers, vendors and employees, including inactive ones). Rename one of them or link the existing "
        "record, then requeue."
    ),
    ErrorClass.CONFLICT: (
        "The record changed on the other side while we updated it (a stale SyncToken). Requeue to sync the latest "
        "version; Deadlock Win decides whose values win."
    ),
    ErrorClass.REFERENCE: (
        "The record refers to something missing or inactive on the other side (customer, item, tax code). Link or "
        "reactivate that record first, then requeue."
    ),
    ErrorClass.UNKNOWN: "An unexpected failure. Read the Error Description and the attempts below; requeue to retry.",
}


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    before: Any
    after: Any


def payload_diff(payload: Mapping[str, Any] | None) -> list[FieldChange]:
    """The field-level changes a job carried, from whichever shape the engine recorded.

    Understood shapes: {"before": {...}, "after": {...}}; {"changes": {field: {"old": a, "new": b}}};
    {"changes": {field: [a, b]}}. Anything else has no recorded previous values, so no diff.
    """
    if not payload:
        return []
    before, after = payload.get("before"), payload.get("after")
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        keys = sorted(set(before) | set(after))
        return [FieldChange(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
    changes = payload.get("changes")
    result: list[FieldChange] = []
    if isinstance(changes, Mapping):
        for key in sorted(changes):
            value = changes[key]
            if isinstance(value, Mapping) and ("old" in value or "new" in value):
                result.append(FieldChange(key, value.get("old"), value.get("new")))
            elif isinstance(value, list | tuple) and len(value) == 2:
                result.append(FieldChange(key, value[0], value[1]))
    return result


def payload_sent(payload: Mapping[str, Any] | None) -> Any:
    """The body sent to the other system: `sent` / `after` when recorded separately, else the payload."""
    if not payload:
        return None
    for key in ("sent", "body", "after"):
        if key in payload:
            return payload[key]
    rest = {k: v for k, v in payload.items() if k != APPLIED_KEY}  # the mapped fields have their own section
    return rest or None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:59] + "…"


def field_table(job: LinkJob, now: datetime) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    status = Text(job.link_status.value, style=STATUS_STYLE[job.link_status])
    if job.in_flight(now) and job.lease is not None:
        status.append(f"  (processing by {clean(job.lease.worker)} until {detail_time(job.lease.until)})", style="cyan")
    rows: list[tuple[str, RenderableType]] = [
        ("Entity Type", job.entity_type.value),
        ("Record", Text(clean(job.record_name))),
        ("Link Status", status),
        ("Source", f"{job.source.value} ({job.source.direction})"),
        ("Submitted By", Text(clean(job.submitted_by) or "—")),
        ("Submitted At", detail_time(job.submitted_at)),
        ("Processed At", detail_time(job.processed_at)),
        ("Accounting ID", Text(clean(job.accounting_id or "") or "—")),
        ("Processed Count", str(job.processed_count)),
        ("Operation", job.operation.value),
        ("Company (realm)", Text(clean(job.company) or "—")),
        ("CRM record id", Text(clean(job.crm_record_id) or "—")),
        ("QuickBooks entity", Text(clean(job.qbo_entity or "") or "—")),
        ("Request id", Text(clean(job.request_id or "") or "—")),
        ("Next attempt", detail_time(job.next_attempt_at)),
        ("Depends on job", str(job.depends_on) if job.depends_on else "—"),
        ("Inactive", "yes" if job.inactive else "no"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    return table


def attempts_table(attempts: tuple[Attempt, ...] | list[Attempt]) -> RenderableType:
    if not attempts:
        return Text("No attempts yet.", style="dim")
    table = Table(box=None, padding=(0, 2, 0, 0), header_style="bold")
    for column in ("#", "Started", "Duration", "Outcome", "HTTP", "Code", "Message"):
        table.add_column(column, no_wrap=column != "Message")
    for attempt in attempts:
        table.add_row(
            str(attempt.number),
            detail_time(attempt.started_at),
            f"{attempt.duration_ms} ms",
            attempt.outcome.value,
            str(attempt.http_status) if attempt.http_status is not None else "—",
            clean(attempt.error_code or "") or "—",
            Text(clean(attempt.message or "")),
        )
    return table


def error_section(job: LinkJob) -> RenderableType:
    if job.link_status is not LinkStatus.ERROR and not job.error_description:
        return Text("No error.", style="dim")
    description = clean(job.error_description or "", keep_newlines=True) or "(no description)"
    parts: list[RenderableType] = [Text(description, style="red")]
    error_class = job.error_class or ErrorClass.UNKNOWN
    line = Text()
    line.append(f"Error class: {error_class.value}", style="bold")
    if job.error_code:
        line.append(f"   code {clean(job.error_code)}")
    parts.append(line)
    parts.append(Text(f"What to do: {HINTS[error_class]}", style="italic"))
    return Group(*parts)


def diff_section(job: LinkJob) -> RenderableType:
    changes = payload_diff(job.payload)
    sent = payload_sent(job.payload)
    parts: list[RenderableType] = []
    if changes:
        table = Table(box=None, padding=(0, 2, 0, 0), header_style="bold")
        table.add_column("Field", no_wrap=True)
        table.add_column("Before", style="red")
        table.add_column("After", style="green")
        for change in changes:
            table.add_row(clean(change.field), Text(clean(_short(change.before))), Text(clean(_short(change.after))))
        parts.append(table)
    else:
        parts.append(Text("No field-level changes recorded.", style="dim"))
    if sent is None:
        parts.append(Text("No payload recorded.", style="dim"))
    else:
        parts.append(
            Text(clean(json.dumps(sent, indent=2, ensure_ascii=False, default=str, sort_keys=True), keep_newlines=True))
        )
    return Group(*parts)


class InspectorScreen(JobDetail):
    """A full screen (usable at 80x24) that follows the job live while it is open."""

    DEFAULT_CSS = """
    InspectorScreen > VerticalScroll { padding: 0 1; }
    InspectorScreen .inspector-title { text-style: bold; background: $panel; padding: 0 1; }
    InspectorScreen .section { text-style: bold; color: $primary; margin-top: 1; }
    InspectorScreen #inspector-body > .section:first-child { margin-top: 0; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("c", "copy_error", "Copy error"),
        Binding("r", "requeue", "Requeue"),
        Binding("x", "mark_error", "Mark as Error"),
        Binding("a", "reapply", "Re-apply loser"),
    ]

    class Action(Message):
        """Requeue or mark-error from the inspector; the jobs screen performs it like from the table."""

        def __init__(self, action: str, job: LinkJob) -> None:
            super().__init__()
            self.action = action
            self.job = job

    def __init__(self, job: LinkJob, *, now: Callable[[], datetime], reply_to: MessagePump | None = None) -> None:
        """`reply_to` receives the `Action` messages (the jobs screen below: a screen's messages bubble to the
        app, never to another screen); by default they go to this screen and bubble to the app."""
        super().__init__()
        self.job = job
        self._now = now
        self._reply_to = reply_to

    def compose(self) -> ComposeResult:
        yield Static(self._title(), classes="inspector-title", id="inspector-title")
        with VerticalScroll(id="inspector-body"):
            # Why it failed comes first: at 80x24 it must be readable without scrolling.
            yield Static("Error", classes="section")
            yield Static(id="inspector-error")
            yield Static("Fields", classes="section")
            yield Static(id="inspector-fields")
            yield Static("Conflict", classes="section")
            yield Static(id="inspector-conflict")
            yield Static("Attempts", classes="section")
            yield Static(id="inspector-attempts")
            yield Static("Mapped fields", classes="section")
            yield Static(id="inspector-mapped")
            yield Static("Changes and payload sent", classes="section")
            yield Static(id="inspector-payload")
        yield Footer()

    def on_mount(self) -> None:
        self._paint()
        self.query_one("#inspector-body").focus()

    def _title(self) -> Text:
        job = self.job
        return Text.assemble(
            (f"Job {job.id}", "bold"),
            f" · {job.entity_type.value} · ",
            Text(clean(job.record_name)),
            " · ",
            (job.link_status.value, STATUS_STYLE[job.link_status]),
        )

    def _paint(self) -> None:
        now = self._now()
        self.query_one("#inspector-title", Static).update(self._title())
        self.query_one("#inspector-fields", Static).update(field_table(self.job, now))
        self.query_one("#inspector-error", Static).update(error_section(self.job))
        self.query_one("#inspector-conflict", Static).update(conflict_section(self.job))
        self.query_one("#inspector-attempts", Static).update(attempts_table(self.job.attempts))
        self.query_one("#inspector-mapped", Static).update(mapped_section(self.job))
        self.query_one("#inspector-payload", Static).update(diff_section(self.job))

    def show_job(self, job: LinkJob) -> None:
        """The live feed found the job changed: repaint with the new state."""
        if job != self.job:
            self.job = job
            self._paint()

    def action_close(self) -> None:
        self.dismiss(None)

    def action_copy_error(self) -> None:
        text = self.job.error_description
        if not text:
            self.notify(f"Job {self.job.id} has no Error Description to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the Error Description of job {self.job.id} ({len(text)} characters).")

    def action_requeue(self) -> None:
        (self._reply_to or self).post_message(self.Action("requeue", self.job))

    def action_mark_error(self) -> None:
        (self._reply_to or self).post_message(self.Action("mark_error", self.job))

    def action_reapply(self) -> None:
        (self._reply_to or self).post_message(self.Action("reapply", self.job))
