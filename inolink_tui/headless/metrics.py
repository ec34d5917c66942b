"""Prometheus metrics for the headless engine, on a registry of its own.

Counters and the cycle histogram are fed by bus events as they happen. Job totals by status come
from the store (they must also count jobs other processes changed), and API tallies and token
expiries from the engine's connections; both are snapshotted from the event loop by `refresh()`, so
the scrape thread of prometheus-client only ever reads plain numbers and never touches the engine.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from inolink_tui.domain.enums import EntityType, LinkStatus, Source
from inolink_tui.domain.errors import SetupProblem
from inolink_tui.domain.filters import JobFilter
from inolink_tui.headless.ports import ConnectionHealth, DaemonStore, HeadlessEvent

log = logging.getLogger(__name__)

_FINAL = frozenset({LinkStatus.SUCCESS.value, LinkStatus.ERROR.value})
CYCLE_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    jobs: dict[tuple[str, str, str], int]
    processing: int
    connections: tuple[ConnectionHealth, ...]


class _SnapshotCollector(Collector):
    """Exposes the last snapshot taken on the event loop; cumulative API tallies become counters."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshot = _Snapshot({}, 0, ())

    def set(self, snapshot: _Snapshot) -> None:
        with self._lock:
            self._snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            snap = self._snapshot
        jobs = GaugeMetricFamily(
            "inolink_jobs",
            "Link Jobs in the store by Link Status, Entity Type and Source",
            labels=["link_status", "entity_type", "source"],
        )
        for (status, entity, source), n in sorted(snap.jobs.items()):
            jobs.add_metric([status, entity, source], n)
        yield jobs
        yield GaugeMetricFamily("inolink_jobs_processing", "Queued jobs leased by a worker right now", snap.processing)
        requests = CounterMetricFamily("inolink_api_requests", "API requests sent", labels=["service"])
        throttled = CounterMetricFamily("inolink_api_throttled", "API responses with status 429", labels=["service"])
        retries = CounterMetricFamily("inolink_api_retries", "API requests retried", labels=["service"])
        expiry = GaugeMetricFamily(
            "inolink_token_expiry_timestamp_seconds",
            "When each OAuth token expires (Unix time)",
            labels=["service", "token"],
        )
        for c in snap.connections:
            if c.tallies is not None:
                for family, value in (
                    (requests, c.tallies.requests),
                    (throttled, c.tallies.throttled),
                    (retries, c.tallies.retries),
                ):
                    family.add_metric([c.service], value)
            for token, at in (("access", c.state.access_expires), ("refresh", c.state.refresh_expires)):
                if at is not None:
                    expiry.add_metric([c.service, token], at.timestamp())
        idle = GaugeMetricFamily(
            "inolink_live_idle_requests_per_hour",
            "Live mode: requests per hour each API receives from polling while nothing changes (measured)",
            labels=["service"],
        )
        share = GaugeMetricFamily(
            "inolink_live_idle_budget_share",
            "Live mode: that idle cost as a share of the API's request budget (target <= 0.03)",
            labels=["service"],
        )
        for c in snap.connections:
            if c.idle is not None:
                idle.add_metric([c.service], c.idle.requests_per_hour)
                share.add_metric([c.service], c.idle.share)
        yield from (requests, throttled, retries, expiry, idle, share)


class Metrics:
    """The exporter: `observe()` each bus event, `refresh()` on a timer, `serve()` once."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._snapshot = _SnapshotCollector()
        self.registry.register(self._snapshot)
        self.processed = Counter(
            "inolink_jobs_processed",
            "Jobs that reached Success or Error in this process",
            ["entity_type", "source", "link_status"],
            registry=self.registry,
        )
        self.failed = Counter(
            "inolink_jobs_failed",
            "Jobs that ended in Error in this process, by error class",
            ["entity_type", "source", "error_class"],
            registry=self.registry,
        )
        self.cycle_duration = Histogram(
            "inolink_cycle_duration_seconds",
            "How long a service cycle took",
            ["service"],
            buckets=CYCLE_BUCKETS,
            registry=self.registry,
        )
        self.last_success = Gauge(
            "inolink_last_successful_cycle_timestamp_seconds",
            "When each service last finished a cycle without failing (Unix time)",
            ["service"],
            registry=self.registry,
        )
        self.auth_problems = Counter(
            "inolink_auth_problems",
            "Authorisation failures reported by the engine",
            ["service"],
            registry=self.registry,
        )
        self.throttle_events = Counter(
            "inolink_throttle_events", "Times a service was told to slow down", ["service"], registry=self.registry
        )
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    # --- feeding ---------------------------------------------------------------------------
    def observe(self, event: HeadlessEvent) -> None:
        f = event.fields
        if event.name in ("job_changed", "job_created"):
            status = str(f.get("link_status", ""))
            if event.name == "job_changed" and status in _FINAL:
                entity, source = str(f.get("entity_type", "")), str(f.get("source", ""))
                self.processed.labels(entity, source, status).inc()
                if status == LinkStatus.ERROR.value:
                    self.failed.labels(entity, source, str(f.get("error_class") or "unknown")).inc()
        elif event.name == "cycle_finished":
            service = str(f.get("service", ""))
            duration = f.get("duration_s")
            if isinstance(duration, int | float):
                self.cycle_duration.labels(service).observe(float(duration))
            if f.get("ok", True):
                self.last_success.labels(service).set(event.at.timestamp())
        elif event.name == "auth_problem":
            self.auth_problems.labels(str(f.get("service", ""))).inc()
        elif event.name == "throttled":
            self.throttle_events.labels(str(f.get("service", ""))).inc()

    async def refresh(
        self, store: DaemonStore, connections: Sequence[ConnectionHealth], *, now: datetime | None = None
    ) -> None:
        """Recount jobs by (status, source) x entity: six small queries instead of loading rows."""
        jobs: dict[tuple[str, str, str], int] = {}
        processing = 0
        for status in LinkStatus:
            for source in Source:
                counts = await store.counts(JobFilter(statuses=(status,), sources=(source,)), now=now)
                processing += counts.processing
                for entity in EntityType:
                    jobs[(status.value, entity.value, source.value)] = counts.by_entity.get(entity, 0)
        self._snapshot.set(_Snapshot(jobs, processing, tuple(connections)))

    # --- serving ---------------------------------------------------------------------------
    def serve(self, port: int, addr: str = "127.0.0.1") -> int:
        """Start the HTTP endpoint in a daemon thread; returns the bound port (useful with port 0)."""
        try:
            server, thread = start_http_server(port, addr=addr, registry=self.registry)
        except OSError as exc:
            raise SetupProblem(f"cannot serve metrics on {addr}:{port}: {exc.strerror or exc}") from exc
        self._server, self._thread = server, thread
        bound = int(server.server_port)
        log.info(
            "metrics on http://%s:%d/metrics",
            addr,
            bound,
            extra={"event": "metrics_started", "fields": {"port": bound}},
        )
        return bound

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
