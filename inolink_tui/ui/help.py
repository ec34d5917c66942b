"""The `?` overlay, generated from the live bindings so it can never disagree with the keys."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

GRAMMAR = (
    "status:error|queued|success   entity:invoice   source:crm|accounting   by:admin   class:duplicate\n"
    "since:2h  until:2026-11-01   company:123   id:42   view:failed   processing:yes\n"
    "other words match Record, Error Description, Accounting ID or job id.  Repeat a key to OR its values."
)


def key_label(key: str) -> str:
    """`ctrl+p` -> `Ctrl+P`, `question_mark` -> `?`: the keys as they are printed on the keyboard."""
    names = {
        "question_mark": "?",
        "slash": "/",
        "space": "Space",
        "escape": "Esc",
        "enter": "Enter",
        "less_than_sign": "<",
        "greater_than_sign": ">",
        "pageup": "PgUp",
        "pagedown": "PgDn",
    }
    parts = [names.get(part, part) for part in key.split("+")]
    return "+".join(p.capitalize() if len(p) > 1 and p not in names.values() else p for p in parts)


def bindings_table(rows: Iterable[tuple[str, str]]) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 2, 0, 0), expand=False)
    table.add_column("Key", style="bold", no_wrap=True)
    table.add_column("Action")
    for keys, description in rows:
        table.add_row(keys, description)
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    HelpScreen .help-heading { text-style: bold; color: $primary; margin-top: 1; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, rows: Iterable[tuple[str, str]]) -> None:
        """`rows` are (keys, description) pairs collected from the screen's bindings when `?` was pressed."""
        super().__init__()
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("Keys", classes="help-heading")
            yield Static(bindings_table(self.rows))
            yield Static("Filter grammar ( / )", classes="help-heading")
            yield Static(Text(GRAMMAR))
            yield Static(
                Text("Times are UTC. Ctrl+P opens the command palette with every action. Esc closes this."),
                classes="help-heading",
            )

    def action_close(self) -> None:
        self.dismiss(None)


HIDDEN_ACTIONS = frozenset({"command_palette", "scroll_left", "scroll_right", "page_left", "page_right"})
"""Inherited bindings that do nothing useful here (the table never scrolls sideways)."""


def collect_bindings(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
    """Merge bindings with the same action into one row ("Up, K"), keeping first-seen order."""
    rows: dict[str, tuple[list[str], str]] = {}
    for binding in bindings:
        if not binding.description or binding.action in HIDDEN_ACTIONS:
            continue
        keys, _ = rows.setdefault(binding.action, ([], binding.description))
        label = binding.key_display or key_label(binding.key)
        if label not in keys:
            keys.append(label)
    return [(", ".join(keys), description) for keys, description in rows.values()]
