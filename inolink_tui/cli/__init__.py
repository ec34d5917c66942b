"""Command-line entry points (click)."""

from inolink_tui.cli.main import main

__all__ = ["main"]
