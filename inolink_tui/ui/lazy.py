"""Command-palette providers named by callables, so their modules load when the palette first opens.

Textual accepts a callable returning a provider class in `App.COMMANDS` / `Screen.COMMANDS` (it calls it when
the palette gathers commands). The palette, its tools and their dialogs are not on the first frame's path, so
the console's start-up does not import them (tests/ui/test_lazy_start.py checks which modules it loads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.command import Provider


def console_commands_provider() -> type[Provider]:
    """The jobs screen's actions (`ui/commands.py`)."""
    from inolink_tui.ui.commands import ConsoleCommands

    return ConsoleCommands


def tool_commands_provider() -> type[Provider]:
    """The tools registered for the palette (`ui/tools.py`)."""
    from inolink_tui.ui.tools import ToolCommands

    return ToolCommands
