"""The top bar: each service's state and schedule, each connection's token health, and mode badges.

Times are absolute (HH:MM UTC) so the bar only repaints when something it shows changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual.widgets import Static

from inolink_tui.ui.engine_port import ConnectionStatus, ServiceStatus


def hhmm(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%H:%M") if value else "--:--"


def until(value: datetime | None, now: datetime) -> str:
    """A lifetime in its largest sensible unit: 52m, 5h, 87d, or "expired"."""
    if value is None:
        return "?"
    left = value - now
    if left <= timedelta(0):
        return "expired"
    if left < timedelta(hours=1):
        return f"{max(1, int(left.total_seconds() // 60))}m"
    if left < timedelta(days=2):
        return f"{int(left.total_seconds() // 3600)}h"
    return f"{left.days}d"


@dataclass(frozen=True, slots=True)
class BarState:
    services: tuple[ServiceStatus, ...] = ()
    connections: tuple[ConnectionStatus, ...] = ()
    attached_to: str | None = None
    read_only: bool = False
    frozen: bool = False
    held: int = 0
    scheduler: str = "in-process"
    """"in-process", "attached", "stopped" (the attached daemon is gone) or "none" (a viewer: no engine runs)."""
    notes: tuple[str, ...] = field(default=())


SHORT_LABELS = {"high_priority": "High", "low_priority": "Low", "crm_to_quickbooks": "CRM→QB"}
"""Labels for narrow terminals: all three services fit on one line at 80 columns."""


def service_text(services: Sequence[ServiceStatus], *, narrow: bool = False) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, service in enumerate(services):
        if index:
            text.append(" │ ", style="dim")
        label = SHORT_LABELS.get(service.name, service.label) if narrow else service.label
        text.append(f"{label} ", style="bold")
        state = service.state
        text.append(state, style=_style(state))
        if service.known and service.enabled:
            text.append(f" {hhmm(service.last_run)}→{hhmm(service.next_run)}", style="dim")
    if not services:
        text.append("no scheduler", style="dim")
    return text


def _style(state: str) -> str:
    # Rich styles cannot read Textual variables; map to ANSI names the ansi themes honour.
    return {
        "running": "bold green",
        "stopped": "bold red",
        "paused": "bold yellow",
        "disabled": "dim",
        "unknown": "dim",
    }.get(state, "")


def connection_text(state: BarState, now: datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    parts: list[Text] = []
    for conn in state.connections:
        part = Text()
        part.append(f"{conn.name} ", style="bold")
        part.append("✓" if conn.healthy else "✗", style="green" if conn.healthy else "bold red")
        if conn.detail and not conn.healthy:
            part.append(f" {conn.detail}", style="red")
        if conn.access_expires is not None:
            part.append(f" {until(conn.access_expires, now)}", style="dim")
        if conn.refresh_expires is not None:
            left = conn.refresh_expires - now
            style = "bold red" if left < timedelta(days=14) else "dim"
            part.append(f" refresh {until(conn.refresh_expires, now)}", style=style)
        parts.append(part)
    if state.scheduler == "attached":
        parts.append(Text(f"ATTACHED {state.attached_to}", style="bold cyan"))
    elif state.scheduler == "stopped":
        parts.append(Text(f"DAEMON STOPPED ({state.attached_to})", style="bold reverse red"))
    elif state.scheduler == "none":
        parts.append(Text("no engine: viewer", style="dim"))
    if state.read_only:
        parts.append(Text(" READ-ONLY ", style="bold reverse yellow"))
    if state.frozen:
        parts.append(Text(f" FROZEN · {state.held} changes held ", style="bold reverse cyan"))
    for note in state.notes:
        parts.append(Text(note, style="bold red"))
    for index, part in enumerate(parts):
        if index:
            text.append(" │ ", style="dim")
        text.append_text(part)
    return text


class StatusBar(Static):
    """Two lines: services, then connections and badges."""

    DEFAULT_CSS = """
    StatusBar { height: 2; background: $panel; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    NARROW = 110

    def __init__(self, *, now: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now
        self.state = BarState()
        self._painted = False
        self._narrow = False

    def show(self, state: BarState) -> None:
        """Repaint only when something shown changed: an idle console must not redraw."""
        if state == self.state and self._painted:
            return
        self.state = state
        self._painted = True
        self._paint()

    def _paint(self) -> None:
        # Before its first layout the bar has no width yet: it spans the screen, so the screen's width stands in
        # (painted narrow, it had to be painted again once laid out, and Textual drew one more frame for it).
        self._narrow = (self.size.width or self.app.size.width) < self.NARROW
        lines = Text("\n").join(
            [service_text(self.state.services, narrow=self._narrow), connection_text(self.state, self._now())]
        )
        self.update(lines, layout=False)  # two lines, whatever they say: no layout pass

    def on_resize(self) -> None:
        if self._painted and (self.size.width < self.NARROW) != self._narrow:
            self._paint()
