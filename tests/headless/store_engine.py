"""A stand-in engine that works real jobs in the real SQLite store, for daemon subprocess tests.

It claims Queued jobs, "calls the API" (sleeps), and completes them, like the real engine's worker
pool does, so SIGTERM can land mid-job. It honours the EnginePort contract: `stop()` stops
claiming, lets in-flight jobs finish within the budget, and releases whatever is left. A record
name starting with "fail" ends in Error, so alerts and `--once` exit codes can be exercised.

Run as a script it is the daemon process itself:
    python -m tests.headless.store_engine DB [--once] [--metrics-port N] [--webhook URL]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.jobs import JobFailure, JobSuccess, LinkJob
from inolink_tui.domain.vocabulary import ConnectionState, RequestTallies, ServiceState, System
from inolink_tui.headless.ports import ConnectionHealth, HeadlessEvent, ServiceInfo, job_fields
from inolink_tui.store.base import JobStore

SECRET = "Sup3r-Secret-Client-Value"
log = logging.getLogger("tests.store_engine")

_END = object()


class StoreEngine:
    def __init__(self, store: JobStore, *, work_seconds: float = 0.15, workers: int = 2) -> None:
        self.store = store
        self.work_seconds = work_seconds
        self.workers = workers
        self._subscribers: list[asyncio.Queue[object]] = []
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._any_error = False

    def events(self) -> AsyncIterator[HeadlessEvent]:
        queue: asyncio.Queue[object] = asyncio.Queue()
        self._subscribers.append(queue)

        async def stream() -> AsyncIterator[HeadlessEvent]:
            while (item := await queue.get()) is not _END:
                assert isinstance(item, HeadlessEvent)
                yield item

        return stream()

    def _publish(self, name: str, **fields: Any) -> None:
        for q in self._subscribers:
            q.put_nowait(HeadlessEvent(name, fields))

    async def _work(self, job: LinkJob, worker: str) -> None:
        await asyncio.sleep(self.work_seconds)
        if job.record_name.startswith("fail"):
            failure = JobFailure(ErrorClass.VALIDATION, "Invalid Reference Id", error_code="2500")
            done = await self.store.fail(job.id, worker, failure, max_attempts=1)
            self._any_error = True
        else:
            done = await self.store.complete(job.id, worker, JobSuccess(accounting_id=f"qbo-{job.id}"))
        self._publish("job_changed", **job_fields(done))

    async def _worker(self, n: int, *, until_empty: bool) -> None:
        worker = f"{os.getpid()}-w{n}"
        while not self._stopping.is_set():
            jobs = await self.store.claim(worker, limit=1, lease_seconds=5)
            if not jobs:
                if until_empty:
                    return
                await asyncio.sleep(0.05)
                continue
            job = jobs[0]
            try:
                await asyncio.shield(self._work(job, worker))
            except asyncio.CancelledError:
                await self.store.release(job.id, worker, reason="shutdown")
                raise

    async def start(self) -> None:
        log.info("engine configured with secret %s", SECRET)  # the scrubber must hide this
        self._publish("cycle_started", service="crm_to_quickbooks")
        self._tasks = [asyncio.create_task(self._worker(i, until_empty=False)) for i in range(self.workers)]

    async def stop(self) -> None:
        self._stopping.set()
        _done, pending = await asyncio.wait(self._tasks, timeout=5) if self._tasks else (set(), set())
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._publish("cycle_finished", service="crm_to_quickbooks", duration_s=0.1, ok=True)
        for q in self._subscribers:
            q.put_nowait(_END)

    async def run_once(self) -> bool:
        self._publish("cycle_started", service="crm_to_quickbooks")
        await asyncio.gather(*(self._worker(i, until_empty=True) for i in range(self.workers)))
        self._publish("cycle_finished", service="crm_to_quickbooks", duration_s=0.1, ok=True)
        return self._any_error

    def services(self) -> Sequence[ServiceInfo]:
        return [ServiceInfo(ServiceState("crm_to_quickbooks"), timedelta(minutes=60))]

    def connections(self) -> Sequence[ConnectionHealth]:
        return [ConnectionHealth(ConnectionState(System.QUICKBOOKS), RequestTallies(42, throttled=1, retries=2))]

    async def run_now(self, service: str) -> None:
        return None

    async def pause(self, service: str | None) -> None:
        return None

    async def resume(self, service: str | None) -> None:
        return None


async def build_engine(settings: Any, store: JobStore) -> StoreEngine:
    for secret in settings.secret_values():
        log.info("factory saw secret %s", secret)  # a careless log line the scrubber must catch
    return StoreEngine(store, work_seconds=float(os.environ.get("STORE_ENGINE_WORK_SECONDS", "0.15")))


def settings_for(webhook: str | None) -> SimpleNamespace:
    """The slice of Settings the headless app reads (headless/settings_port.py): secrets, [alerts], the token file,
    [store] retention, [sync] lease. Alerts at AlertPolicy's defaults, no token file, Success jobs kept forever."""
    alerts = SimpleNamespace(
        webhook_url=webhook,
        webhook_format="slack",
        smtp_host=None,
        smtp_port=587,
        smtp_user=None,
        smtp_password=None,
        smtp_starttls=True,
        email_from=None,
        email_to=[],
        stale_queue_intervals=3,
        error_rate_threshold=0.5,
        min_interval_minutes=60,
        digest=False,
    )
    return SimpleNamespace(
        secret_values=lambda: [SECRET],
        alerts=alerts,
        quickbooks=SimpleNamespace(token_file=None),
        store=SimpleNamespace(success_retention_days=0),
        sync=SimpleNamespace(lease_seconds=20.0),
    )


def main() -> int:
    from inolink_tui.headless.app import HeadlessOptions
    from inolink_tui.headless.app import main as headless_main

    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--metrics-port", type=int)
    parser.add_argument("--webhook")
    parser.add_argument("--log-format", default="json")
    args = parser.parse_args()
    options = HeadlessOptions(args.db, once=args.once, log_format=args.log_format, metrics_port=args.metrics_port)
    return headless_main(settings_for(args.webhook), options, build_engine)


if __name__ == "__main__":
    sys.exit(main())
