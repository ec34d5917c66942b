"""The adapter from the engine's bus and API to the daemon's port: names, enrichment, control calls."""

from __future__ import annotations

import asyncio
import importlib.util
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.events import ServicePaused
from inolink_tui.domain.jobs import JobFailure, NewJob, utcnow
from inolink_tui.domain.live import IdleCost
from inolink_tui.domain.vocabulary import ConnectionState, RequestTallies, ServiceState, System
from inolink_tui.headless.engine_adapter import EngineAdapter, normalise
from inolink_tui.headless.ports import HeadlessEvent, event_name, to_headless_event
from inolink_tui.store import open_store
from tests.headless.fakes import make_job

pytestmark = pytest.mark.timeout(30)


# Shapes of the engine's and the connectors' events (domain/events.py, connectors/events.py).
@dataclass(frozen=True, kw_only=True)
class JobChanged:
    job_id: int
    link_status: LinkStatus | None = None
    change: str = "changed"
    error_description: str | None = None
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True, kw_only=True)
class CycleFinished:
    service: str
    duration_seconds: float
    failed: int = 0
    error: str | None = None
    at: datetime = field(default_factory=utcnow)


@dataclass(frozen=True)
class AuthProblem:
    service: str
    message: str
    action: str


@dataclass(frozen=True, kw_only=True)
class Throttled:
    system: str
    retry_after_seconds: float


def test_event_names_come_from_the_class_or_the_events_own_kind() -> None:
    assert event_name(JobChanged(job_id=1)) == "job_changed"

    class CycleStartedEvent:
        pass

    assert event_name(CycleStartedEvent()) == "cycle_started"
    assert event_name(ServicePaused(service="high_priority")) == "service_paused"  # a domain event's kind
    assert event_name(HeadlessEvent("auth_restored")) == "auth_restored"


def test_normalise_maps_engine_and_connector_field_names() -> None:
    at = datetime(2026, 11, 26, 6, tzinfo=UTC)
    finished = normalise(CycleFinished(service="high_priority", duration_seconds=1.5, error="CRM down", at=at))
    assert finished.name == "cycle_finished" and finished.at == at
    assert finished.fields == {
        "service": "high_priority",
        "duration_s": 1.5,
        "failed": 0,
        "error": "CRM down",
        "ok": False,
    }
    assert normalise(CycleFinished(service="x", duration_seconds=1)).fields["ok"] is True
    auth = normalise(AuthProblem("QuickBooks Online", "invalid_grant", "re-authorize"))
    assert auth.fields["service"] == "quickbooks" and auth.fields["message"] == "invalid_grant"
    throttled = normalise(Throttled(system="Dynamics 365", retry_after_seconds=3.0))
    assert throttled.fields == {"service": "crm", "retry_after_s": 3.0}


def test_a_job_inside_an_event_is_flattened_without_its_payload() -> None:
    @dataclass
    class Wrapped:
        job: Any

    job = make_job(
        5,
        LinkStatus.ERROR,
        error_class=ErrorClass.DUPLICATE,
        error_code="6240",
        error_description="Duplicate Name Exists Error\nmore",
        payload={"card": "4111"},
    )
    fields = to_headless_event(Wrapped(job)).fields
    assert fields["job_id"] == 5 and fields["error_class"] == "duplicate"
    assert fields["error_description"] == "Duplicate Name Exists Error"
    assert "payload" not in fields and "4111" not in str(fields)


class FakeBus:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self.closed = False

    def subscribe(self, *, maxsize: int = 1000) -> Any:
        bus = self

        class Sub:
            def __aiter__(self) -> Any:
                return self

            async def __anext__(self) -> object:
                item = await bus.queue.get()
                if item is None:
                    raise StopAsyncIteration
                return item

            def close(self) -> None:
                bus.closed = True

        return Sub()

    def close(self) -> None:
        self.queue.put_nowait(None)


