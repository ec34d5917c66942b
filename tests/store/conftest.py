"""Fixtures for the store tests: a real SQLite file per test, and job builders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from inolink_tui.domain.enums import EntityType, Operation, Source
from inolink_tui.domain.jobs import NewJob
from inolink_tui.store.sqlite import SqliteJobStore

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed instant `seconds` after T0: tests move time by passing now=, never by sleeping."""
    return T0 + timedelta(seconds=seconds)


def new_job(
    crm_id: str = "rec-1",
    *,
    entity: EntityType = EntityType.ACCOUNT,
    source: Source = Source.CRM,
    name: str | None = None,
    company: str = "9130",
    by: str = "admin",
    submitted_at: datetime | None = T0,
    **kwargs: Any,
) -> NewJob:
    return NewJob(
        entity_type=entity,
        source=source,
        crm_record_id=crm_id,
        record_name=name if name is not None else f"Name {crm_id}",
        company=company,
        operation=kwargs.pop("operation", Operation.CREATE),
        submitted_by=by,
        submitted_at=submitted_at,
        **kwargs,
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "jobs.db"


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[SqliteJobStore]:
    s = await SqliteJobStore.open(db_path)
    try:
        yield s
    finally:
        await s.close()
