"""How the console is started, as one value handed from the CLI through `ui.run` to the app and its screen.

It replaces keyword arguments that were repeated in three signatures (cli/run_cmd.py -> ui/run.py ->
InolinkApp), where adding a setting meant editing each. Textual-free, so the CLI builds it without
importing the console.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from inolink_tui.domain.enums import JobView
from inolink_tui.domain.jobs import utcnow


def console_actor() -> str:
    """Who the audit log names for actions taken here."""
    import getpass  # only when no actor is given; not on every start's path

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"console:{user}"


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    """The console's settings ([ui] in the config, --read-only) and its injectable clock."""

    read_only: bool = False
    actor: str = field(default_factory=console_actor)
    """Who the audit log names for changes made here."""
    theme: str | None = None
    refresh_ms: int = 250
    """How often the change feed is polled."""
    default_view: JobView = JobView.ALL
    confirm_bulk: bool = True
    export_dir: Path | None = None
    now: Callable[[], datetime] = utcnow
    """The clock (tests freeze it)."""
