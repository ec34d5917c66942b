"""Turning whatever a port raised into a classified JobFailure.

The connectors' ConnectorError, the engine's PortError and the mapping's MappingError are all a
`ClassifiedError`; anything else is an UNKNOWN failure (or transient, for timeouts and dropped
connections) that keeps its message.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.errors import ClassifiedError
from inolink_tui.domain.jobs import JobFailure


def error_class_of(exc: BaseException) -> ErrorClass:
    if isinstance(exc, ClassifiedError):
        return exc.error_class
    if isinstance(exc, TimeoutError | ConnectionError):
        return ErrorClass.TRANSIENT
    return ErrorClass.UNKNOWN


def backoff_seconds(attempt: int, *, base: float = 30.0, cap: float = 3600.0) -> float:
    """Exponential backoff with full jitter: 30 s, 60 s, 120 s ... capped at an hour."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))


def failure_from(
    exc: BaseException, *, now: datetime, attempt: int, backoff_base: float = 30.0, prefix: str = ""
) -> JobFailure:
    """A JobFailure with the hint as description; transient ones carry when to retry."""
    error_class = error_class_of(exc)
    classified = exc if isinstance(exc, ClassifiedError) else None
    text = (classified.describe() if classified else str(exc)) or type(exc).__name__
    status = classified.status if classified else None
    code = classified.code if classified else None
    retry_at = None
    if error_class.retryable:
        wait = classified.retry_after if classified else None
        seconds = wait if wait is not None else backoff_seconds(attempt, base=backoff_base)
        retry_at = now + timedelta(seconds=seconds)
    return JobFailure(
        error_class=error_class,
        description=f"{prefix}{text}",
        error_code=str(code) if code is not None else None,
        http_status=status if isinstance(status, int) else None,
        retry_at=retry_at,
    )
