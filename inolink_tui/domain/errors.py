"""One table from (service, HTTP status, error code) to what an operator should do about it.

Both APIs report errors in their own dialects (Dataverse HRESULT hex codes, QuickBooks numeric Fault
codes, OAuth `error` strings). The engine, the console and the alerts must speak one language, so
every failure is reduced here to an `ErrorClass`, whether an automatic retry can help, and a hint
written for the person who has to fix it. Pure: no I/O, no HTTP library types.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from inolink_tui.domain.enums import ErrorClass


class SetupProblem(Exception):
    """Something a person must fix before the engine can run (a config error, refused credentials): rerunning
    will not help. The daemon ends with exit status 2 and one line on any of these."""


class ClassifiedError(Exception):
    """Base of every failure that knows what kind it is: the connectors' and the engine's errors.

    What the job store records of a failure (its class, the HTTP status, the service's own error code and how long
    the service asked us to wait), read by `isinstance` everywhere instead of by attribute probing.
    """

    def __init__(
        self,
        message: str,
        *,
        error_class: ErrorClass,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.status = status
        """The HTTP status the service answered with; None when there was no answer."""
        self.code = code
        """The service's own error code (a Dataverse HRESULT, a QuickBooks Fault code, an OAuth error)."""
        self.retry_after = retry_after
        """Seconds the service asked us to wait (a 429's Retry-After or the backoff used), when it said so."""

    @property
    def retryable(self) -> bool:
        return self.error_class.retryable

    def describe(self) -> str:
        """The one line an operator reads as the Error Description."""
        return str(self)


class Service(StrEnum):
    """Which remote side an error came from (token endpoints count as their API's service)."""

    DATAVERSE = "dataverse"
    QUICKBOOKS = "quickbooks"


@dataclass(frozen=True, slots=True)
class ErrorFacts:
    """What is known about one failure, as the connectors parsed it from the wire."""

    service: Service
    status: int | None
    code: str | None = None
    message: str = ""
    detail: str = ""
    element: str | None = None
    subject: str | None = None
    """The record's own name (e.g. a QuickBooks DisplayName) when the caller knows it, for the hint."""


@dataclass(frozen=True, slots=True)
class Classification:
    error_class: ErrorClass
    retryable: bool
    hint: str
    """One line for the Error Description: the advice when known, otherwise the raw message."""


@dataclass(frozen=True, slots=True)
class _Rule:
    service: Service
    status: int | None
    code: str | None
    error_class: ErrorClass
    retryable: bool
    hint: str | None
    """A `str.format` template over name, missing, element, message, detail; None keeps the raw message."""


_DV = Service.DATAVERSE
_QB = Service.QUICKBOOKS
_T, _A, _V, _D, _C, _R = (
    ErrorClass.TRANSIENT,
    ErrorClass.AUTH,
    ErrorClass.VALIDATION,
    ErrorClass.DUPLICATE,
    ErrorClass.CONFLICT,
    ErrorClass.REFERENCE,
)

REAUTHORIZE_QUICKBOOKS = (
    "Re-authorize QuickBooks: run `inolink-tui auth quickbooks` (the saved refresh token is no longer valid)"
)

