"""The shared in-memory store keeps up with the JobStore contract, and behaves like the SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import JobFailure, NewJob
from inolink_tui.store import open_store
from inolink_tui.store.base import JobStore
from tests.fakes.memstore import MemoryStore


def test_every_contract_method_is_written_out() -> None:
    """A method missing here would only fail, at run time, in whichever test first needs it."""
    wanted = [name for name, value in vars(JobStore).items() if callable(value) and not name.startswith("_")]
    assert wanted, "the contract lists its methods"
    written = {name for cls in MemoryStore.__mro__ for name in vars(cls)}
    assert [name for name in wanted if name not in written] == []


def _new(i: int) -> NewJob:
    return NewJob(EntityType.ACCOUNT, Source.CRM, f"00000000-0000-0000-0000-{i:012d}", f"A{i}", "1")


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> JobStore:
    if request.param == "memory":
        return MemoryStore()
    return await open_store(tmp_path / "jobs.db")


async def test_the_fake_and_sqlite_agree_on_a_job_lifecycle(store: JobStore) -> None:
    try:
        first = await store.enqueue([_new(1), _new(2)])
        again = await store.enqueue([_new(1)])
        assert len(first.created) == 2 and again.existing == (first.created[0],), "one open job per record"
        claimed = await store.claim("w1", limit=5)
        assert sorted(j.id for j in claimed) == sorted(first.created)
        failure = JobFailure(ErrorClass.DUPLICATE, "Duplicate Name Exists Error", error_code="6240")
        failed = await store.fail(claimed[0].id, "w1", failure, max_attempts=3)
        assert failed.link_status is LinkStatus.ERROR and failed.processed_count == 1
        assert len(await store.attempts(failed.id)) == 1
        result = await store.requeue("ops", ids=[failed.id, claimed[1].id, 999])
        assert result.changed == (failed.id,) and set(result.skipped) == {claimed[1].id, 999}
        assert await store.count(JobFilter(statuses=(LinkStatus.QUEUED,))) == 2
        inactive = await store.set_inactive("ops", [failed.id], True)
        assert inactive.changed == (failed.id,)
        assert (await store.set_inactive("ops", [failed.id], True)).skipped
        assert [c.kind for c in await store.changes_since(0)][:2] == ["created", "created"]
    finally:
        await store.close()
