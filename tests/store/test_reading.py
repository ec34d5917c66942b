"""Filters, views, free text (with hostile strings), counts, and offset vs keyset paging."""

from __future__ import annotations

import random

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, JobView, LinkStatus, Source
from inolink_tui.domain.filters import SORTABLE_COLUMNS, JobFilter, JobSort, parse_filter
from inolink_tui.domain.jobs import JobFailure, JobSuccess, LinkJob
from inolink_tui.store.sqlfilter import sort_value
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import at, new_job

HOSTILE = [
    'O\'Brien "Ltd"',
    "back\\slash\\\\double",
    "100% sure",
    "under_score",
    "%_\\",
    "Ünïcödé ÄRGER straße",
    "emoji 🚀🔥 party",
    "RTL עברית العربية",
    "multi\nline\r\nname",
    "ctrl \x01\x07\x1b[31m\x7f chars",
    "x" * 4000,
    "'; DROP TABLE jobs; --",
]


async def _mixed(store: SqliteJobStore, n: int = 240) -> list[LinkJob]:
    """`n` jobs across statuses, entities, sources, submitters, companies, with NULL and non-NULL columns."""
    rng = random.Random(7)
    entities = list(EntityType)
    jobs = [
        new_job(
            f"r{i}",
            entity=entities[i % len(entities)],
            source=Source.CRM if i % 3 else Source.ACCOUNTING,
            name=rng.choice(["Acme", "acme corp", "Zeta", "Ωmega", "beta"]) + f" {i % 17}",
            by=rng.choice(["Admin", "ops", "sync"]),
            company=rng.choice(["9130", "4620"]),
            submitted_at=at(rng.randrange(0, 50)),
        )
        for i in range(n)
    ]
    ids = (await store.enqueue(jobs)).created
    claimed = await store.claim("w", limit=n, lease_seconds=10_000, now=at(100))
    for job in claimed:
        if job.id % 4 == 0:
            await store.complete(job.id, "w", JobSuccess(accounting_id=str(job.id * 7 % 101)), now=at(job.id))
        elif job.id % 4 == 1:
            cls = ErrorClass.DUPLICATE if job.id % 3 else ErrorClass.VALIDATION
            await store.fail(job.id, "w", JobFailure(cls, f"Error {job.id % 5}"), max_attempts=1, now=at(job.id))
        elif job.id % 4 == 2:
            await store.release(job.id, "w", now=at(100))
        # id % 4 == 3 stays leased ("processing")
    await store.set_inactive("ops", [i for i in ids if i % 10 == 1], True)
    return await store.get_many(ids)


def _expected(jobs: list[LinkJob], pred: object) -> list[int]:
    return sorted((j.id for j in jobs if pred(j)), reverse=True)  # type: ignore[operator]


