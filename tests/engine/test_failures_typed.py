"""Failures are sorted by type: a ClassifiedError (connector, port or mapping) says what it is; nothing else does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from inolink_tui.connectors.errors import DataverseError
from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.errors import ClassifiedError, ErrorFacts, Service
from inolink_tui.domain.mapping import MappingError
from inolink_tui.engine.failures import error_class_of, failure_from
from inolink_tui.engine.ports import PortError

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def test_connector_port_and_mapping_errors_share_one_base() -> None:
    throttled = DataverseError(ErrorFacts(Service.DATAVERSE, 429, "0x80072322", "too many requests"))
    throttled.retry_after = 7.0
    for exc in (throttled, PortError(ErrorClass.REFERENCE, "no such item"), MappingError("Name is empty")):
        assert isinstance(exc, ClassifiedError)
    assert error_class_of(MappingError("Name is empty")) is ErrorClass.VALIDATION
    failure = failure_from(throttled, now=NOW, attempt=1)
    assert failure.error_class is throttled.error_class and failure.http_status == 429
    assert failure.error_code == "0x80072322"
    if throttled.error_class.retryable:
        assert failure.retry_at == NOW + timedelta(seconds=7)


def test_an_error_that_only_looks_classified_is_unknown() -> None:
    """Before: any exception with an `error_class` attribute was trusted (getattr)."""

    class LooksClassified(Exception):
        error_class = ErrorClass.DUPLICATE
        status = 400

    assert error_class_of(LooksClassified("x")) is ErrorClass.UNKNOWN
    failure = failure_from(LooksClassified("x"), now=NOW, attempt=1)
    assert failure.error_class is ErrorClass.UNKNOWN and failure.http_status is None
