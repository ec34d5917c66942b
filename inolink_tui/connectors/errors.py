"""Typed exceptions of the connectors: every failure carries HTTP status, code, message and its class.

The engine stores `error_class`, `code`, `status` and `hint` on the job's attempt and shows `hint`
as the Error Description, so an operator reads advice rather than a stack trace.
"""

from __future__ import annotations

from inolink_tui.domain.enums import ErrorClass
from inolink_tui.domain.errors import Classification, ErrorFacts, Service, classify


class ConnectorError(Exception):
    """Base of everything the connectors raise on purpose."""

    def __init__(self, facts: ErrorFacts, *, trace_id: str | None = None) -> None:
        self.facts = facts
        self.trace_id = trace_id
        self.retry_after: float | None = None
        """Seconds the service asked us to wait (a 429's Retry-After or the backoff used), when it said so."""
        self.classification: Classification = classify(facts)
        super().__init__(self.describe())

    @property
    def service(self) -> Service:
        return self.facts.service

    @property
    def status(self) -> int | None:
        return self.facts.status

    @property
    def code(self) -> str | None:
        return self.facts.code

    @property
    def message(self) -> str:
        return self.facts.message

    @property
    def detail(self) -> str:
        return self.facts.detail

    @property
    def element(self) -> str | None:
        return self.facts.element

    @property
    def error_class(self) -> ErrorClass:
        return self.classification.error_class

    @property
    def retryable(self) -> bool:
        return self.classification.retryable

    @property
    def hint(self) -> str:
        return self.classification.hint

    def describe(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        code = f" code {self.code}" if self.code else ""
        raw = self.facts.detail or self.facts.message
        text = f"{self.facts.service.value} {status}{code}: {self.hint}"
        if raw and raw not in self.hint:
            text += f" ({raw})"
        return text

    def with_subject(self, subject: str) -> ConnectorError:
        """The same error re-classified knowing the record's name (for hints such as 6240's)."""
        facts = ErrorFacts(
            self.facts.service,
            self.facts.status,
            self.facts.code,
            self.facts.message,
            self.facts.detail,
            self.facts.element,
            subject,
        )
        return type(self)(facts, trace_id=self.trace_id)


class ApiError(ConnectorError):
    """The API answered with an error status."""


class DataverseError(ApiError):
    """An error answer from the Dataverse Web API ({"error": {"code", "message"}})."""


class QuickBooksError(ApiError):
    """An error answer from QuickBooks Online (a `Fault` or lower-case `fault` body, or none)."""


class TransportError(ConnectorError):
    """No usable answer: timeout or connection failure, after the retries ran out."""


class AuthError(ConnectorError):
    """A token could not be obtained (wrong secret, unknown tenant, refused refresh)."""


class ReauthorizationRequired(AuthError):
    """QuickBooks refused the refresh token (invalid_grant): only a person running `auth quickbooks` can fix it.

    Raised at once, without a network call, for every QuickBooks request until new tokens are saved,
    so the engine pauses QuickBooks-bound work instead of failing each job.
    """


class ProtocolError(ConnectorError):
    """The API answered with something we cannot read (e.g. a 200 with a body that is not the expected JSON)."""
