"""Newest-first free text reads the newest ids with LIKE before asking the trigram index (ops_read.page_after): the
page must be exactly the page the index path gives, wherever the matches lie."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from inolink_tui.domain.enums import EntityType, ErrorClass, LinkStatus, Source
from inolink_tui.domain.filters import JobFilter, JobSort
from inolink_tui.domain.jobs import JobFailure
from inolink_tui.store import ops_read
from inolink_tui.store.sqlite import SqliteJobStore
from tests.store.conftest import at, new_job


@pytest.fixture
async def store(tmp_path: Path) -> SqliteJobStore:
    store = await SqliteJobStore.open(tmp_path / "jobs.db")
    # Globex in every job up to 120, then in one job in 9: the newest ids hold few matches, the oldest many.
    names = ["Globex Ltd" if i <= 120 or i % 9 == 0 else f"Acme {i}" for i in range(1, 301)]
    await store.enqueue([new_job(f"r{i}", name=name) for i, name in enumerate(names, start=1)], now=at(1))
    return store


async def pages(store: SqliteJobStore, job_filter: JobFilter, limit: int, after_id: int | None) -> list[int]:
    after = await store.get(after_id) if after_id is not None else None
    return [j.id for j in await store.page_after(job_filter, JobSort(), after, limit=limit, now=at(2))]


@pytest.mark.parametrize("window", [10, 40, 100, 1000])
async def test_the_recent_window_gives_the_index_paths_page(
    store: SqliteJobStore, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    try:
        for text in ("globex", "acme", "gl", "nothing like it"):
            job_filter = JobFilter(text=text)
            for limit, after_id in ((5, None), (20, None), (5, 250), (30, 200), (10, 125), (50, 60)):
                monkeypatch.setattr(ops_read, "RECENT_TEXT_IDS", 0)  # the index path alone
                expected = await pages(store, job_filter, limit, after_id)
                monkeypatch.setattr(ops_read, "RECENT_TEXT_IDS", window)
                assert await pages(store, job_filter, limit, after_id) == expected, (text, limit, after_id)
    finally:
        await store.close()


async def test_a_full_window_answers_without_the_index(store: SqliteJobStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """The newest 45 ids hold 5 Globex jobs (261, 270, 279, 288, 297): a page of 4 comes from the window alone, and
    a page of 6 does not (the sixth newest is older than the window)."""
    monkeypatch.setattr(ops_read, "RECENT_TEXT_IDS", 45)
    answers: list[list[int] | None] = []
    real = ops_read._recent_text_page

    def spy(*args: object, **kwargs: object) -> object:
        found = real(*args, **kwargs)  # type: ignore[arg-type]
        answers.append(None if found is None else [j.id for j in found])
        return found

    monkeypatch.setattr(ops_read, "_recent_text_page", spy)
    try:
        assert await pages(store, JobFilter(text="globex"), 4, None) == [297, 288, 279, 270]
        assert await pages(store, JobFilter(text="globex"), 6, None) == [297, 288, 279, 270, 261, 252]
    finally:
        await store.close()
    assert answers == [[297, 288, 279, 270], None]


async def test_narrow_filters_leave_text_to_like_with_the_same_answer(
    store: SqliteJobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a view, status, entity or source that the tally says leaves few jobs, free text skips the trigram index
    (ops_read._where): pages and counts must match the index path's."""

    claimed = await store.claim("w", limit=40, lease_seconds=60, now=at(2))
    for job in claimed[:30]:
        await store.fail(
            job.id, "w", JobFailure(ErrorClass.VALIDATION, "Globex refused", "6240", 400), max_attempts=1, now=at(3)
        )
    monkeypatch.setattr(ops_read, "RECENT_TEXT_IDS", 0)
    filters = [
        JobFilter(text="globex", statuses=(LinkStatus.ERROR,)),
        JobFilter(text="refused", statuses=(LinkStatus.ERROR, LinkStatus.QUEUED)),
        JobFilter(text="acme", entity_types=(EntityType.ACCOUNT,), sources=(Source.CRM,)),
        JobFilter(text="1", statuses=(LinkStatus.ERROR,)),
        JobFilter(text="gl", statuses=(LinkStatus.QUEUED,)),
    ]
    try:
        for job_filter in filters:
            answers = []
            for scan_max in (0, 10_000):
                monkeypatch.setattr(ops_read, "LIKE_SCAN_MAX", scan_max)
                page = await pages(store, job_filter, 25, None)
                answers.append((page, await store.count(job_filter, now=at(4))))
            assert answers[0] == answers[1], job_filter
            with closing(sqlite3.connect(store.path)) as conn:
                where, narrow = ops_read._where(conn, job_filter, 0)  # LIKE_SCAN_MAX is 10,000 here
            assert narrow and "job_text" not in where.sql, job_filter
            assert answers[0][1] > 0 or job_filter.text == "gl", job_filter
    finally:
        await store.close()
