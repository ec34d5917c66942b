"""The throughput sparklines: jobs processed and failed per minute over the last hour (counts: ui/tiles.py).

A module of its own so that the first screen does not load it: the jobs screen mounts the sparklines once its first
rows are on screen (JobsScreen._finish_start), as they show nothing before the change feed is read anyway.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from inolink_tui.ui.tiles import WINDOW_MINUTES


class Throughput(Horizontal):
    """Jobs processed and failed per minute over the last hour, one sparkline row each."""

    DEFAULT_CSS = """
    Throughput { width: 1fr; max-width: 76; height: 2; }
    Throughput Vertical { width: 1fr; height: 2; }
    Throughput .spark-labels { width: 14; }
    Throughput .spark-label { width: 13; height: 1; color: $text-muted; }
    Throughput Sparkline { height: 1; width: 1fr; }
    Throughput #spark-done > .sparkline--max-color { color: $success; }
    Throughput #spark-done > .sparkline--min-color { color: $success 40%; }
    Throughput #spark-failed > .sparkline--max-color { color: $error; }
    Throughput #spark-failed > .sparkline--min-color { color: $error 40%; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.done: list[int] = [0] * WINDOW_MINUTES
        self.failed: list[int] = [0] * WINDOW_MINUTES

    def compose(self) -> ComposeResult:
        with Vertical(classes="spark-labels"):
            yield Label("done/h 0", id="label-done", classes="spark-label")
            yield Label("failed/h 0", id="label-failed", classes="spark-label")
        with Vertical():
            yield Sparkline(self.done, id="spark-done")
            yield Sparkline(self.failed, id="spark-failed")

    def show(self, done: list[int], failed: list[int]) -> None:
        if done == self.done and failed == self.failed:
            return
        self.done, self.failed = done, failed
        self.query_one("#spark-done", Sparkline).data = done
        self.query_one("#spark-failed", Sparkline).data = failed
        self.query_one("#label-done", Label).update(f"done/h {sum(done):,}")
        self.query_one("#label-failed", Label).update(f"failed/h {sum(failed):,}")
