"""Console fixtures: a frozen clock, a deterministic in-memory store with jobs in every state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from inolink_tui.domain.enums import (
    SYNCED_ENTITY_TYPES,
    AttemptOutcome,
    ErrorClass,
    LinkStatus,
    Operation,
    Source,
)
from inolink_tui.domain.jobs import Attempt, Lease, LinkJob
from tests.fakes.memstore import MemoryStore

if TYPE_CHECKING:
    from inolink_tui.ui.app import InolinkApp

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)

ENTITIES = list(SYNCED_ENTITY_TYPES)  # six: with "every 7th is Error" each type gets some errors
USERS = ["admin", "j.doe", "svc-inolink"]


def frozen() -> datetime:
    return NOW


def make_job(index: int, **overrides: object) -> LinkJob:
    """Job `index` of a deterministic mix: every 7th is Error, every 5th Queued, the rest Success."""
    entity = ENTITIES[index % len(ENTITIES)]
    submitted = NOW - timedelta(minutes=5 * (200 - index))
    if index % 7 == 0:
        status = LinkStatus.ERROR
    elif index % 5 == 0:
        status = LinkStatus.QUEUED
    else:
        status = LinkStatus.SUCCESS
    error = status is LinkStatus.ERROR
    fields: dict[str, object] = {
        "id": index,
        "entity_type": entity,
        "link_status": status,
        "source": Source.CRM if index % 3 else Source.ACCOUNTING,
        "submitted_by": USERS[index % len(USERS)],
        "submitted_at": submitted,
        "processed_at": None if status is LinkStatus.QUEUED else submitted + timedelta(seconds=40),
        "accounting_id": None if status is not LinkStatus.SUCCESS else str(1000 + index),
        "processed_count": 0 if status is LinkStatus.QUEUED else (3 if error else 1),
        "error_description": (
            f"Duplicate Name Exists Error: The name supplied already exists. : Another customer uses 'Contoso {index}'"
            "\nQuickBooks code 6240"
            if error
            else None
        ),
        "company": "9130350",
        "crm_record_id": f"00000000-0000-0000-0000-{index:012d}",
        "record_name": f"Contoso {entity.value} {index}",
        "qbo_entity": "Customer",
        "operation": Operation.CREATE,
        "error_code": "6240" if error else None,
        "error_class": ErrorClass.DUPLICATE if error else None,
        "request_id": f"job-{index}",
        "updated_at": submitted,
        "payload": {"before": {"DisplayName": f"Contoso {index}"}, "after": {"DisplayName": f"Contoso Ltd {index}"}}
        if error
        else None,
        "attempts": (
            Attempt(index, 1, submitted + timedelta(seconds=30), 412, AttemptOutcome.ERROR, 400, "6240", "Duplicate"),
        )
        if error
        else (),
    }
    fields.update(overrides)
    return LinkJob(**fields)  # type: ignore[arg-type]


def fill(store: MemoryStore, count: int = 120) -> MemoryStore:
    for index in range(1, count + 1):
        store.put(make_job(index))
    # one job in flight
    in_flight = store.jobs[count - 1 if (count - 1) % 5 == 0 else 115]
    store.put(
        LinkJob(
            **{
                **{f: getattr(in_flight, f) for f in in_flight.__dataclass_fields__},
                "link_status": LinkStatus.QUEUED,
                "lease": Lease("worker-1", NOW + timedelta(seconds=30)),
                "processed_at": None,
                "accounting_id": None,
                "error_description": None,
                "error_class": None,
                "error_code": None,
                "attempts": (),
                "payload": None,
            }
        ),
        "claimed",
    )
    return store


@pytest.fixture
def clock() -> Callable[[], datetime]:
    return frozen


@pytest.fixture
def store() -> MemoryStore:
    return fill(MemoryStore(now=NOW))


async def settle(pilot: object, app: object, *, rounds: int = 150) -> None:
    """Wait (bounded) until the table has read its window and every action finished or awaits a dialog."""
    from textual.pilot import Pilot
    from textual.worker import WorkerState

    from inolink_tui.ui.app import InolinkApp

    assert isinstance(pilot, Pilot) and isinstance(app, InolinkApp)
    for _ in range(rounds):
        await pilot.pause(0.02)
        table = app.jobs.table
        busy = [
            w
            for w in app.workers
            if w.state in (WorkerState.PENDING, WorkerState.RUNNING)
            and not (w.group == "action" and app.screen is not app.jobs)
        ]
        # The key footer comes once the first rows are on screen (a frame after they are read): part of the start.
        footer = bool(app.jobs.query("FooterKey"))
        if table.loaded_once and not table._loading and table._pending is None and not busy and footer:
            await pilot.pause()
            return
    raise AssertionError(f"the console never settled: {[w.name for w in app.workers]}")


def make_app(store: MemoryStore, **kwargs: Any) -> InolinkApp:
    """The console on `store`: `engine` and `in_process` go to the app, every other keyword to ConsoleOptions."""
    from inolink_tui.ui.app import InolinkApp
    from inolink_tui.ui.options import ConsoleOptions

    engine, in_process = kwargs.pop("engine", None), kwargs.pop("in_process", False)
    kwargs.setdefault("now", frozen)
    kwargs.setdefault("actor", "console:tester")
    kwargs.setdefault("refresh_ms", 50)
    return InolinkApp(store, ConsoleOptions(**kwargs), engine=engine, in_process=in_process)
