"""QuickBooks Online faults: the exception the API code raises and the bodies the wire carries.

Validation and business errors are HTTP 400 `{"Fault": ..., "time": ...}` with `application/json`
(no charset); the 401 has its own lower-case body with epoch-millisecond `time` (reference §11).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class QboFault(Exception):
    code: str
    message: str
    detail: str
    element: str | None = None
    status: int = 400
    fault_type: str = "ValidationFault"

    def __post_init__(self) -> None:
        super().__init__(f"{self.code} {self.message}: {self.detail}")

    def fault_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"Message": self.message, "Detail": self.detail, "code": self.code}
        if self.element is not None:
            error["element"] = self.element
        return {"Error": [error], "type": self.fault_type}


def stale_object(entity: str) -> QboFault:
    return QboFault(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and sandbox.admin were working on this at the same time. "
        "sandbox.admin finished before you did, so your work was not saved.",
        element="",
    )


def object_not_found(deleted: bool = False) -> QboFault:
    if deleted:
        detail = "Object Not Found : Another user has deleted this transaction."
    else:
        detail = (
            "Object Not Found : Something you're trying to use has been made inactive. "
            "Check the fields with accounts, customers, items, vendors or employees."
        )
    return QboFault("610", "Object Not Found", detail, element="")


def invalid_id(value: object) -> QboFault:
    return QboFault("2030", "Invalid ID", f"Id should be a valid number. Supplied value:{value}", element="Id")


def required(name: str) -> QboFault:
    return QboFault(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        element=name,
    )


def unknown_property(entity: str, name: str) -> QboFault:
    return QboFault(
        "2010",
        "Request has invalid or unsupported property",
        f'Property Name:Unrecognized field "{name}" (class com.intuit.schema.finance.v3.{entity}), '
        "not marked as ignorable",
        element="",
    )


def invalid_reference(entity: str, ref: str, value: str) -> QboFault:
    return QboFault(
        "2500",
        "Invalid Reference Id",
        f"Invalid Reference Id : {entity}s element id {value} not found",
        element=ref,
    )


def duplicate_name(documented: bool = True) -> QboFault:
    detail = (
        "The name supplied already exists. : Another customer, vendor or employee is already using this name. "
        "Please use a different name."
        if documented
        else "The name supplied already exists. : null"
    )
    return QboFault("6240", "Duplicate Name Exists Error", detail)


def string_length(name: str, maximum: int, supplied: int) -> QboFault:
    return QboFault(
        "2050",
        "String length is either shorter or longer than supported by specification",
        f"String length specified does not match the supported length. Min:0 Max:{maximum} supported. "
        f"Supplied length:{supplied}",
        element=name,
    )


def business(detail: str, code: str = "6000", element: str | None = None) -> QboFault:
    return QboFault(
        code,
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        element=element,
    )


def unsupported(detail: str) -> QboFault:
    return QboFault("500", "Unsupported Operation", detail)


def unsupported_path(path: str, full_url: str) -> QboFault:
    return unsupported(
        f"Operation Could not find resource for relative : {path} of full path: {full_url} is not supported."
    )


def malformed_body(entity: str, problem: str) -> QboFault:
    return QboFault(
        "2010",
        "Request has invalid or unsupported property",
        f"Property Name:Can not parse the request body for {entity}: {problem}",
        element="",
    )


def scope_failure_body(epoch_ms: int) -> dict[str, Any]:
    """403 / 3100: a token without the accounting scope. The same lower-case envelope as the 401, captured in
    Intuit's own sample (github.com/IntuitDeveloper/QBOConceptsTutorial-PHP/issues/13: "The access token does
    not have sufficient scope", code 3100, type SERVICE) and by client libraries (github.com/minimul/qbo_api/
    issues/138, frappe/erpnext#29161: "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403").
    """
    body = auth_failure_body("The access token does not have sufficient scope", epoch_ms)
    body["fault"] = {
        "error": [
            {
                "message": "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                "detail": "The access token does not have sufficient scope",
                "code": "3100",
                "element": None,
            }
        ],
        "type": "SERVICE",
    }
    return body


def auth_failure_body(detail: str, epoch_ms: int) -> dict[str, Any]:
    """The captured lower-case 401 body, null siblings and all."""
    return {
        "warnings": None,
        "intuitObject": None,
        "fault": {
            "error": [
                {
                    "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                    "detail": detail,
                    "code": "3200",
                    "element": None,
                }
            ],
            "type": "AUTHENTICATION",
        },
        "report": None,
        "queryResponse": None,
        "batchItemResponse": [],
        "attachableResponse": [],
        "syncErrorResponse": None,
        "requestId": None,
        "time": epoch_ms,
        "status": None,
        "cdcresponse": [],
    }
