"""Command palette entries for every console action, so nothing is reachable only by a key."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, NamedTuple

from textual.command import DiscoveryHit, Hit, Hits, Provider

from inolink_tui.domain.enums import JobView
from inolink_tui.present.columns import COLUMNS
from inolink_tui.ui.tools import ToolCommands

if TYPE_CHECKING:
    from inolink_tui.ui.app import InolinkApp


__all__ = ["ConsoleCommands", "PaletteCommand", "ToolCommands", "console_commands"]


class PaletteCommand(NamedTuple):
    title: str
    action: str
    help: str


def console_commands(read_only: bool) -> list[PaletteCommand]:
    mutating = " (disabled: read-only)" if read_only else ""
    commands = [
        PaletteCommand("Filter jobs", "filter", "Open the filter line ( / )"),
        PaletteCommand("Clear filter", "clear_filter", "Show the current view without a filter (Esc)"),
        PaletteCommand("Inspect selected job", "inspect", "Every field, the error, attempts and payload (Enter)"),
        PaletteCommand("Requeue selected job", "requeue", f"Error -> Queued for the selected job (r){mutating}"),
        PaletteCommand("Mark or unmark selected job", "mark", "Toggle the mark used by Requeue all (Space)"),
        PaletteCommand(
            "Requeue marked or all matching",
            "requeue_all",
            f"Marked jobs, or every Error job the filter matches (R){mutating}",
        ),
        PaletteCommand("Clear marks", "clear_marks", "Unmark every job"),
        PaletteCommand("Mark stuck job as Error", "mark_error", f"A stuck Queued job -> Error (x){mutating}"),
        PaletteCommand("Sync now", "sync_now", f"Run a service now (s){mutating}"),
        PaletteCommand("Pause or resume the scheduler", "pause", f"All services (p){mutating}"),
        PaletteCommand("Freeze or unfreeze the view", "freeze", "Hold live updates to read the screen (f)"),
        PaletteCommand("Export view to CSV or JSON", "export", "The filtered, sorted jobs (e)"),
        PaletteCommand("Toggle tiles by Entity Type", "toggle_tiles", "Status tiles or counts per entity (t)"),
        PaletteCommand("Reverse sort order", "sort_reverse", "Ascending / descending (o)"),
        PaletteCommand("Help", "help", "Keys and filter grammar (?)"),
        PaletteCommand("Quit", "app.quit", "Leave the console (q)"),
    ]
    commands += [
        PaletteCommand(f"View: {view.value}", f"view('{view.name.lower()}')", f"InoLink's {view.value} Link Jobs")
        for view in JobView
    ]
    commands += [
        PaletteCommand(f"Sort by {spec.label}", f"sort_by('{spec.key}')", "Descending; o reverses")
        for spec in COLUMNS
        if spec.sortable
    ]
    return commands


class ConsoleCommands(Provider):
    """Every action of the jobs screen, searchable by name.

    A provider of that screen (`JobsScreen.COMMANDS`): the palette lists these only when opened from it, and
    runs each action on it (`self.screen` is the screen the palette was opened from).
    """

    def _commands(self) -> Iterable[PaletteCommand]:
        app: InolinkApp = self.app  # type: ignore[assignment]
        return console_commands(app.read_only)

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(command.title, partial(self.screen.run_action, command.action), help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.title),
                    partial(self.screen.run_action, command.action),
                    help=command.help,
                )
