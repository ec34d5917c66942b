"""Two OS processes writing one store at once: no lock errors surface and no job is claimed twice."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.filters import JobFilter
from inolink_tui.store.sqlite import SqliteJobStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(120)
def test_two_processes_enqueue_claim_and_complete_concurrently(db_path: Path, tmp_path: Path) -> None:
    asyncio.run(_create(db_path))  # create the schema once, as the daemon would
    per_process = 2000
    outputs = [tmp_path / f"w{i}.json" for i in range(2)]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.store.proc_worker",
                str(db_path),
                f"w{i}",
                str(per_process),
                str(2 * per_process),
                str(outputs[i]),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=110)
        assert proc.returncode == 0, err[-2000:]
        assert "locked" not in err
    results = [json.loads(p.read_text()) for p in outputs]
    claimed = [job_id for r in results for job_id in r["claimed"]]
    assert len(claimed) == len(set(claimed)) == 2 * per_process, "every job claimed exactly once"
    assert all(r["claimed"] for r in results), "both processes got work"
    asyncio.run(_check(db_path, per_process))


async def _create(path: Path) -> None:
    store = await SqliteJobStore.open(path)
    await store.close()


async def _check(db_path: Path, per_process: int) -> None:
    store = await SqliteJobStore.open(db_path)
    try:
        counts = await store.counts()
        assert counts.total == 2 * per_process
        assert counts.by_status[LinkStatus.SUCCESS] == 2 * per_process
        assert await store.count(JobFilter(statuses=(LinkStatus.QUEUED,))) == 0
        jobs = (await store.page(limit=2 * per_process)).jobs
        assert all(j.processed_count == 1 and len(j.request_id or "") > 0 for j in jobs)
        assert len({j.request_id for j in jobs}) == 2 * per_process
    finally:
        await store.close()
