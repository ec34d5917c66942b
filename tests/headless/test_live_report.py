"""Live mode's idle cost as the daemon reports it: a JSON log line per API and two gauges on /metrics."""

from __future__ import annotations

import logging

import pytest
from prometheus_client import generate_latest

from inolink_tui.domain.live import IdleCost
from inolink_tui.domain.vocabulary import ConnectionState, System
from inolink_tui.headless.live_report import IdleCostLog
from inolink_tui.headless.metrics import Metrics
from inolink_tui.headless.ports import ConnectionHealth


def _health(crm: float, qbo: float) -> list[ConnectionHealth]:
    return [
        ConnectionHealth(ConnectionState(System.CRM), idle=IdleCost(crm, 72_000)),
        ConnectionHealth(ConnectionState(System.QUICKBOOKS), idle=IdleCost(qbo, 30_000)),
        ConnectionHealth(ConnectionState(System.PAIR)),
    ]


def test_idle_cost_is_logged_once_per_api_and_again_when_it_moves(caplog: pytest.LogCaptureFixture) -> None:
    report = IdleCostLog()
    with caplog.at_level(logging.INFO, logger="inolink_tui.headless"):
        report.check(_health(1_300, 144))
        report.check(_health(1_350, 150))  # within a tenth: not again
        report.check(_health(2_400, 150))  # moved
        report.check(_health(2_400, 1_200))  # 4 %: over the target, a warning
    lines = [r for r in caplog.records if getattr(r, "event", "") == "live_idle_cost"]
    assert [r.getMessage() for r in lines] == [
        "live mode at rest: crm 1,300 requests/h = 1.8% of 72,000/h (within the 3% target)",
        "live mode at rest: quickbooks 144 requests/h = 0.5% of 30,000/h (within the 3% target)",
        "live mode at rest: crm 2,400 requests/h = 3.3% of 72,000/h (over the 3% target)",
        "live mode at rest: quickbooks 1,200 requests/h = 4.0% of 30,000/h (over the 3% target)",
    ]
    assert [r.levelno for r in lines] == [logging.INFO, logging.INFO, logging.WARNING, logging.WARNING]


async def test_metrics_expose_the_idle_cost_and_its_share(tmp_path: object) -> None:
    metrics = Metrics()

    class NoStore:
        async def counts(self, *args: object, **kwargs: object) -> object:
            from inolink_tui.domain.filters import JobCounts

            return JobCounts()

    await metrics.refresh(NoStore(), _health(1_300, 144))  # type: ignore[arg-type]
    text = generate_latest(metrics.registry).decode()
    assert 'inolink_live_idle_requests_per_hour{service="crm"} 1300.0' in text
    assert 'inolink_live_idle_requests_per_hour{service="quickbooks"} 144.0' in text
    assert 'inolink_live_idle_budget_share{service="quickbooks"} 0.0048' in text
    assert 'service="pair"' not in text.split("inolink_live_idle")[1]
