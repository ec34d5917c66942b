import asyncio
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, Source
from inolink_tui.domain.events import EventBus, JobChanged
from inolink_tui.domain.jobs import NewJob
from inolink_tui.engine.feed import FeedRelay
from inolink_tui.store import open_store


def new_job(i: int) -> NewJob:
    return NewJob(EntityType.ACCOUNT, Source.CRM, f"00000000-0000-0000-0000-{i:012d}", f"A{i}", "1")


@pytest.mark.timeout(20)
async def test_relay_publishes_changes_made_by_another_process(tmp_path: Path) -> None:
    writer = await open_store(tmp_path / "jobs.db")
    reader = await open_store(tmp_path / "jobs.db", read_only=True)
    try:
        await writer.enqueue([new_job(1)])  # before the relay starts: history, not news
        bus = EventBus()
        sub = bus.subscribe()
        relay = FeedRelay(reader, bus, poll_seconds=0.02, batch=2)
        assert await relay.poll_once() == 0
        await writer.enqueue([new_job(i) for i in range(2, 7)])
        assert await relay.poll_once() == 5  # several batches
        got = [await sub.get(1) for _ in range(5)]
        assert all(isinstance(e, JobChanged) and e.change == "created" for e in got)
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        await writer.enqueue([new_job(9)])
        event = await sub.get(5)
        assert isinstance(event, JobChanged)
        stop.set()
        await asyncio.wait_for(task, 2)
    finally:
        await reader.close()
        await writer.close()


def test_relay_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError):
        FeedRelay(None, EventBus(), poll_seconds=0)  # type: ignore[arg-type]