class FakeEngine:
    def __init__(self) -> None:
        self.bus = FakeBus()
        self.calls: list[tuple[str, str | None]] = []

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def run_once(self) -> bool:
        return True

    def services(self) -> list[ServiceState]:
        started = datetime(2026, 11, 26, 8, tzinfo=UTC)
        return [
            ServiceState("high_priority", paused=True, last_run=started),
            ServiceState("low_priority", enabled=False),
            ServiceState("unscheduled"),  # no window: not the daemon's business
        ]

    def intervals(self) -> dict[str, timedelta]:
        return {"high_priority": timedelta(minutes=30), "low_priority": timedelta(hours=24)}

    def connections(self) -> list[ConnectionState]:
        expiry = datetime(2026, 12, 1, tzinfo=UTC)
        return [
            ConnectionState(System.CRM, access_expires=expiry),
            ConnectionState(System.QUICKBOOKS, refresh_expires=expiry),
        ]

    def request_tallies(self) -> dict[System, RequestTallies]:
        return {System.QUICKBOOKS: RequestTallies(requests=17)}

    def idle_costs(self) -> dict[System, IdleCost]:
        return {System.QUICKBOOKS: IdleCost(120.0, 30_000.0)}

    def run_now(self, name: str) -> asyncio.Task[None]:
        self.calls.append(("run_now", name))
        return asyncio.get_running_loop().create_task(asyncio.sleep(0))

    def pause(self, name: str | None = None) -> list[str]:
        self.calls.append(("pause", name))
        return []

    def resume(self, name: str | None = None) -> list[str]:
        self.calls.append(("resume", name))
        return []


async def test_finished_jobs_are_enriched_from_the_store(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "jobs.db")
    try:
        (job_id,) = (await store.enqueue([NewJob(EntityType.INVOICE, Source.CRM, "inv-1", "INV-1", "123")])).created
        await store.claim("w")
        failure = JobFailure(ErrorClass.REFERENCE, "Invalid Reference Id: item 7", error_code="2500")
        await store.fail(job_id, "w", failure, max_attempts=1)
        engine = FakeEngine()
        adapter = EngineAdapter(engine, store)  # type: ignore[arg-type]
        stream = adapter.events()
        engine.bus.queue.put_nowait(JobChanged(job_id=job_id, link_status=LinkStatus.ERROR, change="failed"))
        engine.bus.queue.put_nowait(JobChanged(job_id=job_id, change="claimed"))
        engine.bus.queue.put_nowait(JobChanged(job_id=99999, link_status=LinkStatus.SUCCESS))
        await adapter.stop()
        events = [e async for e in stream]
    finally:
        await store.close()
    assert engine.bus.closed
    enriched, hint, missing = events
    assert enriched.fields["entity_type"] == "Invoice" and enriched.fields["source"] == "CRM"
    assert enriched.fields["error_class"] == "reference" and enriched.fields["error_code"] == "2500"
    assert enriched.fields["change"] == "failed"
    assert "entity_type" not in hint.fields  # not final: no store read
    assert missing.fields == {"job_id": 99999, "link_status": "Success", "change": "changed", "error_description": None}


async def test_services_connections_and_control_calls(tmp_path: Path) -> None:
    engine = FakeEngine()
    adapter = EngineAdapter(engine, store=None)  # type: ignore[arg-type]
    services = {s.name: s for s in adapter.services()}
    assert services["high_priority"].enabled and services["high_priority"].interval == timedelta(minutes=30)
    assert not services["low_priority"].enabled
    assert services["high_priority"].state.paused
    assert services["high_priority"].state.last_run == datetime(2026, 11, 26, 8, tzinfo=UTC)
    assert set(services) == {"high_priority", "low_priority"}
    crm, qbo = adapter.connections()
    assert (crm.service, qbo.service) == ("crm", "quickbooks")
    assert crm.state.access_expires == datetime(2026, 12, 1, tzinfo=UTC) and crm.tallies is None
    assert qbo.state.refresh_expires == datetime(2026, 12, 1, tzinfo=UTC) and qbo.tallies == RequestTallies(17)
    assert qbo.idle == IdleCost(120.0, 30_000.0) and crm.idle is None
    await adapter.run_now("high_priority")
    await adapter.pause(None)
    await adapter.resume("low_priority")
    assert engine.calls == [("run_now", "high_priority"), ("pause", None), ("resume", "low_priority")]
    assert await adapter.run_once() is True


@pytest.mark.skipif(
    importlib.util.find_spec("inolink_tui.domain.events") is None, reason="the engine's event bus is not merged yet"
)
async def test_the_real_bus_events_normalise() -> None:
    from inolink_tui.domain import events as ev

    bus = ev.EventBus()
    sub = bus.subscribe()
    bus.publish(ev.CycleFinished(service="crm_to_quickbooks", duration_seconds=2.0, failed=1))
    bus.publish(ev.AuthProblem(system="QuickBooks Online", message="invalid_grant"))
    bus.close()
    got = [normalise(e) async for e in sub]
    assert [g.name for g in got] == ["cycle_finished", "auth_problem"]
    assert got[0].fields["duration_s"] == 2.0 and got[0].fields["ok"] is True
    assert got[1].fields["service"] == "quickbooks"
