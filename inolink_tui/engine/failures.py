"""Turning whatever a port raised into a classified JobFailure.

Works by attributes, not by type, so the connectors' ConnectorError and the engine's PortError are
read the same way; anything unexpected is an UNKNOWN failure that keeps its message.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.jobs import JobFailure
from inolink_tui.domain.mapping import MappingError


def error_class_of(exc: BaseException) -> ErrorClass:
    value = getattr(exc, "error_class", None)
    if isinstance(value, ErrorClass):
        return value
    if isinstance(exc, MappingError):
        return ErrorClass.VALIDATION
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
    describe = getattr(exc, "describe", None)
    text = describe() if callable(describe) else (getattr(exc, "hint", None) or str(exc) or type(exc).__name__)
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    retry_at = None
    if error_class.retryable:
        wait = getattr(exc, "retry_after", None)
        seconds = float(wait) if isinstance(wait, int | float) else backoff_seconds(attempt, base=backoff_base)
        retry_at = now + timedelta(seconds=seconds)
    return JobFailure(
        error_class=error_class,
        description=f"{prefix}{text}",
        error_code=str(code) if code is not None else None,
        http_status=status if isinstance(status, int) else None,
        retry_at=retry_at,
    )
