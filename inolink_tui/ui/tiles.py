"""Status tiles (Queued, Error, Success today, or counts by Entity Type) and the feed counts behind the throughput
sparklines (ui/throughput.py draws them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rich.text import Text
from textual.widgets import Static

from inolink_tui.domain.enums import EntityType, LinkStatus
from inolink_tui.domain.filters import JobCounts
from inolink_tui.store.base import Change, JobStore

WINDOW_MINUTES = 60
DONE_KINDS = frozenset({"completed"})
FAILED_KINDS = frozenset({"failed"})
FEED_PAGE = 5000


@dataclass(frozen=True, slots=True)
class TileData:
    counts: JobCounts
    success_today: int | None = None
    """None until the change feed has been read back to midnight."""
    stalled: bool = False
    """The leased jobs belong to a daemon that has stopped: nothing works on them until their leases lapse."""


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


async def first_seq_since(store: JobStore, since: datetime, latest: int) -> int:
    """The feed position from which every change is at or after `since` (binary search, ~20 reads at 1M).

    Why the feed: it records each completion and failure with its time, so the sparklines cost a few
    indexed reads instead of sorting a million jobs by Processed At.
    """
    low, high = 0, latest
    while low < high:
        middle = (low + high) // 2
        after = await store.changes_since(middle, limit=1)
        if not after or after[0].at >= since:
            high = middle
        else:
            low = max(middle + 1, after[0].seq)
    return low


def _minute(at: datetime) -> int:
    return int(at.timestamp() // 60)


def midnight(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class FeedRates:
    """Completions and failures per minute since midnight UTC (or the last hour, if longer), from the feed.

    One pass over the feed gives both the sparklines and "Success today": Success jobs are counted by
    when they completed, which a filter on Submitted At cannot do.
    """

    def __init__(self, minutes: int = WINDOW_MINUTES, max_pages: int = 2) -> None:
        """`max_pages` bounds one call so a busy feed never holds the store's connection for long;
        the rest is read on the next calls (`caught_up` says when the counts are complete)."""
        self.minutes = minutes
        self.max_pages = max_pages
        self.seq: int | None = None
        self.caught_up = False
        self._done: Counter[int] = Counter()
        self._failed: Counter[int] = Counter()

    def add(self, changes: Iterable[Change]) -> None:
        for change in changes:
            if change.kind in DONE_KINDS:
                self._done[_minute(change.at)] += 1
            elif change.kind in FAILED_KINDS:
                self._failed[_minute(change.at)] += 1

    def _since(self, now: datetime) -> datetime:
        return min(midnight(now), now - timedelta(minutes=self.minutes))

    async def catch_up(self, store: JobStore, now: datetime) -> bool:
        """Read what the feed gained since last time (bounded per call); True if more is waiting."""
        since = self._since(now)
        if self.seq is None:
            latest = await store.latest_seq()
            self.seq = await first_seq_since(store, since, latest)
        for _ in range(self.max_pages):
            changes = await store.changes_since(self.seq, limit=FEED_PAGE)
            if not changes:
                break
            self.add(changes)
            self.seq = changes[-1].seq
            if len(changes) < FEED_PAGE:
                break
        else:
            return True
        self.caught_up = True
        oldest = _minute(since)
        for counter in (self._done, self._failed):
            for minute in [m for m in counter if m < oldest]:
                del counter[minute]
        return False

    def series(self, now: datetime) -> tuple[list[int], list[int]]:
        last = _minute(now)
        minutes = range(last - self.minutes + 1, last + 1)
        return [self._done[m] for m in minutes], [self._failed[m] for m in minutes]

    def done_today(self, now: datetime) -> int:
        first = _minute(midnight(now))
        return sum(n for m, n in self._done.items() if m >= first)


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
    text.append("…" if data.success_today is None else f"{data.success_today:,}", style="green")
    if data.stalled and counts.processing:  # "Processing" would claim work that no process is doing
        text.append("  Stalled ", style="bold")
        text.append(f"{counts.processing:,}", style="bold red")
    else:
        text.append("  Processing ", style="bold")
        text.append(f"{counts.processing:,}", style="cyan")
    return text


class Tiles(Static):
    """One line of counts; `t` switches between the status tiles and counts by Entity Type."""

    DEFAULT_CSS = """
    Tiles { width: 1fr; min-width: 38; height: 2; padding: 0 1; }
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
            self.update(tile_text(self.data, self.by_entity), layout=False)  # two lines, whatever they say
