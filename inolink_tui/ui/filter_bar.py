"""The `/` filter line: the grammar of domain/filters.py, with its error shown inline instead of raised."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Label

from inolink_tui.domain.filters import FilterSyntaxError, JobFilter, parse_filter

PLACEHOLDER = "Enter applies, Esc clears: status:error entity:invoice source:crm by:admin since:2h or any text"


class FilterBar(Vertical):
    """Hidden until `/`; stays visible (unfocused) while a filter is active so the user sees it."""

    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; }
    FilterBar.-open, FilterBar.-active { display: block; }
    FilterBar Input, FilterBar Input:focus { border: none; height: 1; padding: 0 1; background: $boost; }
    FilterBar Input:focus { background: $panel; }
    FilterBar #filter-error { color: $error; width: 1fr; height: auto; padding: 0 1; display: none; }
    FilterBar.-invalid #filter-error { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "clear", "Clear filter", show=False)]

    class Applied(Message):
        def __init__(self, job_filter: JobFilter, text: str) -> None:
            super().__init__()
            self.job_filter = job_filter
            self.text = text

    class Cleared(Message):
        """Escape: the filter is gone and the table shows the current view again."""

    def __init__(self, *, now: Callable[[], datetime], id: str | None = None) -> None:
        super().__init__(id=id)
        self._now = now
        self.applied_text = ""
        self.built = False
        """Whether the line's input and error label are mounted (`build`)."""

    async def build(self) -> None:
        """Mount the input and its error label. Hidden until `/`, they are not composed with the first screen:
        Textual's Input brings the largest stylesheet of the screen's widgets, parsed and applied before the
        first rows otherwise. The jobs screen builds them once its first rows are on screen, or on `/`."""
        if self.built:
            return
        self.built = True
        field = Input(placeholder=PLACEHOLDER, id="filter-input", select_on_focus=False)
        field.cursor_blink = False
        await self.mount_all([field, Label("", id="filter-error")])

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    async def open(self) -> None:
        await self.build()
        self.add_class("-open")
        self.input.value = self.applied_text
        self.input.cursor_position = len(self.applied_text)
        # Focus now, not after the next refresh: keys typed right after `/` (a paste, a fast typist,
        # tmux send-keys) must land in the filter line, never reach the table as commands.
        self.screen.set_focus(self.input)

    def close(self) -> None:
        self.remove_class("-open")
        self.set_class(bool(self.applied_text), "-active")

    def show_error(self, message: str) -> None:
        self.add_class("-invalid")
        self.query_one("#filter-error", Label).update(message)

    def _clear_error(self) -> None:
        self.remove_class("-invalid")

    @on(Input.Changed, "#filter-input")
    def _edited(self) -> None:
        self._clear_error()

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.action_clear()
            return
        try:
            job_filter = parse_filter(text, self._now())
        except FilterSyntaxError as exc:
            self.show_error(str(exc))
            return
        self._clear_error()
        self.applied_text = text
        self.close()
        self.post_message(self.Applied(job_filter, text))

    def action_clear(self) -> None:
        self._clear_error()
        self.applied_text = ""
        if self.built:
            self.input.value = ""
        self.close()
        self.post_message(self.Cleared())