RULES: tuple[_Rule, ...] = (
    # --- QuickBooks Online (Fault codes are strings of digits) and Intuit OAuth ---
    _Rule(
        _QB,
        None,
        "6240",
        _D,
        False,
        "A customer, vendor or employee named {name} already exists in QuickBooks (it may be inactive): "
        "rename the record or link it to the existing one",
    ),
    _Rule(
        _QB,
        None,
        "6140",
        _D,
        False,
        "The document number {name} is already used in QuickBooks: change the reference number or turn off "
        "the duplicate-number check",
    ),
    _Rule(
        _QB, None, "600", _D, False, "QuickBooks refused a repeated request id: the write may already have been done"
    ),
    _Rule(_QB, None, "630", _D, False, "QuickBooks says this object already exists: link the record to it"),
    _Rule(
        _QB,
        None,
        "5010",
        _C,
        False,
        "The record was changed in QuickBooks while it was being synced (stale SyncToken): re-read and requeue",
    ),
    _Rule(
        _QB,
        None,
        "610",
        _R,
        False,
        "{missing} is missing or inactive in QuickBooks: reactivate or create it, then requeue",
    ),
    _Rule(
        _QB,
        None,
        "2500",
        _R,
        False,
        "{missing} points to a record that is missing or inactive in QuickBooks: fix the reference, then requeue",
    ),
    _Rule(_QB, None, "700", _R, False, "The parent {missing} is not valid in QuickBooks: fix the parent, then requeue"),
    _Rule(_QB, None, "3001", _T, True, "QuickBooks is throttling requests (500 per minute per company): will retry"),
    _Rule(_QB, 429, None, _T, True, "QuickBooks is throttling requests (500 per minute per company): will retry"),
    _Rule(_QB, None, "10000", _T, True, "QuickBooks had an internal error: will retry"),
    _Rule(_QB, None, "3200", _A, False, "QuickBooks rejected the access token: it will be refreshed"),
    _Rule(_QB, 401, None, _A, False, "QuickBooks rejected the access token: it will be refreshed"),
    _Rule(
        _QB,
        None,
        "120",
        _A,
        False,
        "The QuickBooks user who connected the app is no longer an administrator: reconnect as an admin",
    ),
    _Rule(_QB, None, "100", _A, False, "QuickBooks refused the credentials: " + REAUTHORIZE_QUICKBOOKS),
    _Rule(_QB, None, "invalid_grant", _A, False, REAUTHORIZE_QUICKBOOKS),
    _Rule(
        _QB,
        None,
        "invalid_client",
        _A,
        False,
        "QuickBooks refused the client id or secret: check [quickbooks] client_id and client_secret",
    ),
    _Rule(_QB, None, "5020", _A, False, "The QuickBooks user lacks permission for this operation"),
    _Rule(_QB, None, "6190", _V, False, "The QuickBooks company's subscription has ended (the company is read-only)"),
    _Rule(_QB, None, "6200", _V, False, "The accounting period is closed in QuickBooks for this date"),
    _Rule(_QB, None, "6210", _V, False, "The accounting period is closed in QuickBooks for this date"),
    _Rule(_QB, None, "6070", _V, False, "A line's Amount differs from Qty x Unit Price: fix the line amounts"),
    _Rule(_QB, None, "6080", _V, False, "The record has no name: give it a name in CRM, then requeue"),
    _Rule(_QB, None, "2020", _V, False, "QuickBooks needs {element}, which is missing: fill it in, then requeue"),
    _Rule(_QB, None, "2050", _V, False, "{element} is too long for QuickBooks: {detail}"),
    _Rule(_QB, None, "1040", _V, False, "Too many items in one QuickBooks batch (at most 30)"),
    # --- Dataverse (HRESULT codes, lower-case hex) and Entra ID ---
    _Rule(
        _DV,
        None,
        "0x80060882",
        _C,
        False,
        "The CRM record was changed by someone else while it was being synced: re-read and requeue",
    ),
    _Rule(_DV, None, "0x80040237", _D, False, "A CRM record with the same key values already exists"),
    _Rule(_DV, None, "0x80060892", _D, False, "A CRM record with the same alternate key already exists"),
    _Rule(_DV, None, "0x80040333", _D, False, "A CRM duplicate-detection rule matched an existing record"),
    _Rule(_DV, None, "0x80040217", _R, False, "{missing} does not exist in CRM (it may have been deleted)"),
    _Rule(_DV, None, "0x80060891", _R, False, "{missing} does not exist in CRM (no row has that alternate key)"),
    _Rule(_DV, None, "0x80072322", _T, True, "Dynamics 365 is throttling requests (service protection): will retry"),
    _Rule(_DV, None, "0x80072321", _T, True, "Dynamics 365 is throttling requests (execution time): will retry"),
    _Rule(_DV, None, "0x80072326", _T, True, "Dynamics 365 is throttling requests (too many at once): will retry"),
    _Rule(_DV, 429, None, _T, True, "Dynamics 365 is throttling requests (service protection): will retry"),
    _Rule(
        _DV,
        401,
        None,
        _A,
        False,
        "Dynamics 365 rejected the access token: check the application user and [crm] tenant/client_id",
    ),
    _Rule(
        _DV,
        None,
        "0x80040220",
        _A,
        False,
        "The CRM application user lacks a privilege: give it a security role that allows this ({message})",
    ),
    _Rule(_DV, 403, None, _A, False, "The CRM application user is not allowed to do this: {message}"),
    _Rule(_DV, None, "aadsts7000215", _A, False, "The CRM client secret is wrong: check [crm] client_secret"),
    _Rule(_DV, None, "aadsts7000222", _A, False, "The CRM client secret has expired: create a new one in Entra ID"),
    _Rule(_DV, None, "aadsts90002", _A, False, "The Entra ID tenant was not found: check [crm] tenant"),
    _Rule(_DV, None, "aadsts700016", _A, False, "The CRM client id is unknown in this tenant: check [crm] client_id"),
    _Rule(_DV, None, "invalid_client", _A, False, "Entra ID refused the CRM client credentials: check [crm] settings"),
    _Rule(_DV, None, "0x80044352", _V, False, "The CRM change-tracking link expired: a full resync is needed"),
    _Rule(_DV, None, "0x80044351", _V, False, "Change tracking is not enabled for this CRM table: enable it"),
    _Rule(_DV, None, "0x8004418a", _V, False, "The request to CRM is too large"),
    _Rule(_DV, None, "0x80040265", _V, False, "A CRM plug-in refused the change: {message}"),
    _Rule(  # PicklistValueOutOfRange (Learn, "Web service error codes"): an org set up by an older version
        _DV,
        None,
        "0x8004431a",
        _V,
        False,
        "A CRM choice column lacks this option: run `inolink-tui crm setup` (or fix a value map): {message}",
    ),
    _Rule(_DV, 413, None, _V, False, "The request to CRM is too large"),
    _Rule(_DV, 405, None, _V, False, "CRM does not allow this operation: {message}"),
)