async def test_filters_select_what_they_say(store: SqliteJobStore) -> None:
    jobs = await _mixed(store)
    now = at(150)
    cases: list[tuple[JobFilter, object]] = [
        (JobFilter(), lambda j: True),
        (JobFilter(statuses=(LinkStatus.ERROR, LinkStatus.SUCCESS)), lambda j: j.link_status != LinkStatus.QUEUED),
        (JobFilter(entity_types=(EntityType.INVOICE,)), lambda j: j.entity_type is EntityType.INVOICE),
        (JobFilter(sources=(Source.ACCOUNTING,)), lambda j: j.source is Source.ACCOUNTING),
        (JobFilter(error_classes=(ErrorClass.DUPLICATE,)), lambda j: j.error_class is ErrorClass.DUPLICATE),
        (JobFilter(submitted_by=("ADMIN", "Ops")), lambda j: j.submitted_by.lower() in ("admin", "ops")),
        (JobFilter(companies=("4620",)), lambda j: j.company == "4620"),
        (JobFilter(ids=(3, 5, 999)), lambda j: j.id in (3, 5)),
        (JobFilter(submitted_since=at(10), submitted_until=at(20)), lambda j: at(10) <= j.submitted_at <= at(20)),
        (JobFilter(view=JobView.ACTIVE), lambda j: not j.inactive and j.link_status is not LinkStatus.SUCCESS),
        (JobFilter(view=JobView.FAILED), lambda j: not j.inactive and j.link_status is LinkStatus.ERROR),
        (JobFilter(view=JobView.INACTIVE), lambda j: j.inactive),
        (JobFilter(processing=True), lambda j: j.in_flight(now)),
        (JobFilter(processing=False), lambda j: not j.in_flight(now)),
        (JobFilter(text="ACME"), lambda j: "acme" in j.record_name.lower()),
        (JobFilter(text="ωMEGA"), lambda j: "ωmega" in j.record_name.casefold()),
        (JobFilter(text="error 3"), lambda j: "error 3" in (j.error_description or "").lower()),
        (JobFilter(text="14"), lambda j: j.id == 14 or "14" in j.record_name or "14" in (j.accounting_id or "")),
        (
            JobFilter(view=JobView.ACTIVE, sources=(Source.CRM,), entity_types=(EntityType.ACCOUNT,)),
            lambda j: (
                not j.inactive
                and j.link_status is not LinkStatus.SUCCESS
                and j.source is Source.CRM
                and j.entity_type is EntityType.ACCOUNT
            ),
        ),
    ]
    for flt, pred in cases:
        want = _expected(jobs, pred)
        got = [j.id for j in (await store.page(flt, limit=1000, now=now)).jobs]
        assert got == want, flt.describe()
        assert await store.count(flt, now=now) == len(want), flt.describe()
        counts = await store.counts(flt, now=now)
        assert counts.total == len(want), flt.describe()
        assert sum(counts.by_status.values()) == sum(counts.by_entity.values()) == len(want)
        assert counts.processing == len(_expected(jobs, lambda j, p=pred: p(j) and j.in_flight(now)))  # type: ignore[misc]
    assert any(j.in_flight(now) for j in jobs) and any(j.inactive for j in jobs), "the data exercises both"


async def test_counts_by_status_entity_source(store: SqliteJobStore) -> None:
    jobs = await _mixed(store, 60)
    counts = await store.counts(now=at(150))
    assert counts.total == 60
    for status in LinkStatus:
        assert counts.by_status[status] == sum(j.link_status is status for j in jobs)
    for entity in EntityType:
        assert counts.by_entity[entity] == sum(j.entity_type is entity for j in jobs)
    for source in Source:
        assert counts.by_source[source] == sum(j.source is source for j in jobs)
    assert counts.processing == sum(j.in_flight(at(150)) for j in jobs) > 0
    assert (await store.counts(now=at(100_000))).processing == 0, "expired leases are not processing"


@pytest.mark.parametrize("column", SORTABLE_COLUMNS)
async def test_offset_and_keyset_paging_agree_for_every_sort(store: SqliteJobStore, column: str) -> None:
    jobs = await _mixed(store, 90)
    flt = JobFilter(view=JobView.ALL)
    for descending in (True, False):
        sort = JobSort(column, descending)
        want = [j.id for j in sorted(jobs, key=lambda j: (sort_value(j, column), j.id), reverse=descending)]
        by_offset: list[int] = []
        for offset in range(0, 100, 13):
            page = await store.page(flt, sort, offset=offset, limit=13, with_total=True)
            assert page.offset == offset and page.total == 90
            by_offset += [j.id for j in page.jobs]
        by_keyset: list[int] = []
        after: LinkJob | None = None
        for _ in range(20):
            chunk = await store.page_after(flt, sort, after, limit=13)
            if not chunk:
                break
            by_keyset += [j.id for j in chunk]
            after = chunk[-1]
        assert by_offset == by_keyset == want, f"{column} {'desc' if descending else 'asc'}"


