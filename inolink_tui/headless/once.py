"""`--once`: run each enabled service a single time and say with the exit status how it went.

For cron jobs and CI checks: 0 = no job ended in Error during the run, 1 = some did, 2 = the run could
not be trusted because of configuration or authorisation (the credentials must be fixed by a person;
rerunning will not help), 3 = another process holds the scheduler lease.
"""

from __future__ import annotations

import logging

from inolink_tui.headless.daemon import EXIT_CONFIG, EXIT_JOB_ERRORS, EXIT_OK, Daemon
from inolink_tui.headless.logging_json import log_event

log = logging.getLogger("inolink_tui.headless")


def once_exit_code(*, any_error: bool, auth_problems: int) -> int:
    """Authorisation beats job errors: a job that failed because the token was revoked is not the story."""
    if auth_problems:
        return EXIT_CONFIG
    return EXIT_JOB_ERRORS if any_error else EXIT_OK


async def run_once(daemon: Daemon) -> int:
    code, any_error = await daemon.run_once()
    if code != EXIT_OK:
        return code
    # The engine's answer and the Error events we saw should agree; trust either.
    any_error = any_error or daemon.job_errors > 0
    result = once_exit_code(any_error=any_error, auth_problems=daemon.auth_problems)
    log_event(
        log,
        "once_finished",
        {EXIT_OK: "run finished: no job ended in Error", EXIT_JOB_ERRORS: "run finished: some jobs ended in Error"}.get(
            result, "run finished: authorisation problems (see above)"
        ),
        exit_code=result,
        job_errors=daemon.job_errors,
        auth_problems=daemon.auth_problems,
    )
    return result
