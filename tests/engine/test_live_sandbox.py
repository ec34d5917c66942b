"""Live mode against the sandbox over HTTP: a promotion is linked within seconds, and at rest the polls cost
what the idle-cost report says (cross-checked with the sandbox's own request log), under 3 % of each budget."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from inolink_tui.config.model import LowPrioritySchedule, ServiceSchedule
from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.vocabulary import System
from inolink_tui.engine.live import LivePoller
from inolink_tui.engine.live_cost import CRM_FULL, CRM_PROBE, QUICKBOOKS_CDC, IdleMeter
from inolink_tui.engine.options import CRM_TO_QUICKBOOKS, HIGH_PRIORITY, LiveOptions
from inolink_tui.sandbox.activity import promote_records
from tests.engine.sandbox_stack import Stack, stack


def _all_day(s: Stack) -> None:
    services = s.settings.services.model_copy(
        update={
            "high_priority": ServiceSchedule(),
            "crm_to_quickbooks": ServiceSchedule(),
            "low_priority": LowPrioritySchedule(enabled=False),
        }
    )
    s.settings = s.settings.model_copy(update={"services": services})


def _fast(engine: Any) -> LivePoller:
    """The same loops at a tenth of a second, so the test sees many quiet polls in a few seconds."""
    p = engine.live
    live = replace(
        p.live,
        crm_min_seconds=0.1,
        crm_max_seconds=0.3,
        quickbooks_min_seconds=0.1,
        quickbooks_max_seconds=0.3,
        full_scan_seconds=1.5,
    )
    engine.live = LivePoller(live, p.windows, p.runners, p.probe, p.tallies, tz=p.tz, clock=p.clock)
    return engine.live  # type: ignore[no-any-return]


async def _until(check: Any, limit: float) -> float:
    started = time.monotonic()
    while not await check():
        if time.monotonic() - started > limit:
            raise AssertionError(f"not within {limit} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@pytest.mark.timeout(90)
async def test_a_promotion_is_linked_within_seconds_and_rest_costs_under_three_percent(tmp_path: Path) -> None:
    async with stack(tmp_path, records=6) as s:
        assert s.settings.services.mode == "live", "a config the sandbox writes runs in live mode"
        _all_day(s)
        engine = await s.engine()
        poller = _fast(engine)
        await engine.start()
        try:
            # The start-up catch-up links what the seed left promoted; then the company is at rest.
            await _until(lambda: _quiet(poller), 45)
            created = s.dv.create_row("accounts", {"name": "Live Mode Newcomer Ltd"})
            promoted = promote_records(s.handle.sandbox, "accounts", ids=[str(created["accountid"])])[0]

            async def linked() -> bool:
                return any(
                    j.crm_record_id.lower() == promoted.lower() and j.link_status is LinkStatus.SUCCESS
                    for j in await s.jobs()
                )

            seconds = await _until(linked, 10)
            row = s.dv.get_row("accounts", promoted)
            print(f"promotion linked in {seconds:.2f} s")
            assert seconds < 5
            assert row is not None and row.get("ino_accountingid")

            # At rest: the sandbox's own request log over a quiet stretch agrees with the meter's per-poll figures.
            await _until(lambda: _quiet(poller), 20)
            for kind in (CRM_PROBE, QUICKBOOKS_CDC):
                poller.meter._samples[kind].clear()
            polls = dict(poller.polls)
            s.handle.sandbox.stats.reset()
            await asyncio.sleep(2.0)
            seen = dict(s.handle.sandbox.stats.requests)
            done = {name: poller.polls[name] - polls[name] for name in polls}
        finally:
            await engine.stop()
        probe = poller.meter.per_poll(CRM_PROBE, System.CRM)
        cdc_qbo = poller.meter.per_poll(QUICKBOOKS_CDC, System.QUICKBOOKS)
        cdc_crm = poller.meter.per_poll(QUICKBOOKS_CDC, System.CRM) or 0
        assert probe is not None and cdc_qbo is not None, "quiet polls were measured"
        print(
            f"at rest: probe {probe} CRM requests, CDC cycle {cdc_qbo} QuickBooks + {cdc_crm} CRM; sandbox saw {seen}"
        )
        # The six tables' change tracking in one $batch, one request; up to three when a CDC cycle's lease check
        # (a read and a write) overlapped it.
        assert 1 <= probe <= 3 and cdc_qbo == 1
        # Every QuickBooks request at rest is one CDC read per High Priority poll.
        assert abs(seen.get("qbo", 0) - done[HIGH_PRIORITY]) <= 2
        # At the default cadences (10 s, 30 s, a full scan every 5 minutes) the same per-poll costs are an idle cost
        # of under 3 % of each budget.
        meter = IdleMeter(LiveOptions())
        meter._samples = poller.meter._samples
        assert meter._samples[CRM_FULL], "a whole CRM cycle at rest was measured too"
        costs = meter.costs()
        print({system.slug: cost.describe() for system, cost in costs.items()})
        assert costs[System.QUICKBOOKS].share <= 0.03 and costs[System.CRM].share <= 0.03


async def _quiet(poller: LivePoller) -> bool:
    return all(poller.cadences[n].idle for n in (CRM_TO_QUICKBOOKS, HIGH_PRIORITY))
