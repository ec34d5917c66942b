"""Why a job waits instead of running now (kept apart so the guard and the processor share it)."""

from __future__ import annotations


class Deferred(Exception):
    """The job must wait (for another record's job, a claim, or credentials); it stays Queued, uncounted."""

    def __init__(self, reason: str, seconds: float) -> None:
        super().__init__(reason)
        self.seconds = seconds
