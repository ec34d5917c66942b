"""Live mode's loops on a fake clock: the adaptive cadence, windows, the probe, the idle cost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest

from inolink_tui.domain.events import CycleFinished
from inolink_tui.domain.vocabulary import RequestTallies, System
from inolink_tui.engine.cadence import AdaptiveCadence
from inolink_tui.engine.live import LivePoller, found_work
from inolink_tui.engine.live_cost import CRM_FULL, CRM_PROBE, QUICKBOOKS_CDC, IdleMeter
from inolink_tui.engine.live_probe import CrmProbe
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LiveOptions, ServiceWindow
from inolink_tui.engine.scheduler import ServiceRunner


def test_cadence_backs_off_while_quiet_and_snaps_back_on_a_change() -> None:
    cadence = AdaptiveCadence(2.0, 30.0, 1.5)
    quiet = [cadence.next_delay(False) for _ in range(9)]
    assert quiet == [3.0, 4.5, 6.75, 10.125, 15.1875, 22.78125, 30.0, 30.0, 30.0]
    assert cadence.idle
    assert cadence.next_delay(True) == 2.0 and not cadence.idle
    cadence.next_delay(False)
    cadence.reset()
    assert cadence.current == 2.0


@pytest.mark.parametrize(("low", "high", "backoff"), [(0, 5, 1.5), (5, 2, 1.5), (1, 5, 0.9)])
def test_cadence_refuses_nonsense(low: float, high: float, backoff: float) -> None:
    with pytest.raises(ValueError):
        AdaptiveCadence(low, high, backoff)


class FakeTime:
    """Wall clock and monotonic time that move only when the poller sleeps."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.mono = 0.0
        self.sleeps: dict[str, list[float]] = {}

    def clock(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


class Probe(CrmProbe):
    def __init__(self, answers: list[bool]) -> None:
        self.answers = answers
        self.calls = 0
        self.resets = 0

    def reset(self) -> None:
        self.resets += 1

    async def changed(self) -> bool:
        self.calls += 1
        return self.answers.pop(0) if self.answers else False


class Counter:
    def __init__(self) -> None:
        self.crm = 0
        self.qbo = 0

    def tallies(self) -> dict[System, RequestTallies]:
        return {System.CRM: RequestTallies(self.crm), System.QUICKBOOKS: RequestTallies(self.qbo)}


def _poller(
    fake: FakeTime,
    counter: Counter,
    probe: Probe,
    results: dict[str, list[CycleFinished]],
    *,
    stop_after: int,
    windows: dict[str, ServiceWindow] | None = None,
) -> tuple[LivePoller, dict[str, list[float]], asyncio.Event]:
    live = LiveOptions(crm_min_seconds=2, crm_max_seconds=30, quickbooks_min_seconds=5, quickbooks_max_seconds=30)
    delays: dict[str, list[float]] = {CRM_TO_QUICKBOOKS: [], HIGH_PRIORITY: []}
    done = asyncio.Event()

    def cycle(name: str) -> ServiceRunner:
        async def run() -> CycleFinished:
            if name == CRM_TO_QUICKBOOKS:
                counter.crm += 13
            else:
                counter.qbo += 1
                counter.crm += 2  # the sync lease around the cycle
            queue = results.get(name) or []
            return queue.pop(0) if queue else CycleFinished(service=name, duration_seconds=0.0)

        return ServiceRunner(name, run, clock=fake.clock)

    runners = {name: cycle(name) for name in (CRM_TO_QUICKBOOKS, HIGH_PRIORITY)}
    poller: LivePoller

    async def sleeper(seconds: float, wake: asyncio.Event) -> None:
        name = next(n for n, e in poller._wakes.items() if e is wake)
        delays[name].append(seconds)
        fake.advance(seconds)
        if sum(len(v) for v in delays.values()) >= stop_after:
            poller._stopping = True
            done.set()
        await asyncio.sleep(0)

    def probe_cost() -> None:
        counter.crm += 1  # the six tables' change tracking in one $batch

    original = probe.changed

    async def counted() -> bool:
        probe_cost()
        return await original()

    probe.changed = counted  # type: ignore[method-assign]
    windows = windows or {name: ServiceWindow() for name in (CRM_TO_QUICKBOOKS, HIGH_PRIORITY)}
    poller = LivePoller(
        live,
        windows,
        runners,
        probe,
        counter.tallies,
        tz=UTC,
        clock=fake.clock,
        sleeper=sleeper,
        monotonic=fake.monotonic,
    )
    return poller, delays, done


async def test_crm_loop_polls_fast_after_a_promotion_and_backs_off_when_quiet() -> None:
    fake = FakeTime(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))  # a Monday
    counter = Counter()
    probe = Probe([False, False, True, False, False, False, False, False, False, False])
    busy = CycleFinished(service=CRM_TO_QUICKBOOKS, duration_seconds=0.1, enqueued=1, succeeded=1)
    poller, delays, done = _poller(fake, counter, probe, {CRM_TO_QUICKBOOKS: [busy, busy]}, stop_after=24)
    poller.windows = {CRM_TO_QUICKBOOKS: ServiceWindow(), HIGH_PRIORITY: ServiceWindow(enabled=False)}
    poller.start()
    await asyncio.wait_for(done.wait(), 5)
    await poller.stop(1.0)
    crm = delays[CRM_TO_QUICKBOOKS]
    # The first (full) cycle found work: minimum; then quiet probes back off; the promotion seen by the third
    # probe snaps back to 2 s and the quiet ones after it back off again, up to 30 s.
    assert crm[:5] == [2.0, 3.0, 4.5, 2.0, 3.0]
    assert max(crm) == 30.0 and crm[-1] == 30.0
    # Full cycles: at start, after the promotion, and the periodic one once 300 s passed since the last; each
    # resets the probe to the scan's cursors.
    assert sum(crm) > 300 + 2 + 3 + 4.5
    assert probe.resets == 3
    assert delays[HIGH_PRIORITY] == []


