"""`--once` says with its exit status whether it left jobs Queued (issue 12: it exited 0 with jobs waiting)."""

from __future__ import annotations

import pytest

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.headless.daemon import EXIT_JOB_ERRORS, EXIT_OK, Daemon, DaemonOptions
from inolink_tui.headless.once import EXIT_JOBS_QUEUED, run_once
from tests.headless.fakes import FakeEngine, FakeStore, job_event, make_job


@pytest.mark.parametrize(
    ("statuses", "result", "expected"),
    [
        ([LinkStatus.SUCCESS], False, EXIT_OK),
        ([LinkStatus.SUCCESS, LinkStatus.QUEUED], False, EXIT_JOBS_QUEUED),
        ([LinkStatus.ERROR, LinkStatus.QUEUED], True, EXIT_JOB_ERRORS),
    ],
)
async def test_once_exit_status_tells_jobs_left_queued(statuses: list[LinkStatus], result: bool, expected: int) -> None:
    store = FakeStore(jobs=[make_job(i + 1, status) for i, status in enumerate(statuses)])
    engine = FakeEngine(run_once_result=result)
    engine.once_events = [job_event(1, statuses[0])]
    options = DaemonOptions(install_signal_handlers=False, lease_ttl=5.0)
    assert await run_once(Daemon(engine, store, options)) == expected
