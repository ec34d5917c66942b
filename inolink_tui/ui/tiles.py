"""Status tiles (Queued, Error, Success today, or counts by Entity Type) and the throughput sparklines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline, Static

from inolink_tui.domain.enums import EntityType, LinkStatus
from inolink_tui.domain.filters import JobCounts

WINDOW_MINUTES = 60


@dataclass(frozen=True, slots=True)
class TileData:
    counts: JobCounts
    success_today: int


def per_minute(times: Iterable[datetime | None], now: datetime, minutes: int = WINDOW_MINUTES) -> list[int]:
    """Bucket event times into `minutes` one-minute slots ending at `now` (oldest first)."""
    buckets = [0] * minutes
    start = now - timedelta(minutes=minutes)
    for at in times:
        if at is None or at <= start or at > now:
            continue
        index = int((at - start).total_seconds() // 60)
        buckets[min(index, minutes - 1)] += 1
    return buckets


def tile_text(data: TileData, by_entity: bool) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    counts = data.counts
    if by_entity:
        for index, entity in enumerate(EntityType):
            if index:
                text.append("\n" if index == 3 else "  ")
            text.append(f"{entity.value} ", style="bold")
            text.append(f"{counts.by_entity.get(entity, 0):,}")
        return text
    text.append("Queued ", style="bold")
    text.append(f"{counts.by_status.get(LinkStatus.QUEUED, 0):,}", style="yellow")
    text.append("  Error ", style="bold")
    text.append(f"{counts.by_status.get(LinkStatus.ERROR, 0):,}", style="bold red")
    text.append("\nSuccess today ", style="bold")
    text.append(f"{data.success_today:,}", style="green")
    text.append("  Processing ", style="bold")
    text.append(f"{counts.processing:,}", style="cyan")
    return text


class Tiles(Static):
    """One line of counts; `t` switches between the status tiles and counts by Entity Type."""

    DEFAULT_CSS = """
    Tiles { width: 38; height: 2; padding: 0 1; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(Text("Counting…", style="dim"), id=id)
        self.by_entity = False
        self.data: TileData | None = None

    def show(self, data: TileData) -> None:
        if data == self.data:
            return
        self.data = data
        self._paint()

    def toggle(self) -> None:
        self.by_entity = not self.by_entity
        self._paint()

    def _paint(self) -> None:
        if self.data is not None:
            self.update(tile_text(self.data, self.by_entity))


class Throughput(Horizontal):
    """Jobs processed and failed per minute over the last hour, one sparkline row each."""

    DEFAULT_CSS = """
    Throughput { width: 1fr; height: 2; }
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