_INDEX: dict[tuple[Service, int | None, str | None], _Rule] = {(r.service, r.status, r.code): r for r in RULES}

TRANSPORT_CODES = frozenset({"timeout", "connection"})
"""Codes the connectors use for failures with no HTTP answer at all."""
BAD_BODY_CODE = "bad_json"
"""The code for an answer whose body cannot be read: JSON cut short or garbled, or a proxy's HTML page. The request
may well succeed when sent again, so it is transient (a body that parses but lacks a field is not: code bad_body)."""

_MISSING_PATTERNS = (
    re.compile(r"\b(?:Entity\s+)?'?(\w+)'?\s+With Id\s*=\s*([\w-]+)", re.IGNORECASE),
    re.compile(r"\b([A-Z]\w*Ref)\b"),
)


def normalize_code(code: str | int | None) -> str | None:
    """One spelling per code: Dataverse codes may arrive as hex, signed or unsigned decimal."""
    if code is None:
        return None
    if isinstance(code, int):
        return f"0x{code & 0xFFFFFFFF:08x}"
    text = code.strip()
    if not text:
        return None
    if re.fullmatch(r"-\d{6,}", text):
        return f"0x{int(text) & 0xFFFFFFFF:08x}"
    if text.lower().startswith("0x"):
        return text.lower()
    if text.upper().startswith("AADSTS"):
        return text.lower()
    return text


def _missing_object(facts: ErrorFacts) -> str:
    """Name what is missing as precisely as the error allows (the brief's "naming the missing object")."""
    if facts.element:
        return facts.element
    text = f"{facts.detail} {facts.message}"
    for pattern in _MISSING_PATTERNS:
        found = pattern.search(text)
        if found:
            return " ".join(g for g in found.groups() if g)
    return "A record it refers to (an account, customer, item, vendor or employee)"


class _Fallback(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _raw(facts: ErrorFacts) -> str:
    parts = [p for p in (facts.message.strip(), facts.detail.strip()) if p]
    if len(parts) == 2 and parts[1].startswith(parts[0]):
        parts = parts[1:]
    text = ": ".join(parts)
    return text or (f"HTTP {facts.status}" if facts.status else "unknown error")


def _find_rule(facts: ErrorFacts) -> _Rule | None:
    code = normalize_code(facts.code)
    for key in ((facts.service, facts.status, code), (facts.service, None, code), (facts.service, facts.status, None)):
        rule = _INDEX.get(key)
        if rule is not None:
            return rule
    return None


def classify(facts: ErrorFacts) -> Classification:
    """Look a failure up in `RULES`; unknown errors keep their raw message so nothing is lost."""
    code = normalize_code(facts.code)
    rule = _find_rule(facts)
    if rule is not None:
        if rule.hint is None:
            return Classification(rule.error_class, rule.retryable, _raw(facts))
        values = _Fallback(
            name=f'"{facts.subject}"' if facts.subject else "like this",
            missing=_missing_object(facts),
            element=facts.element or "a required field",
            message=facts.message.strip(),
            detail=facts.detail.strip() or facts.message.strip(),
        )
        return Classification(rule.error_class, rule.retryable, rule.hint.format_map(values))
    if code in TRANSPORT_CODES:
        return Classification(ErrorClass.TRANSIENT, True, f"No answer from {facts.service.value}: {_raw(facts)}")
    if code == BAD_BODY_CODE:
        return Classification(
            ErrorClass.TRANSIENT, True, f"Unreadable answer from {facts.service.value}, will retry: {_raw(facts)}"
        )
    status = facts.status
    if status is not None and (status >= 500 or status in (408, 429)):
        return Classification(ErrorClass.TRANSIENT, True, _raw(facts))
    if status == 401:
        return Classification(ErrorClass.AUTH, False, _raw(facts))
    if status == 404:
        return Classification(ErrorClass.REFERENCE, False, _raw(facts))
    if status == 400 and facts.service is Service.QUICKBOOKS and code and code.isdigit():
        number = int(code)
        if 2000 <= number < 2300 or 4000 <= number <= 4002 or 6000 <= number < 7000:
            return Classification(ErrorClass.VALIDATION, False, _raw(facts))
    if status == 400 and facts.service is Service.DATAVERSE:
        return Classification(ErrorClass.VALIDATION, False, _raw(facts))
    return Classification(ErrorClass.UNKNOWN, False, _raw(facts))
