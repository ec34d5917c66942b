"""A separate OS process that enqueues its own jobs and works the shared queue (used by test_processes)."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

from inolink_tui.domain.jobs import JobSuccess
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import new_job


async def work(path: Path, name: str, jobs: int, expected_total: int) -> dict[str, object]:
    store = await SqliteJobStore.open(path)
    claimed: list[int] = []
    enqueued = 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if enqueued < jobs:
                batch = [new_job(f"{name}-{i}", submitted_at=None) for i in range(enqueued, min(jobs, enqueued + 250))]
                await store.enqueue(batch)
                enqueued += len(batch)
            got = await store.claim(name, limit=50, lease_seconds=300)
            for job in got:
                await store.complete(job.id, name, JobSuccess(accounting_id=name))
            claimed += [job.id for job in got]
            if not got and enqueued >= jobs:
                if await store.count() >= expected_total and not await store.claim(name, limit=1, lease_seconds=300):
                    break
                await asyncio.sleep(0.01)
    finally:
        await store.close()
    return {"claimed": claimed, "enqueued": enqueued}


if __name__ == "__main__":
    db, worker, count, total, result = sys.argv[1:6]
    outcome = asyncio.run(work(Path(db), worker, int(count), int(total)))
    Path(result).write_text(json.dumps(outcome))
