"""Enqueue, claim and the worker-side transitions of a Link Job."""

from __future__ import annotations

import pytest

from inolink_tui.domain.enums import AttemptOutcome, EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.jobs import JobFailure, JobSuccess
from inolink_tui.store.base import JobNotFoundError, LeaseLostError
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import T0, at, new_job


async def test_enqueue_assigns_ids_defaults_and_stable_request_ids(store: SqliteJobStore) -> None:
    job = new_job("a", submitted_at=None, payload={"name": "Ünïcode", "n": 1})
    result = await store.enqueue([job, new_job("b")], now=at(5))
    assert len(result.created) == 2 and result.existing == ()
    first = await store.get(result.created[0])
    assert first.link_status is LinkStatus.QUEUED
    assert first.submitted_at == at(5), "Submitted At defaults to now"
    assert first.processed_count == 0 and first.processed_at is None
    assert first.payload == {"name": "Ünïcode", "n": 1}
    assert first.request_id and first.request_id.endswith(f"-{first.id}")
    second = await store.get(result.created[1])
    assert second.submitted_at == T0, "an explicit Submitted At is kept"
    assert first.request_id != second.request_id
    claimed = await store.claim("w", limit=5, now=at(10))
    done = await store.complete(claimed[0].id, "w", JobSuccess(accounting_id="9"), now=at(11))
    assert done.request_id == (first.request_id if done.id == first.id else second.request_id)


async def test_enqueue_rejects_naive_times_and_unknown_dependencies(store: SqliteJobStore) -> None:
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        await store.enqueue([new_job("a", submitted_at=datetime(2026, 1, 1))])
    with pytest.raises(ValueError, match="depends_on refers to no job: 999"):
        await store.enqueue([new_job("a", depends_on=999)])
    assert await store.count() == 0, "a refused batch leaves nothing behind"


async def test_duplicates_within_one_batch_collapse_to_the_first(store: SqliteJobStore) -> None:
    result = await store.enqueue(
        [new_job("a"), new_job("A"), new_job("b"), new_job("a", source=Source.ACCOUNTING), new_job("a")]
    )
    assert len(result.created) == 3
    a_crm, b, a_acc = result.created
    assert result.existing == (a_crm, a_crm), "case of the CRM id does not matter; Source does"
    assert (await store.get(a_acc)).source is Source.ACCOUNTING
    assert await store.count() == 3
    assert b not in result.existing


async def test_a_service_clock_ahead_of_ours_does_not_date_a_job_in_the_future(store: SqliteJobStore) -> None:
    """QuickBooks' LastUpdatedTime (or Dataverse's modifiedon) from a clock 10 minutes ahead becomes the job's
    Submitted At: the job is due now and dated now, instead of sitting Queued until our clock catches up."""
    ahead = new_job("skewed", source=Source.ACCOUNTING, submitted_at=at(600))
    behind = new_job("past", submitted_at=at(-60))
    created = (await store.enqueue([ahead, behind], now=at(0))).created
    skewed, past = await store.get(created[0]), await store.get(created[1])
    assert skewed.submitted_at == at(0)
    assert past.submitted_at == at(-60)  # a past change keeps its own time
    claimed = await store.claim("w", limit=5, sources=(Source.ACCOUNTING,), now=at(0))
    assert [j.id for j in claimed] == [skewed.id]


async def test_duplicates_of_an_open_job_return_its_id_until_it_finishes(store: SqliteJobStore) -> None:
    (first,) = (await store.enqueue([new_job("a")], now=at(0))).created
    again = await store.enqueue([new_job("a"), new_job("c")], now=at(1))
    assert again.existing == (first,) and len(again.created) == 1
    (claimed,) = await store.claim("w", sources=[Source.CRM], entity_types=[EntityType.ACCOUNT], now=at(2))
    assert claimed.id == first
    assert (await store.enqueue([new_job("a")], now=at(3))).existing == (first,), "a leased job is still open"
    await store.complete(first, "w", JobSuccess(), now=at(4))
    after = await store.enqueue([new_job("a")], now=at(5))
    assert len(after.created) == 1 and after.created[0] != first, "a finished job does not absorb new changes"
    assert await store.open_job_for(EntityType.ACCOUNT, "A", Source.CRM) is not None


async def test_claim_takes_oldest_due_first_and_sets_a_lease(store: SqliteJobStore) -> None:
    ids = (
        await store.enqueue(
            [
                new_job("late", submitted_at=at(30)),
                new_job("early", submitted_at=at(10)),
                new_job("future", submitted_at=at(0), next_attempt_at=at(500)),
            ]
        )
    ).created
    claimed = await store.claim("w1", limit=10, lease_seconds=1000, now=at(100))
    assert [j.id for j in claimed] == [ids[1], ids[0]], "oldest first; not-yet-due jobs wait"
    assert all(j.lease is not None and j.lease.worker == "w1" and j.lease.until == at(1100) for j in claimed)
    assert all(j.in_flight(at(100)) for j in claimed)
    assert await store.claim("w2", limit=10, now=at(101)) == [], "live leases are skipped"
    (future,) = await store.claim("w2", limit=10, now=at(500))
    assert future.id == ids[2]
    kinds = [(c.job_id, c.kind) for c in await store.changes_since(0)]
    assert (ids[1], "claimed") in kinds and (ids[2], "claimed") in kinds


