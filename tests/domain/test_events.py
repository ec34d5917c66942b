import asyncio

import pytest

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.events import CycleFinished, CycleStarted, Event, EventBus, JobChanged


async def test_subscriber_receives_in_order_and_filters_by_kind() -> None:
    bus = EventBus()
    everything = bus.subscribe()
    cycles = bus.subscribe(kinds=(CycleStarted, CycleFinished))
    bus.publish(CycleStarted(service="high_priority"))
    bus.publish(JobChanged(job_id=1, link_status=LinkStatus.SUCCESS))
    bus.publish(CycleFinished(service="high_priority", duration_seconds=0.1, succeeded=1))
    got = [await everything.get(0.1) for _ in range(3)]
    assert [e.kind for e in got if e] == ["cycle_started", "job_changed", "cycle_finished"]
    assert [type(await cycles.get(0.1)) for _ in range(2)] == [CycleStarted, CycleFinished]
    assert cycles.pending() == 0


async def test_slow_subscriber_drops_oldest_and_never_blocks_publisher() -> None:
    bus = EventBus()
    slow = bus.subscribe(maxsize=3)
    for i in range(10):
        bus.publish(JobChanged(job_id=i))
    assert slow.dropped == 7
    ids = []
    for _ in range(3):
        ev = await slow.get(0.1)
        assert isinstance(ev, JobChanged)
        ids.append(ev.job_id)
    assert ids == [7, 8, 9]


async def test_async_iteration_ends_on_close() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    received: list[Event] = []

    async def consume() -> None:
        async for ev in sub:
            received.append(ev)

    task = asyncio.create_task(consume())
    bus.publish(JobChanged(job_id=5))
    await asyncio.sleep(0)
    sub.close()
    await asyncio.wait_for(task, 1)
    assert len(received) == 1
    assert bus.subscriber_count == 0
    bus.publish(JobChanged(job_id=6))  # no subscriber left: nothing raised


async def test_callback_failure_is_isolated(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("boom")

    bus.on(broken)
    remove = bus.on(lambda e: seen.append(e.kind), CycleStarted)
    bus.publish(CycleStarted(service="x"))
    bus.publish(JobChanged(job_id=1))
    assert seen == ["cycle_started"]
    assert "failed on cycle_started" in caplog.text
    remove()
    bus.publish(CycleStarted(service="x"))
    assert seen == ["cycle_started"]


def test_zero_sized_subscription_is_refused() -> None:
    with pytest.raises(ValueError):
        EventBus().subscribe(maxsize=0)


def test_events_are_utc_aware() -> None:
    ev = CycleStarted(service="s")
    assert ev.at.utcoffset() is not None
