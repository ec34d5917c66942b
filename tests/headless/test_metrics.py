"""The Prometheus exporter: fed by events and store counts, scraped over HTTP on a local port."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.jobs import Lease, utcnow
from inolink_tui.domain.vocabulary import ConnectionState, RequestTallies, System
from inolink_tui.headless.daemon import Daemon
from inolink_tui.headless.metrics import Metrics
from inolink_tui.headless.ports import ConnectionHealth, HeadlessEvent
from tests.headless.fakes import FakeEngine, FakeStore, job_event, make_job
from tests.headless.test_daemon import _options, _until

pytestmark = pytest.mark.timeout(30)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def _store() -> FakeStore:
    now = utcnow()
    return FakeStore(
        jobs=[
            make_job(1, LinkStatus.SUCCESS),
            make_job(2, LinkStatus.SUCCESS),
            make_job(3, LinkStatus.ERROR, entity_type=EntityType.INVOICE),
            make_job(4, LinkStatus.QUEUED, source=Source.ACCOUNTING, lease=Lease("w1", now + timedelta(minutes=1))),
        ]
    )


async def test_a_scrape_shows_jobs_counters_cycles_api_tallies_and_token_expiries() -> None:
    metrics = Metrics()
    expires = datetime(2026, 12, 1, tzinfo=UTC)
    health = [
        ConnectionHealth(
            ConnectionState(System.QUICKBOOKS, access_expires=expires, refresh_expires=expires + timedelta(days=100)),
            RequestTallies(120, 3, 5),
        )
    ]
    await metrics.refresh(_store(), health)
    metrics.observe(job_event(3, LinkStatus.ERROR, entity_type="Invoice", error_class="validation"))
    metrics.observe(job_event(1, LinkStatus.SUCCESS))
    metrics.observe(job_event(4, LinkStatus.QUEUED))
    finished = HeadlessEvent("cycle_finished", {"service": "high_priority", "duration_s": 2.0, "ok": True})
    metrics.observe(finished)
    metrics.observe(HeadlessEvent("cycle_finished", {"service": "low_priority", "duration_s": 1.0, "ok": False}))
    port = metrics.serve(0, "127.0.0.1")
    try:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/metrics")
    finally:
        metrics.close()
    assert response.status_code == 200
    s = _samples(response.text)
    assert s[("inolink_jobs", (("entity_type", "Account"), ("link_status", "Success"), ("source", "CRM")))] == 2
    assert s[("inolink_jobs", (("entity_type", "Invoice"), ("link_status", "Error"), ("source", "CRM")))] == 1
    assert s[("inolink_jobs", (("entity_type", "Account"), ("link_status", "Queued"), ("source", "Accounting")))] == 1
    assert s[("inolink_jobs", (("entity_type", "Quote"), ("link_status", "Queued"), ("source", "CRM")))] == 0
    assert s[("inolink_jobs_processing", ())] == 1
    assert (
        s[("inolink_jobs_processed_total", (("entity_type", "Invoice"), ("link_status", "Error"), ("source", "CRM")))]
        == 1
    )
    assert (
        s[("inolink_jobs_failed_total", (("entity_type", "Invoice"), ("error_class", "validation"), ("source", "CRM")))]
        == 1
    )
    assert s[("inolink_cycle_duration_seconds_count", (("service", "high_priority"),))] == 1
    assert s[("inolink_cycle_duration_seconds_sum", (("service", "high_priority"),))] == 2.0
    assert s[("inolink_last_successful_cycle_timestamp_seconds", (("service", "high_priority"),))] == pytest.approx(
        finished.at.timestamp()
    )
    assert ("inolink_last_successful_cycle_timestamp_seconds", (("service", "low_priority"),)) not in s
    assert s[("inolink_api_requests_total", (("service", "quickbooks"),))] == 120
    assert s[("inolink_api_throttled_total", (("service", "quickbooks"),))] == 3
    assert s[("inolink_api_retries_total", (("service", "quickbooks"),))] == 5
    token = ("inolink_token_expiry_timestamp_seconds", (("service", "quickbooks"), ("token", "access")))
    assert s[token] == expires.timestamp()


async def test_the_daemon_serves_metrics_on_the_requested_port_and_closes_it() -> None:
    engine, store = FakeEngine(), _store()
    daemon = Daemon(engine, store, _options(metrics_port=0, metrics_addr="127.0.0.1"), metrics=Metrics())
    task = asyncio.create_task(daemon.run())
    await asyncio.wait_for(engine.started.wait(), 5)
    assert daemon.metrics_port
    url = f"http://127.0.0.1:{daemon.metrics_port}/metrics"
    async with httpx.AsyncClient() as client:
        engine.publish(job_event(7, LinkStatus.SUCCESS))
        await _until(lambda: daemon.events_seen == 1)
        text = (await client.get(url)).text
        assert 'inolink_jobs{entity_type="Account",link_status="Success",source="CRM"} 2.0' in text
        assert 'inolink_jobs_processed_total{entity_type="Account",link_status="Success",source="CRM"} 1.0' in text
        daemon.request_stop("test")
        await task
        with pytest.raises(httpx.TransportError):
            await client.get(url, timeout=1)


def test_each_metrics_instance_has_its_own_registry() -> None:
    a, b = Metrics(), Metrics()
    a.observe(job_event(1, LinkStatus.SUCCESS))
    assert a.registry is not b.registry
    assert (
        b.registry.get_sample_value(
            "inolink_jobs_processed_total", {"entity_type": "Account", "source": "CRM", "link_status": "Success"}
        )
        is None
    )