async def test_expired_lease_is_reclaimable_and_the_old_worker_loses_it(store: SqliteJobStore) -> None:
    (job_id,) = (await store.enqueue([new_job("a")])).created
    await store.claim("w1", lease_seconds=10, now=at(100))
    assert await store.claim("w2", now=at(109)) == []
    (again,) = await store.claim("w2", lease_seconds=10, now=at(110))
    assert again.id == job_id and again.lease is not None and again.lease.worker == "w2"
    with pytest.raises(LeaseLostError, match="now held by w2"):
        await store.complete(job_id, "w1", JobSuccess(), now=at(111))
    with pytest.raises(LeaseLostError):
        await store.heartbeat(job_id, "w1", lease_seconds=10, now=at(111))
    with pytest.raises(LeaseLostError):
        await store.fail(job_id, "w1", JobFailure(ErrorClass.AUTH, "x"), max_attempts=3, now=at(111))
    with pytest.raises(LeaseLostError):
        await store.release(job_id, "w1", now=at(111))
    with pytest.raises(LeaseLostError):
        await store.defer(job_id, "w1", until=at(200), reason="x", now=at(111))
    done = await store.complete(job_id, "w2", JobSuccess(), now=at(112))
    assert done.link_status is LinkStatus.SUCCESS


async def test_heartbeat_extends_the_lease(store: SqliteJobStore) -> None:
    (job_id,) = (await store.enqueue([new_job("a")])).created
    await store.claim("w1", lease_seconds=10, now=at(100))
    await store.heartbeat(job_id, "w1", lease_seconds=60, now=at(105))
    assert await store.claim("w2", now=at(130)) == [], "the heartbeat kept the job"
    job = await store.get(job_id)
    assert job.lease is not None and job.lease.until == at(165)
    with pytest.raises(JobNotFoundError):
        await store.heartbeat(999, "w1", lease_seconds=10)
    with pytest.raises(ValueError, match="positive"):
        await store.heartbeat(job_id, "w1", lease_seconds=0)


async def test_never_two_jobs_of_one_record_at_once(store: SqliteJobStore) -> None:
    crm, acc, other = (
        await store.enqueue(
            [new_job("a", submitted_at=at(0)), new_job("a", source=Source.ACCOUNTING, submitted_at=at(1)), new_job("b")]
        )
    ).created
    claimed = await store.claim("w1", limit=10, now=at(10))
    assert sorted(j.id for j in claimed) == sorted([crm, other])
    assert await store.claim("w2", limit=10, now=at(11)) == [], "the twin waits while its record is leased"
    await store.complete(crm, "w1", JobSuccess(), now=at(12))
    (next_job,) = await store.claim("w2", limit=10, now=at(13))
    assert next_job.id == acc


async def test_dependent_job_waits_for_its_dependency(store: SqliteJobStore) -> None:
    (account,) = (await store.enqueue([new_job("acct", submitted_at=at(5))])).created
    (invoice,) = (
        await store.enqueue([new_job("inv", entity=EntityType.INVOICE, depends_on=account, submitted_at=at(0))])
    ).created
    (first,) = await store.claim("w", limit=10, now=at(10))
    assert first.id == account, "the invoice is older but its account is still Queued"
    await store.fail(account, "w", JobFailure(ErrorClass.VALIDATION, "no name"), max_attempts=3, now=at(11))
    (second,) = await store.claim("w", limit=10, now=at(12))
    assert second.id == invoice and second.depends_on == account, "an ended dependency releases the job"


async def test_claim_filters_by_source_and_entity(store: SqliteJobStore) -> None:
    await store.enqueue(
        [
            new_job("a"),
            new_job("b", source=Source.ACCOUNTING),
            new_job("c", entity=EntityType.INVOICE),
        ]
    )
    got = await store.claim("w", limit=10, sources=[Source.ACCOUNTING], now=at(1))
    assert [j.crm_record_id for j in got] == ["b"]
    got = await store.claim("w", limit=10, entity_types=[EntityType.INVOICE], now=at(1))
    assert [j.crm_record_id for j in got] == ["c"]
    assert await store.claim("w", limit=0, now=at(1)) == []
    got = await store.claim("w", limit=10, now=at(1))
    assert [j.crm_record_id for j in got] == ["a"]


