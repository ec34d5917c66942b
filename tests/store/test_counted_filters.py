"""Counts from the tally and pages walking bounded id ranges (schema v9) give the plain query's answer.

One small random store, shared by the module: jobs in several blocks of ids (the id sequence is moved ahead between
batches), Submitted At in id order for some batches and shuffled for others, five submitters in mixed case, three
companies; then completions, failures, retries, Inactive jobs, a requeue and deleted jobs (which leave job_blocks
wider than its jobs). Each random filter is answered by the store and by a plain evaluation of every job in Python.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, JobView, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import JobFailure, JobSuccess, LinkJob
from inolink_tui.store import submitted
from inolink_tui.store.codec import fold
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import T0, at, new_job

SUBMITTERS = ("Ana", "ana", "Bo", "ÄRGER", "zoë")
COMPANIES = ("9130", "4620", "77")
NAMES = ("Globex Ltd", "Acme Corp", "Initech", "Ärger GmbH")
START = T0 - timedelta(days=30)
NOW = T0 + timedelta(days=1)
T = TypeVar("T")


async def _build(path: Path) -> None:
    rng = random.Random(18)
    async with await SqliteJobStore.open(path) as store:
        serial = 0
        for batch, first_id in enumerate((1, 900, 2100, 2150, 4000, 9000)):
            conn = sqlite3.connect(path, isolation_level=None)
            conn.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'jobs'", (first_id - 1,))
            conn.close()
            times = sorted(START + timedelta(minutes=rng.randrange(60 * 24 * 30)) for _ in range(45))
            if batch % 2:
                rng.shuffle(times)  # Submitted At unrelated to the ids
            jobs = []
            for submitted_at in times:
                serial += 1
                jobs.append(
                    new_job(
                        f"r{serial}",
                        entity=rng.choice(list(EntityType)),
                        source=rng.choice(list(Source)),
                        name=f"{rng.choice(NAMES)} {serial}",
                        company=rng.choice(COMPANIES),
                        by=rng.choice(SUBMITTERS),
                        submitted_at=submitted_at,
                    )
                )
            await store.enqueue(jobs, now=T0)
        claimed = await store.claim("w", limit=150, lease_seconds=600, now=at(10))
        for k, job in enumerate(claimed):
            if k % 5 == 0:
                failure = JobFailure(ErrorClass.VALIDATION, "Duplicate Name Exists Error", "6240", 400)
                await store.fail(job.id, "w", failure, max_attempts=1, now=at(20))
            elif k % 7 == 0:
                retry = JobFailure(ErrorClass.TRANSIENT, "Too many requests", "429", 429, retry_at=at(30))
                await store.fail(job.id, "w", retry, max_attempts=3, now=at(20))
            elif k % 11 != 0:  # the rest stay leased: "processing"
                await store.complete(job.id, "w", JobSuccess(accounting_id=str(1000 + job.id)), now=at(20))
        everyone = [j.id for j in (await store.page(None, limit=1000)).jobs]
        await store.set_inactive("console:ops", everyone[::13], True, now=at(40))
        failed = [j.id for j in await store.page_after(JobFilter(view=JobView.FAILED), None, None, limit=5)]
        await store.requeue("console:ops", ids=failed[:3], now=at(50))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DELETE FROM jobs WHERE id % 17 = 3")  # as `db purge` does: job_blocks stays wider than its jobs
    conn.close()


@pytest.fixture(scope="module")
def path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("counted") / "jobs.db"
    asyncio.run(_build(path))
    return path


def _matches(job: LinkJob, f: JobFilter) -> bool:
    """The filter grammar's meaning, evaluated on one job (filters.py's docstring; no SQL)."""
    if f.view is JobView.ACTIVE and (job.inactive or job.link_status is LinkStatus.SUCCESS):
        return False
    if f.view is JobView.FAILED and (job.inactive or job.link_status is not LinkStatus.ERROR):
        return False
    if f.view is JobView.INACTIVE and not job.inactive:
        return False
    if f.statuses and job.link_status not in f.statuses:
        return False
    if f.entity_types and job.entity_type not in f.entity_types:
        return False
    if f.sources and job.source not in f.sources:
        return False
    if f.submitted_by and fold(job.submitted_by) not in {fold(b) for b in f.submitted_by}:
        return False
    if f.companies and job.company not in f.companies:
        return False
    if f.submitted_since is not None and job.submitted_at < f.submitted_since:
        return False
    if f.submitted_until is not None and job.submitted_at > f.submitted_until:
        return False
    text = fold(f.text.strip())
    return not text or any(text in fold(s) for s in (job.record_name, job.error_description, job.accounting_id))


def _filters(seed: int, count: int) -> Iterator[JobFilter]:
    rng = random.Random(seed)

    def some(values: Sequence[T], most: int = 2) -> tuple[T, ...]:
        return tuple(rng.sample(list(values), rng.choice([0, 0, 1, most])))

    def moment() -> datetime:
        return START + timedelta(hours=rng.randrange(24 * 31))

    for _ in range(count):
        since = moment() if rng.random() < 0.35 else None
        until = moment() if rng.random() < 0.35 else None
        yield JobFilter(
            view=rng.choice([JobView.ALL, JobView.ALL, JobView.ACTIVE, JobView.FAILED, JobView.INACTIVE]),
            statuses=some(list(LinkStatus)),
            entity_types=some(list(EntityType)),
            sources=some(list(Source), 1),
            submitted_by=some(("ANA", "bo", "ärger", "Zoë", "nobody")),
            companies=some((*COMPANIES, "none")),
            submitted_since=since,
            submitted_until=until,
            text=rng.choice(["", "", "", "globex", "ac", "duplicate"]),
        )


@pytest.mark.parametrize(
    ("walk_max", "probe"),
    [
        (submitted.WALK_MAX_IDS, submitted.PROBE),  # as shipped: these ids always walk
        (0, 10**9),  # any range wider than nothing is read from jobs_submitted
        (0, 0),  # every range is walked, however wide
    ],
)
async def test_counts_and_pages_match_a_plain_evaluation(
    path: Path, walk_max: int, probe: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(submitted, "WALK_MAX_IDS", walk_max)
    monkeypatch.setattr(submitted, "PROBE", probe)
    async with await SqliteJobStore.open(path, read_only=True) as store:
        everything = (await store.page(None, limit=10_000, now=NOW)).jobs
        assert 200 < len(everything) < 270
        nonempty = 0
        for f in _filters(seed=walk_max + probe, count=160):
            expected = sorted((j.id for j in everything if _matches(j, f)), reverse=True)
            nonempty += bool(expected)
            assert await store.count(f, now=NOW) == len(expected), f.describe()
            counts = await store.counts(f, now=NOW)
            assert counts.total == len(expected), f.describe()
            for status in LinkStatus:
                assert counts.by_status[status] == sum(
                    1 for j in everything if j.id in set(expected) and j.link_status is status
                ), f.describe()
            first = [j.id for j in await store.page_after(f, JobSort(), None, limit=7, now=NOW)]
            assert first == expected[:7], f.describe()
            if len(first) == 7:
                after = await store.get(first[-1])
                second = [j.id for j in await store.page_after(f, JobSort(), after, limit=7, now=NOW)]
                assert second == expected[7:14], f.describe()
            page = await store.page(f, JobSort(), offset=3, limit=5, with_total=True, now=NOW)
            assert [j.id for j in page.jobs] == expected[3:8] and page.total == len(expected), f.describe()
        assert nonempty > 40, "the random filters mostly select something"


async def test_counts_of_each_submitter_and_company_add_up(path: Path) -> None:
    async with await SqliteJobStore.open(path, read_only=True) as store:
        everything = (await store.page(None, limit=10_000, now=NOW)).jobs
        for by in ("ana", "BO", "Ärger", "zoë"):
            for company in COMPANIES:
                f = JobFilter(submitted_by=(by,), companies=(company,))
                want = sum(1 for j in everything if fold(j.submitted_by) == fold(by) and j.company == company)
                assert await store.count(f) == want
        assert await store.count(JobFilter(submitted_by=("ana",))) == sum(
            1 for j in everything if j.submitted_by in ("Ana", "ana")
        )


@pytest.mark.parametrize(
    ("straddling_max", "intervals_max"),
    [(submitted.STRADDLING_MAX, submitted.INTERVALS_MAX), (10**6, 10**6), (10**6, 1), (0, 0)],
)
async def test_submitted_counts_from_blocks_match(
    path: Path, straddling_max: int, intervals_max: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """since:/until: alone are counted from job_blocks (the blocks inside the range, the jobs of those straddling it);
    the store's deleted jobs were taken off their blocks' counts by the delete trigger."""
    monkeypatch.setattr(submitted, "STRADDLING_MAX", straddling_max)
    monkeypatch.setattr(submitted, "INTERVALS_MAX", intervals_max)
    rng = random.Random(straddling_max)
    others = _filters(seed=intervals_max, count=60)
    async with await SqliteJobStore.open(path, read_only=True) as store:
        everything = (await store.page(None, limit=10_000, now=NOW)).jobs
        for _ in range(60):
            since = START + timedelta(hours=rng.randrange(-24, 24 * 31)) if rng.random() < 0.7 else None
            until = START + timedelta(hours=rng.randrange(-24, 24 * 31)) if rng.random() < 0.7 else None
            f = JobFilter(submitted_since=since, submitted_until=until)
            expected = [j for j in everything if _matches(j, f)]
            assert await store.count(f, now=NOW) == len(expected), f.describe()
            # With other keys: runs of blocks wholly inside the range become id ranges each key's index reads.
            keyed = replace(next(others), submitted_since=since, submitted_until=until, text="")
            expected = [j for j in everything if _matches(j, keyed)]
            assert await store.count(keyed, now=NOW) == len(expected), keyed.describe()
