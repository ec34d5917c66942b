"""QuickBooks `requestid`s derived from the job, so a write retried after a crash is replayed, not repeated.

QuickBooks replays the first response for a repeated requestid (per company). Deriving the id from
(scope, job id, purpose) instead of a random UUID means a worker that crashed after sending a create
sends the *same* id when the job is picked up again, and QuickBooks answers with the record it
already made. `scope` should identify the job database (e.g. its creation UUID): two databases
syncing one company must not share ids, or job 1 of a new database would get job 1's old answer.
"""

from __future__ import annotations

import uuid

NAMESPACE = uuid.UUID("5f0c5d9e-6a43-4a2e-9a1c-1b6f0e3f2d71")
MAX_LENGTH = 50


def request_id(job_id: int | str, purpose: str, *, scope: str = "") -> str:
    """A stable 36-character id for one write of one job (purpose e.g. "create-customer")."""
    if not purpose:
        raise ValueError("a requestid needs a purpose (which write of the job this is)")
    return str(uuid.uuid5(NAMESPACE, f"{scope}\x1f{job_id}\x1f{purpose}"))


def derived(base: str, step: str) -> str:
    """A different, still deterministic id for a follow-up write (e.g. the retry after a Stale Object)."""
    return str(uuid.uuid5(NAMESPACE, f"{base}\x1f{step}"))


def check(value: str) -> str:
    if not value or len(value) > MAX_LENGTH:
        raise ValueError(f"a QuickBooks requestid must be 1..{MAX_LENGTH} characters, got {len(value)}")
    return value