async def test_complete_records_success_and_an_attempt(store: SqliteJobStore) -> None:
    (job_id,) = (await store.enqueue([new_job("a")])).created
    await store.claim("w", now=at(1))
    done = await store.complete(
        job_id,
        "w",
        JobSuccess(accounting_id="58", qbo_entity="Customer", record_name="Renamed", message="created"),
        duration_ms=250,
        now=at(2),
    )
    assert done.link_status is LinkStatus.SUCCESS and done.processed_at == at(2)
    assert done.processed_count == 1 and done.accounting_id == "58" and done.qbo_entity == "Customer"
    assert done.record_name == "Renamed" and done.lease is None
    assert done.attempts == (), "the hot path does not reload history"
    (attempt,) = (await store.get(job_id)).attempts
    assert attempt.outcome is AttemptOutcome.SUCCESS and attempt.duration_ms == 250 and attempt.number == 1
    assert attempt.started_at == at(1.75) and attempt.worker == "w" and attempt.message == "created"
    with pytest.raises(LeaseLostError):
        await store.complete(job_id, "w", JobSuccess(), now=at(3))


async def test_retryable_failure_stays_queued_until_retry_at_then_errors(store: SqliteJobStore) -> None:
    (job_id,) = (await store.enqueue([new_job("a")])).created
    transient = JobFailure(ErrorClass.TRANSIENT, "429 Too Many Requests", "429", 429, retry_at=at(60))
    await store.claim("w", now=at(1))
    job = await store.fail(job_id, "w", transient, max_attempts=2, now=at(2))
    assert job.link_status is LinkStatus.QUEUED and job.next_attempt_at == at(60) and job.processed_count == 1
    assert job.error_class is ErrorClass.TRANSIENT and job.lease is None
    assert await store.claim("w", now=at(59)) == []
    await store.claim("w", now=at(60))
    job = await store.fail(job_id, "w", transient, max_attempts=2, now=at(61))
    assert job.link_status is LinkStatus.ERROR, "no attempts left"
    assert job.processed_count == 2 and job.error_description == "429 Too Many Requests" and job.error_code == "429"
    history = await store.attempts(job_id)
    assert [a.outcome for a in history] == [AttemptOutcome.RETRY, AttemptOutcome.ERROR]
    assert history[1].http_status == 429 and history[1].error_code == "429" and history[1].number == 2


async def test_non_retryable_or_unscheduled_failure_errors_at_once(store: SqliteJobStore) -> None:
    a, b = (await store.enqueue([new_job("a"), new_job("b")])).created
    await store.claim("w", limit=2, now=at(1))
    job = await store.fail(a, "w", JobFailure(ErrorClass.DUPLICATE, "dup name", retry_at=at(9)), max_attempts=5)
    assert job.link_status is LinkStatus.ERROR and job.error_class is ErrorClass.DUPLICATE
    job = await store.fail(b, "w", JobFailure(ErrorClass.TRANSIENT, "timeout"), max_attempts=5)
    assert job.link_status is LinkStatus.ERROR, "a transient failure without retry_at is not retried"


async def test_release_and_defer_do_not_count_attempts(store: SqliteJobStore) -> None:
    (job_id,) = (await store.enqueue([new_job("a")])).created
    await store.claim("w", now=at(1))
    await store.release(job_id, "w", reason="shutdown", now=at(2))
    job = await store.get(job_id)
    assert job.lease is None and job.processed_count == 0 and job.link_status is LinkStatus.QUEUED
    await store.claim("w", now=at(3))
    await store.defer(job_id, "w", until=at(100), reason="waiting for account", now=at(4))
    assert await store.claim("w", now=at(99)) == []
    job = await store.get(job_id)
    assert job.processed_count == 0 and job.next_attempt_at == at(100)
    assert [(a.outcome, a.message) for a in job.attempts] == [
        (AttemptOutcome.RELEASED, "shutdown"),
        (AttemptOutcome.WAITING, "waiting for account"),
    ]
    assert [c.kind for c in await store.changes_since(0)][-2:] == ["claimed", "deferred"]


async def test_unknown_jobs_raise_not_found(store: SqliteJobStore) -> None:
    with pytest.raises(JobNotFoundError, match="no job 42"):
        await store.get(42)
    with pytest.raises(JobNotFoundError):
        await store.complete(42, "w", JobSuccess())
    assert await store.get_many([42]) == []
    assert await store.attempts(42) == []


async def test_times_in_other_zones_are_stored_as_the_same_instant(store: SqliteJobStore) -> None:
    from datetime import timedelta, timezone

    local = at(0).astimezone(timezone(timedelta(hours=-5)))
    (job_id,) = (await store.enqueue([new_job("tz", submitted_at=local)])).created
    job = await store.get(job_id)
    assert job.submitted_at == at(0) and job.submitted_at.utcoffset() == timedelta(0)
