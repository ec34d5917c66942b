"""`--once`: run each enabled service a single time and say with the exit status how it went.

For cron jobs and CI checks: 0 = no job ended in Error during the run, 1 = some did, 2 = the run could
not be trusted because of configuration or authorisation (the credentials must be fixed by a person;
rerunning will not help), 3 = another process holds the scheduler lease on this database, or another engine
(any database, any machine) holds the sync lease of this Dynamics org and QuickBooks company, 4 = no job ended
in Error but some are still Queued (waiting for a job that did not run, or for a retry later than this run).
"""

from __future__ import annotations

import logging

from inolink_tui.domain.enums import LinkStatus
from inolink_tui.domain.filters import JobFilter
from inolink_tui.headless.daemon import EXIT_CONFIG, EXIT_JOB_ERRORS, EXIT_OK, Daemon
from inolink_tui.headless.logging_json import log_event

log = logging.getLogger("inolink_tui.headless")

EXIT_JOBS_QUEUED = 4
"""--once: no job ended in Error, but jobs are left Queued (the run ended within its budget without them)."""


def once_exit_code(*, any_error: bool, auth_problems: int, queued: int = 0) -> int:
    """Authorisation beats job errors, and errors beat jobs left waiting: the most urgent story wins."""
    if auth_problems:
        return EXIT_CONFIG
    if any_error:
        return EXIT_JOB_ERRORS
    return EXIT_JOBS_QUEUED if queued else EXIT_OK


async def run_once(daemon: Daemon) -> int:
    code, any_error = await daemon.run_once()
    if code != EXIT_OK:
        return code
    # The engine's answer and the Error events we saw should agree; trust either.
    any_error = any_error or daemon.job_errors > 0
    queued = (await daemon.store.counts(JobFilter(statuses=(LinkStatus.QUEUED,)))).total
    result = once_exit_code(any_error=any_error, auth_problems=daemon.auth_problems, queued=queued)
    log_event(
        log,
        "once_finished",
        {
            EXIT_OK: "run finished: no job ended in Error",
            EXIT_JOB_ERRORS: "run finished: some jobs ended in Error",
            EXIT_JOBS_QUEUED: f"run finished: no job ended in Error, {queued} left Queued (see their attempts)",
        }.get(result, "run finished: authorisation problems (see above)"),
        exit_code=result,
        job_errors=daemon.job_errors,
        auth_problems=daemon.auth_problems,
        queued=queued,
    )
    return result
