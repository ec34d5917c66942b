"""Operator actions: requeue, mark as Error, inactive; each leaves one audit row."""

from __future__ import annotations

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, JobView, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter
from inolink_tui.domain.jobs import JobFailure, JobSuccess
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import at, new_job


async def _errored(store: SqliteJobStore, *jobs: object, now: float = 10) -> list[int]:
    """Enqueue, claim and fail `jobs` so that they end in Error."""
    ids = list((await store.enqueue(list(jobs))).created)  # type: ignore[arg-type]
    claimed = await store.claim("w", limit=len(ids), now=at(now))
    assert len(claimed) == len(ids)
    for job_id in ids:
        await store.fail(job_id, "w", JobFailure(ErrorClass.VALIDATION, f"bad {job_id}"), max_attempts=3, now=at(now))
    return ids


async def test_requeue_ids_resets_error_jobs_and_explains_skips(store: SqliteJobStore) -> None:
    bad, ok = await _errored(store, new_job("a"), new_job("b"))
    (queued,) = (await store.enqueue([new_job("c")])).created
    (done,) = (await store.enqueue([new_job("d")])).created
    await store.claim("x", limit=5, now=at(20))
    await store.complete(done, "x", JobSuccess(), now=at(20))
    await store.release(queued, "x", now=at(20))
    result = await store.requeue("alice", ids=[bad, queued, done, 404, bad], now=at(30))
    assert result.changed == (bad,)
    assert result.skipped == {
        queued: f"job {queued} is Queued; only Error jobs can be requeued",
        done: f"job {done} succeeded; only Error jobs can be requeued",
        404: "no job 404",
    }
    job = await store.get(bad)
    assert job.link_status is LinkStatus.QUEUED and job.next_attempt_at == at(30) and job.lease is None
    assert job.processed_count == 1 and len(job.attempts) == 1, "history is kept"
    assert (await store.get(ok)).link_status is LinkStatus.ERROR
    (entry,) = await store.audit_log()
    assert (entry.actor, entry.action, entry.job_count, entry.id) == ("alice", "requeue", 1, result.audit_id)
    assert str(bad) in entry.detail and "skipped 3" in entry.detail and entry.at == at(30)
    assert (bad, "requeued") in [(c.job_id, c.kind) for c in await store.changes_since(0)]
    assert bad in [j.id for j in await store.claim("w", limit=5, now=at(31))]


async def test_requeue_never_opens_a_second_job_for_a_record(store: SqliteJobStore) -> None:
    (old,) = await _errored(store, new_job("a"))
    (fresh,) = (await store.enqueue([new_job("a")])).created
    result = await store.requeue("alice", ids=[old])
    assert result.changed == () and result.skipped == {
        old: f"job {old}: job {fresh} is already queued for the same record"
    }
    by_filter = await store.requeue("alice", filter=JobFilter(view=JobView.FAILED))
    assert by_filter.changed == ()
    assert await store.count(JobFilter(statuses=(LinkStatus.QUEUED,))) == 1


async def test_requeue_by_filter_is_done_in_sql_with_one_audit_row(store: SqliteJobStore) -> None:
    ids = await _errored(
        store,
        new_job("a", entity=EntityType.INVOICE),
        new_job("b", entity=EntityType.INVOICE),
        new_job("c", entity=EntityType.ACCOUNT),
        new_job("d", entity=EntityType.INVOICE, source=Source.ACCOUNTING),
    )
    await store.set_inactive("bob", [ids[1]], True)
    flt = JobFilter(view=JobView.FAILED, entity_types=(EntityType.INVOICE,), sources=(Source.CRM,))
    result = await store.requeue("carol", filter=flt, now=at(40))
    assert result.changed == (ids[0],), "inactive, other-entity and other-source jobs are left alone"
    entries = await store.audit_log()
    assert [e.action for e in entries] == ["requeue", "set-inactive"]
    assert entries[0].detail == f"filter: {flt.describe()}" and entries[0].job_count == 1
    with pytest.raises(ValueError, match="not both"):
        await store.requeue("carol", ids=[1], filter=flt)


async def test_requeue_by_filter_takes_one_job_per_record(store: SqliteJobStore) -> None:
    (first,) = await _errored(store, new_job("a"), now=10)
    (second,) = await _errored(store, new_job("a"), now=20)
    result = await store.requeue("carol", filter=JobFilter(statuses=(LinkStatus.ERROR,)))
    assert result.changed == (second,), "the newest Error job of the record is requeued"
    assert (await store.get(first)).link_status is LinkStatus.ERROR


async def test_mark_error_only_for_queued_jobs_and_takes_the_lease(store: SqliteJobStore) -> None:
    (bad,) = await _errored(store, new_job("c"), now=0)
    a, b = (await store.enqueue([new_job("a"), new_job("b")])).created
    await store.claim("w", limit=1, now=at(1))
    result = await store.mark_error("dave", [a, b, bad, 77], reason="stuck since Monday", now=at(3))
    assert result.changed == (a, b)
    assert result.skipped == {bad: f"job {bad} is Error; only Queued jobs can be marked as Error", 77: "no job 77"}
    job = await store.get(a)
    assert job.link_status is LinkStatus.ERROR and job.error_description == "stuck since Monday" and job.lease is None
    (entry,) = await store.audit_log()
    assert entry.action == "mark-error" and "stuck since Monday" in entry.detail and entry.job_count == 2
    from inolink_tui.store.base import LeaseLostError

    with pytest.raises(LeaseLostError):
        await store.complete(a, "w", JobSuccess())
    default = await store.mark_error("dave", [], now=at(4))
    assert default.changed == () and default.audit_id is not None


async def test_set_inactive_and_views(store: SqliteJobStore) -> None:
    q, e = (await store.enqueue([new_job("q"), new_job("e")])).created
    await store.claim("w", limit=5, now=at(1))
    await store.fail(e, "w", JobFailure(ErrorClass.AUTH, "token"), max_attempts=1, now=at(1))
    await store.release(q, "w", now=at(1))
    result = await store.set_inactive("erin", [e, e, 5], True, now=at(2))
    assert result.changed == (e,) and result.skipped == {5: "no job 5"}
    again = await store.set_inactive("erin", [e], True)
    assert again.skipped == {e: f"job {e} is already inactive"}
    assert [j.id for j in (await store.page(JobFilter(view=JobView.INACTIVE))).jobs] == [e]
    assert [j.id for j in (await store.page(JobFilter(view=JobView.ACTIVE))).jobs] == [q]
    assert (await store.page(JobFilter(view=JobView.FAILED))).jobs == ()
    await store.set_inactive("erin", [e], False)
    assert [j.id for j in (await store.page(JobFilter(view=JobView.FAILED))).jobs] == [e]
    assert (await store.get(e)).inactive is False
    kinds = [c.kind for c in await store.changes_since(0) if c.job_id == e]
    assert kinds[-2:] == ["inactive", "active"]
