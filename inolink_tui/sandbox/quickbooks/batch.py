"""`POST /batch`: up to 30 independent items, each answered on its own, HTTP 200 overall (reference §9).

Item faults carry no `time`; only the envelope does. Clients must correlate by `bId`, so answers keep
request order but nothing depends on it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import spec_for
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.query import run_query

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

MAX_BID_WITH_REQUESTID = 10


def batch_items(body: Any) -> list[Any]:
    """The item list, or the whole-request fault when the body is not a batch."""
    if not isinstance(body, dict) or not isinstance(body.get("BatchItemRequest"), list):
        raise errors.required("BatchItemRequest")
    items: list[Any] = body["BatchItemRequest"]
    return items


def too_many(count: int, limit: int) -> QboFault:
    return QboFault(
        "1040",
        "Batch size exceeds allowed limit",
        f"Batch size exceeds allowed limit. Maximum allowed:{limit}, Requested:{count}",
    )


def run_batch(
    state: QboState,
    items: list[Any],
    *,
    with_requestid: bool,
    write: Callable[[str, str, dict[str, Any], str | None], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Answer each item; `write(entity, operation, body, options_data)` performs one write."""
    answers: list[dict[str, Any]] = []
    seen: set[str] = set()
    try:
        for item in items:
            answers.append(_answer(state, item, seen, with_requestid, write))
    finally:
        state.unseen.clear()
    return answers


def _answer(
    state: QboState,
    item: Any,
    seen: set[str],
    with_requestid: bool,
    write: Callable[[str, str, dict[str, Any], str | None], dict[str, Any]],
) -> dict[str, Any]:
    bid = item.get("bId") if isinstance(item, dict) else None
    try:
        if not isinstance(item, dict):
            raise errors.malformed_body("BatchItemRequest", "each item must be an object")
        if not isinstance(bid, str) or not bid:
            raise errors.required("bId")
        if bid in seen:
            raise QboFault("2020", "Duplicate bId", f"bId {bid} is used by more than one item", element="bId")
        seen.add(bid)
        if with_requestid and len(bid) > MAX_BID_WITH_REQUESTID:
            raise errors.string_length("bId", MAX_BID_WITH_REQUESTID, len(bid))
        result = _one(state, item, write)
    except QboFault as fault:
        answer: dict[str, Any] = {"Fault": fault.fault_json()}
        if isinstance(bid, str):
            answer["bId"] = bid
        return answer
    if item.get("operation") == "create":
        for name, record in result.items():
            state.unseen.add((name, str(record["Id"])))
    return {**result, "bId": bid}


def _one(
    state: QboState,
    item: dict[str, Any],
    write: Callable[[str, str, dict[str, Any], str | None], dict[str, Any]],
) -> dict[str, Any]:
    if "Query" in item:
        return {"QueryResponse": run_query(state, str(item["Query"]))}
    entity_keys = [k for k in item if k not in ("bId", "operation", "optionsData")]
    if len(entity_keys) != 1:
        raise errors.malformed_body("BatchItemRequest", "each item needs exactly one entity or a Query")
    spec = spec_for(entity_keys[0])
    if spec is None or spec.name != entity_keys[0]:
        raise errors.unknown_property("BatchItemRequest", entity_keys[0])
    operation = item.get("operation")
    if operation not in ("create", "update", "delete"):
        raise QboFault("2170", "Invalid Enumeration", f"Invalid Enumeration : {operation}", element="operation")
    body = item[entity_keys[0]]
    if not isinstance(body, dict):
        raise errors.malformed_body(spec.name, "expected a JSON object")
    options = item.get("optionsData")
    return {spec.name: write(spec.name, str(operation), body, str(options) if options is not None else None)}