async def test_hostile_strings_round_trip_and_filter_exactly(store: SqliteJobStore) -> None:
    ids = (
        await store.enqueue(
            [new_job(f"h{i}", name=text, by=text[:50]) for i, text in enumerate(HOSTILE)] + [new_job("plain")]
        )
    ).created
    claimed = await store.claim("w", limit=100, now=at(1))
    for job in claimed:
        index = ids.index(job.id)
        if index < len(HOSTILE):
            failure = JobFailure(ErrorClass.VALIDATION, HOSTILE[index], error_code=HOSTILE[index][:20])
            await store.fail(job.id, "w", failure, max_attempts=1, now=at(2))
    for index, text in enumerate(HOSTILE):
        job = await store.get(ids[index])
        assert job.record_name == text and job.error_description == text and job.submitted_by == text[:50]
        found = [j.id for j in (await store.page(JobFilter(text=text), limit=100)).jobs]
        contains = [ids[k] for k, other in enumerate(HOSTILE) if text.casefold() in other.casefold()]
        assert sorted(found) == sorted(contains), repr(text[:40])
        assert await store.count(JobFilter(submitted_by=(text[:50],))) == 1, repr(text[:40])
    assert await store.count(JobFilter(submitted_by=("ÜNÏCÖDÉ ÄRGER STRASSE",))) == 1, "by: folds case"
    assert sorted(j.id for j in (await store.page(JobFilter(text="%"))).jobs) == [ids[2], ids[4]], "% is literal"
    assert sorted(j.id for j in (await store.page(JobFilter(text="_"))).jobs) == [ids[3], ids[4]]
    assert sorted(j.id for j in (await store.page(JobFilter(text="\\"))).jobs) == [ids[1], ids[4]]
    assert [j.id for j in (await store.page(JobFilter(text="STRASSE"))).jobs] == [ids[5]], "Unicode case folding"
    assert await store.count() == len(HOSTILE) + 1, "the SQL-looking name dropped nothing"


async def test_parsed_filter_line_works_against_the_store(store: SqliteJobStore) -> None:
    await _mixed(store, 60)
    flt = parse_filter('status:error entity:account "acme corp"', at(200))
    page = await store.page(flt, limit=100, with_total=True)
    assert page.total == len(page.jobs)
    assert all(j.link_status is LinkStatus.ERROR and "acme corp" in j.record_name for j in page.jobs)


async def test_page_validates_its_window(store: SqliteJobStore) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        await store.page(offset=-1)
    with pytest.raises(ValueError):
        JobSort("payload")
    assert (await store.page(limit=0)).jobs == ()


async def test_jobs_for_record_newest_first(store: SqliteJobStore) -> None:
    (first,) = (await store.enqueue([new_job("ABC")])).created
    await store.claim("w", now=at(1))
    await store.complete(first, "w", JobSuccess(), now=at(2))
    (second,) = (await store.enqueue([new_job("abc")])).created
    assert [j.id for j in await store.jobs_for_record(EntityType.ACCOUNT, "Abc")] == [second, first]
    assert await store.jobs_for_record(EntityType.CONTACT, "abc") == []
    assert (await store.open_job_for(EntityType.ACCOUNT, "abc", Source.CRM)).id == second  # type: ignore[union-attr]
    assert await store.open_job_for(EntityType.ACCOUNT, "abc", Source.ACCOUNTING) is None


async def test_text_index_follows_edits(store: SqliteJobStore) -> None:
    a, b = (await store.enqueue([new_job("a", name="Old Name Ltd"), new_job("b", name="Other")])).created
    await store.claim("w", limit=2, now=at(1))
    await store.complete(a, "w", JobSuccess(record_name="Fresh Name Corp", accounting_id="QB-7781"), now=at(2))
    await store.fail(b, "w", JobFailure(ErrorClass.REFERENCE, "Invalid Reference Id: Customer 99"), max_attempts=1)

    async def found(text: str) -> list[int]:
        return [j.id for j in (await store.page(JobFilter(text=text))).jobs]

    assert await found("fresh name") == [a] and await found("old name") == []
    assert await found("qb-7781") == [a] and await found("7781") == [a]
    assert await found("reference id: customer") == [b]
    await store.mark_error("ops", [], reason="unused")
    await store.requeue("ops", ids=[b])
    assert await found("reference id") == [b], "requeue keeps the last error visible and searchable"