async def test_quickbooks_loop_idles_at_its_maximum_and_a_webhook_wakes_it() -> None:
    fake = FakeTime(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    counter = Counter()
    poller, delays, done = _poller(fake, counter, Probe([]), {}, stop_after=8)
    poller.windows = {CRM_TO_QUICKBOOKS: ServiceWindow(enabled=False), HIGH_PRIORITY: ServiceWindow()}
    poller.start()
    await asyncio.wait_for(done.wait(), 5)
    await poller.stop(1.0)
    assert delays[HIGH_PRIORITY][:6] == [7.5, 11.25, 16.875, 25.3125, 30.0, 30.0]
    for event in poller._wakes.values():
        event.clear()  # stop() set them to end the sleeps
    poller.wake(HIGH_PRIORITY)
    assert poller.cadences[HIGH_PRIORITY].current == 5.0
    assert poller._wakes[HIGH_PRIORITY].is_set()
    poller.wake(CRM_TO_QUICKBOOKS, poll=False)
    assert not poller._wakes[CRM_TO_QUICKBOOKS].is_set()


async def test_outside_its_window_a_loop_sleeps_until_the_window_opens() -> None:
    fake = FakeTime(datetime(2026, 12, 7, 6, 0, tzinfo=UTC))  # Monday 06:00, window 08:00-17:00
    counter = Counter()
    poller, delays, done = _poller(fake, counter, Probe([]), {}, stop_after=4)
    poller.windows = {
        CRM_TO_QUICKBOOKS: ServiceWindow(enabled=False),
        HIGH_PRIORITY: ServiceWindow(start=time(8), end=time(17)),
    }
    poller.start()
    await asyncio.wait_for(done.wait(), 5)
    await poller.stop(1.0)
    # 120 minutes closed, looked at every 60 s at most; no CDC read before 08:00.
    assert delays[HIGH_PRIORITY][:2] == [60.0, 60.0]
    assert counter.qbo == 0


async def test_a_paused_service_is_not_polled() -> None:
    fake = FakeTime(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    counter = Counter()
    poller, _delays, done = _poller(fake, counter, Probe([]), {}, stop_after=3)
    poller.runners[CRM_TO_QUICKBOOKS].paused = True
    poller.runners[HIGH_PRIORITY].paused = True
    poller.start()
    await asyncio.wait_for(done.wait(), 5)
    await poller.stop(1.0)
    assert counter.crm == counter.qbo == 0
    assert poller.next_poll == {CRM_TO_QUICKBOOKS: None, HIGH_PRIORITY: None}


async def test_idle_cost_is_measured_from_quiet_polls_and_stays_within_three_percent() -> None:
    fake = FakeTime(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    counter = Counter()
    poller, _, done = _poller(fake, counter, Probe([]), {}, stop_after=40)
    poller.start()
    await asyncio.wait_for(done.wait(), 5)
    await poller.stop(1.0)
    costs = poller.idle_costs()
    # Measured per quiet poll: probe 1 CRM request (or 1 + 2 when a CDC cycle overlapped), full cycle 13, CDC
    # 1 QuickBooks + 2 CRM; per hour at the maxima: 120 probes, 12 full cycles, 120 CDC reads.
    assert poller.meter.per_poll(CRM_FULL, System.CRM) == 13
    assert poller.meter.per_poll(QUICKBOOKS_CDC, System.QUICKBOOKS) == 1
    probe = poller.meter.per_poll(CRM_PROBE, System.CRM)
    assert probe is not None and 1 <= probe <= 3
    assert costs[System.QUICKBOOKS].requests_per_hour == 120.0
    assert costs[System.QUICKBOOKS].share == pytest.approx(120 / 30_000)
    assert costs[System.CRM].requests_per_hour >= 120 * 1 + 12 * 13 + 120 * 2
    assert all(cost.within_target for cost in costs.values())


def test_idle_meter_reports_nothing_until_every_kind_was_measured() -> None:
    meter = IdleMeter(LiveOptions())
    zero = {System.CRM: RequestTallies(0), System.QUICKBOOKS: RequestTallies(0)}
    meter.record(CRM_PROBE, zero, {System.CRM: RequestTallies(6), System.QUICKBOOKS: RequestTallies(0)})
    assert meter.costs() == {}


def test_found_work_counts_every_kind_of_change() -> None:
    quiet = CycleFinished(service="x", duration_seconds=0.0)
    assert not found_work(quiet)
    assert found_work(None)
    for key in ("enqueued", "succeeded", "failed", "retried", "records_updated"):
        assert found_work(CycleFinished(service="x", duration_seconds=0.0, **{key: 1}))
    assert not found_work(CycleFinished(service="x", duration_seconds=0.0, skipped_echoes=3)), "our own writes"


def test_mode_absent_keeps_the_schedule_and_live_reads_its_cadences_and_budgets() -> None:
    from inolink_tui.config.model import Settings
    from inolink_tui.engine.options import EngineOptions

    assert EngineOptions.from_settings(Settings()).live is None, "a config written before live mode stays scheduled"
    settings = Settings.model_validate(
        {
            "services": {"mode": "live", "live": {"crm_min_seconds": 3, "full_scan_minutes": 10}},
            "crm": {"requests_per_5min": 3000},
        }
    )
    live = EngineOptions.from_settings(settings).live
    assert live is not None
    assert (live.crm_min_seconds, live.crm_max_seconds, live.full_scan_seconds) == (3.0, 10.0, 600.0)
    assert (live.crm_per_hour, live.quickbooks_per_hour) == (36_000.0, 30_000.0)


async def test_a_cycle_that_raises_does_not_end_the_loop() -> None:
    fake = FakeTime(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
    counter = Counter()
    poller, delays, done = _poller(fake, counter, Probe([]), {}, stop_after=4)
    poller.windows = {CRM_TO_QUICKBOOKS: ServiceWindow(enabled=False), HIGH_PRIORITY: ServiceWindow()}
    calls = 0

    async def broken() -> CycleFinished:
        nonlocal calls
        calls += 1
        raise RuntimeError("a bug in one cycle")

    poller.runners[HIGH_PRIORITY].cycle = broken
    poller.start()
    await asyncio.wait_for(done.wait(), 5)
    await poller.stop(1.0)
    assert calls >= 4 and delays[HIGH_PRIORITY][:3] == [7.5, 11.25, 16.875]


def test_the_crm_ceiling_is_ten_seconds_and_its_idle_cost_stays_near_one_percent_with_the_lease() -> None:
    """A lone promotion after a quiet stretch is seen within 10 s (p95 <= 15 s with the cycle itself); at rest a
    probe is one request (one $batch), so 360 probes, 12 whole cycles of 13 and 180 one-request lease renewals an
    hour are 696 Dataverse requests: under 1 % of 72,000, a third of the 3 % target."""
    from inolink_tui.config.schedule import LiveSettings

    live = LiveOptions()
    assert live.crm_max_seconds == LiveSettings().crm_max_seconds == 10.0
    cadence = AdaptiveCadence(live.crm_min_seconds, live.crm_max_seconds, live.backoff)
    delays = [cadence.next_delay(False) for _ in range(6)]
    assert delays == [3.0, 4.5, 6.75, 10.0, 10.0, 10.0]
    meter = IdleMeter(live, lambda: {System.CRM: 180.0})
    quiet = {System.CRM: RequestTallies(0), System.QUICKBOOKS: RequestTallies(0)}
    for kind, crm, qbo in ((CRM_PROBE, 1, 0), (CRM_FULL, 13, 1), (QUICKBOOKS_CDC, 0, 1)):
        meter.record(kind, quiet, {System.CRM: RequestTallies(crm), System.QUICKBOOKS: RequestTallies(qbo)})
    costs = meter.costs()
    assert costs[System.CRM].requests_per_hour == 360 + 12 * 13 + 180
    assert costs[System.CRM].share < 0.01 and costs[System.QUICKBOOKS].share < 0.01
