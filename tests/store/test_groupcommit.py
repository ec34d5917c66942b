"""Group commit: concurrent writes share transactions, yet each call keeps its own outcome."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from inolink_tui.domain.enums import ErrorClass, LinkStatus
from inolink_tui.domain.jobs import JobFailure, JobSuccess
from inolink_tui.store.base import LeaseLostError
from inolink_tui.store.groupcommit import GroupCommitter
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import at, new_job


async def test_concurrent_calls_batch_and_a_failing_call_rolls_back_alone(
    store: SqliteJobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = (await store.enqueue([new_job(f"r{i}") for i in range(60)])).created
    await store.claim("w", limit=60, now=at(1))
    committer = store._committer
    assert committer is not None
    sizes: list[int] = []
    execute = committer._execute

    async def recording(calls: list[Any]) -> Any:
        sizes.append(len(calls))
        return await execute(calls)

    monkeypatch.setattr(committer, "_execute", recording)

    async def settle(job_id: int) -> str:
        if job_id % 7 == 0:
            await store.complete(job_id, "intruder", JobSuccess(), now=at(2))  # not the lease holder
        elif job_id % 5 == 0:
            await store.fail(job_id, "w", JobFailure(ErrorClass.VALIDATION, "bad"), max_attempts=1, now=at(2))
        else:
            await store.complete(job_id, "w", JobSuccess(accounting_id=str(job_id)), now=at(2))
        return "ok"

    results = await asyncio.gather(*(settle(i) for i in ids), return_exceptions=True)
    assert max(sizes) > 1, "concurrent calls shared a transaction"
    for job_id, result in zip(ids, results, strict=True):
        job = await store.get(job_id)
        if job_id % 7 == 0:
            assert isinstance(result, LeaseLostError)
            assert job.link_status is LinkStatus.QUEUED and job.attempts == ()
        elif job_id % 5 == 0:
            assert result == "ok" and job.link_status is LinkStatus.ERROR
        else:
            assert result == "ok" and job.link_status is LinkStatus.SUCCESS and job.accounting_id == str(job_id)
    counts = await store.counts()
    assert counts.total == 60 and sum(counts.by_status.values()) == 60


async def test_a_failed_transaction_fails_every_call_in_it() -> None:
    boom = RuntimeError("disk on fire")

    async def execute(calls: list[Any]) -> Any:
        raise boom

    committer = GroupCommitter(execute)
    results = await asyncio.gather(*(committer.submit(lambda conn: None) for _ in range(3)), return_exceptions=True)
    assert results == [boom, boom, boom]
    await committer.drain()


async def test_close_waits_for_queued_writes(db_path: Any) -> None:
    store = await SqliteJobStore.open(db_path)
    pending = [asyncio.ensure_future(store.set_cursor(f"c{i}", str(i))) for i in range(20)]
    await asyncio.sleep(0)
    await store.close()
    assert all(p.done() and p.exception() is None for p in pending)
    again = await SqliteJobStore.open(db_path)
    try:
        assert await again.get_cursor("c19") == "19"
    finally:
        await again.close()
