"""Dataverse's error bodies, codes and messages, worded as the real service words them.

Clients branch on the hex `code` as well as the HTTP status (reference §14), so every failure the
simulator produces goes through `DataverseError` with a code from the table below; nothing else
builds error bodies. Messages keep the real service's quirks (two spaces after "occurred.").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

NOT_FOUND = "0x80040217"
ALT_KEY_NOT_FOUND = "0x80060891"
URL_NOT_PARSED = "0x80060888"
INVALID_ARGUMENT = "0x80040203"
VALIDATION = "0x80044331"
PAYLOAD = "0x80048d19"
PRIVILEGE_DENIED = "0x80040220"
VERSION_MISMATCH = "0x80060882"
DUPLICATE_RECORD = "0x80040237"
DUPLICATE_KEY = "0x80060892"
DUPLICATE_DETECTED = "0x80040333"
REQUESTS_EXCEEDED = "0x80072322"
EXECUTION_TIME_EXCEEDED = "0x80072321"
CONCURRENCY_EXCEEDED = "0x80072326"
# Not confirmed against the real service (reference §16): the SDK's text is known, the Web API code is not.
DELTA_TOKEN_EXPIRED = "0x80044352"
CHANGE_TRACKING_DISABLED = "0x80044351"
BATCH_TOO_LARGE = "0x8005f103"

_STATUS_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    429: "TooManyRequests",
    501: "NotImplemented",
}

_MESSAGE_NAMES = {
    NOT_FOUND: "ObjectDoesNotExist",
    PRIVILEGE_DENIED: "PrivilegeDenied",
    VERSION_MISMATCH: "ConcurrencyVersionMismatch",
    DUPLICATE_RECORD: "DuplicateRecord",
    DUPLICATE_KEY: "DuplicateRecordEntityKey",
    DUPLICATE_DETECTED: "DuplicateRecord",
    VALIDATION: "InvalidArgument",
    INVALID_ARGUMENT: "InvalidArgument",
}


def status_name(status: int) -> str:
    """The reason phrase Dataverse puts on status lines inside $batch (no spaces: `PreconditionFailed`)."""
    return _STATUS_NAMES.get(status, "OK" if status < 300 else "Error")


@dataclass
class DataverseError(Exception):
    """One failed operation: the HTTP status plus the `{"error": {"code", "message"}}` body."""

    status: int
    code: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(f"{self.status} {self.code}: {self.message}")

    def body(self, *, annotations: bool | Callable[[str], bool] = False) -> dict[str, Any]:
        """The JSON body; with `odata.include-annotations` the CDS error-detail keys are added.

        Learn "Compose HTTP requests and handle errors", "Include more details with errors"
        (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors):
        `...ErrorDetails.OperationStatus`, `...ErrorDetails.SubErrorCode`, `...HelpLink` (ending `&client=platform`),
        `...TraceText`, `...InnerError.Message`; the `ApiException*` keys are the reference notes' (§14, seen).
        `annotations` may be a predicate over annotation names (`Annotations.wants`), so a preference such as
        `Microsoft.PowerApps.CDS.ErrorDetails*` gets only those keys. Vague: OperationStatus and SubErrorCode are
        documented for plug-in exceptions; for platform errors the sandbox sends "0" (Failed) and "-2146233088"
        (the value seen in public error samples).
        """
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if not annotations:
            return {"error": error}
        wants = annotations if callable(annotations) else (lambda _term: True)
        details = "Microsoft.PowerApps.CDS.ErrorDetails."
        extra = {
            details + "ApiExceptionCategory": "ClientError" if self.status < 500 else "ServerError",
            details + "ApiExceptionMessageName": _MESSAGE_NAMES.get(self.code, status_name(self.status)),
            details + "ApiExceptionHttpStatusCode": str(self.status),
            details + "OperationStatus": "0",
            details + "SubErrorCode": "-2146233088",
            "Microsoft.PowerApps.CDS.HelpLink": (
                "http://go.microsoft.com/fwlink/?LinkID=398563&error=Microsoft.Crm.CrmException%3a"
                f"{self.code[2:]}&client=platform"
            ),
            "Microsoft.PowerApps.CDS.TraceText": "",
            "Microsoft.PowerApps.CDS.InnerError.Message": self.message,
        }
        error.update({f"@{term}": value for term, value in extra.items() if wants(term)})
        return {"error": error}


def not_found(logical_name: str, row_id: str) -> DataverseError:
    return DataverseError(404, NOT_FOUND, f"Entity '{logical_name}' With Id = {row_id} Does Not Exist")


def alt_key_not_found(logical_name: str, key_text: str) -> DataverseError:
    return DataverseError(
        404, ALT_KEY_NOT_FOUND, f"A record with the specified key values does not exist in {logical_name} entity"
    )


def segment_not_found(segment: str) -> DataverseError:
    return DataverseError(
        400,
        URL_NOT_PARSED,
        "URL was not parsed due to an ODataUnrecognizedPathException. "
        f"Resource not found for the segment '{segment}' provided in the URL.",
    )


def unknown_property(logical_name: str, name: str) -> DataverseError:
    """Unknown column in $select, $filter, $orderby (reference §9)."""
    return DataverseError(
        400,
        URL_NOT_PARSED,
        f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{logical_name}'.",
    )


def unknown_payload_property(logical_name: str, name: str) -> DataverseError:
    """Unknown column in a write body."""
    return DataverseError(
        400,
        PAYLOAD,
        f"The property '{name}' does not exist on type 'Microsoft.Dynamics.CRM.{logical_name}'. Make sure to only use "
        "property names that are defined by the type or mark the type as open type.",
    )


def bad_request(message: str, code: str = INVALID_ARGUMENT) -> DataverseError:
    return DataverseError(400, code, message)


def validation(message: str) -> DataverseError:
    return DataverseError(400, VALIDATION, f"A validation error occurred.  {message}")


def version_mismatch() -> DataverseError:
    return DataverseError(
        412, VERSION_MISMATCH, "The version of the existing record doesn't match the RowVersion property provided."
    )


def duplicate_record() -> DataverseError:
    return DataverseError(412, DUPLICATE_RECORD, "A record with matching key values already exists.")


def duplicate_key(key_display: str, key_name: str) -> DataverseError:
    return DataverseError(
        412,
        DUPLICATE_KEY,
        f"A record that has the attribute values {key_display} already exists. The entity key {key_name} requires "
        "that this set of attributes contains unique values. Select unique values and try again.",
    )


def duplicate_detected() -> DataverseError:
    return DataverseError(
        412,
        DUPLICATE_DETECTED,
        "A record was not created or updated because a duplicate of the current record already exists.",
    )


def privilege_denied(
    *, user_id: str, business_unit_id: str, privilege: str, entity: str, logical_name: str, otc: int
) -> DataverseError:
    """403 with the real message shape: which principal misses which `prv<Verb><Entity>` privilege."""
    return DataverseError(
        403,
        PRIVILEGE_DENIED,
        f"Principal user (Id={user_id}, type=8, roleCount=1, privilegeCount=0, accessMode=4, "
        f"MetadataCachePrivilegesCount=0, BusinessUnitId={business_unit_id}), is missing prv{privilege}{entity} "
        f"privilege (Id=00000000-0000-0000-0000-{otc:012d}) on OTC={otc} for entity '{logical_name}'. "
        f"Context: Method={privilege}, PrivilegeName=prv{privilege}{entity}",
    )
