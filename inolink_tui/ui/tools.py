"""Command palette entries that run a CLI tool (`doctor`, `jobs fix-dependencies`) and show its output.

The console never imports the connectors: the CLI (the composition root) registers each tool as a
coroutine that runs the command, typically as a subprocess of the same program and config, and returns
(exit status, output). The palette lists only the tools registered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING, ClassVar, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from inolink_tui.domain.jobs import LinkJob

if TYPE_CHECKING:
    from inolink_tui.ui.app import InolinkApp

ToolRun = Callable[[LinkJob | None], Awaitable[tuple[int, str]]]
"""Runs a tool for the selected job (None when none is selected) -> (exit status, output)."""


class Tool(NamedTuple):
    title: str
    help: str
    run: ToolRun
    needs_job: bool = False
    mutating: bool = False
    needs_record: bool = False
    """The selected job must name a CRM record (promote, unlink)."""


TOOLS: dict[str, Tool] = {}
"""Registered by the CLI before the console starts (see cli/run_cmd.py)."""


def register_tool(name: str, tool: Tool) -> None:
    TOOLS[name] = tool


class ToolOutputScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ToolOutputScreen { align: center middle; }
    ToolOutputScreen > VerticalScroll {
        width: 110; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "close", "Close")]

    def __init__(self, title: str, code: int, output: str) -> None:
        super().__init__()
        self.heading = f"{title}: exit {code}" + (" (all is well)" if code == 0 else "")
        self.output = output

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(self.heading, style="bold"))
            yield Static(Text(self.output.rstrip() or "(no output)"))

    def action_close(self) -> None:
        self.dismiss(None)


async def run_tool(app: InolinkApp, name: str) -> None:
    tool = TOOLS[name]
    if tool.mutating and app.read_only:
        app.notify(f"Read-only: {tool.title} is disabled (started with --read-only).", severity="warning")
        return
    job = app.table.selected_job if tool.needs_job else None
    if tool.needs_job and job is None:
        app.notify("No job selected.", severity="warning")
        return
    if tool.needs_record and job is not None and not job.crm_record_id:
        app.notify(f"Job {job.id} names no CRM record yet.", severity="warning")
        return
    app.notify(f"{tool.title} ...")
    code, output = await tool.run(job)
    await app.push_screen(ToolOutputScreen(tool.title, code, output))


class ToolCommands(Provider):
    """The registered tools, searchable by name."""

    def _hits(self) -> list[tuple[str, str, Callable[[], Awaitable[None]]]]:
        app: InolinkApp = self.app  # type: ignore[assignment]
        return [(t.title, t.help, partial(run_tool, app, name)) for name, t in TOOLS.items()]

    async def discover(self) -> Hits:
        for title, help_text, callback in self._hits():
            yield DiscoveryHit(title, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._hits():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)
