"""Typed exceptions of the connectors: every failure carries HTTP status, code, message and its class.

The engine stores `error_class`, `code`, `status` and `hint` on the job's attempt and shows `hint`
as the Error Description, so an operator reads advice rather than a stack trace.
"""

from __future__ import annotations

from inolink_tui.domain.errors import Classification, ClassifiedError, ErrorFacts, Service, SetupProblem, classify


class ConnectorError(ClassifiedError):
    """Base of everything the connectors raise on purpose."""

    def __init__(self, facts: ErrorFacts, *, trace_id: str | None = None) -> None:
        self.facts = facts
        self.trace_id = trace_id
        self.classification: Classification = classify(facts)
        super().__init__(
            _describe(facts, self.classification),
            error_class=self.classification.error_class,
            status=facts.status,
            code=facts.code,
        )

    @property
    def service(self) -> Service:
        return self.facts.service

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
    def retryable(self) -> bool:
        return self.classification.retryable

    @property
    def hint(self) -> str:
        return self.classification.hint

    def describe(self) -> str:
        return _describe(self.facts, self.classification)

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


class AuthError(ConnectorError, SetupProblem):
    """A token could not be obtained (wrong secret, unknown tenant, refused refresh)."""


class ReauthorizationRequired(AuthError):
    """QuickBooks refused the refresh token (invalid_grant): only a person running `auth quickbooks` can fix it.

    Raised at once, without a network call, for every QuickBooks request until new tokens are saved,
    so the engine pauses QuickBooks-bound work instead of failing each job.
    """


class ProtocolError(ConnectorError):
    """The API answered with something we cannot read (e.g. a 200 with a body that is not the expected JSON)."""


def _describe(facts: ErrorFacts, classification: Classification) -> str:
    status = f"HTTP {facts.status}" if facts.status is not None else "no response"
    code = f" code {facts.code}" if facts.code else ""
    raw = facts.detail or facts.message
    text = f"{facts.service.value} {status}{code}: {classification.hint}"
    if raw and raw not in classification.hint:
        text += f" ({raw})"
    return text
