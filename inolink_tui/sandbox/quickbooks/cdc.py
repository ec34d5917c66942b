"""Change Data Capture: what changed in a company since a moment (reference §8, §13.14).

Active objects come sorted by last update, tombstones of deleted transactions after them, one group per
requested type with changes; no change at all is the captured `[{}]` shape. A deactivated name-list
record is an ordinary update (with `Active: false`), never a tombstone.

Every transaction type a QuickBooks user deletes (Invoice, Payment, CreditMemo, Estimate, SalesReceipt, ...)
comes back this way: "Deleted entities return a Deleted value for the status field"
(https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture).
The page shows no tombstone body; its fields (`status`, `domain`, `Id`, `MetaData.LastUpdatedTime`) are the
reference notes' captured shape (§8). A voided transaction is not deleted: it stays, amounts zeroed, and CDC
returns it whole like any update.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox.quickbooks import errors
from inolink_tui.sandbox.quickbooks.entities import spec_for
from inolink_tui.sandbox.quickbooks.errors import QboFault
from inolink_tui.sandbox.quickbooks.state import render

if TYPE_CHECKING:
    from inolink_tui.sandbox.quickbooks.state import QboState

MAX_OBJECTS = 1000


def _parse_since(text: str, state: QboState) -> datetime:
    text = text.strip().replace(" ", "+")  # an unencoded "+" in the offset arrives as a space
    try:
        if len(text) == 10:
            return datetime.fromisoformat(text).replace(tzinfo=state.company_tz)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise QboFault("2070", "Invalid Date", f"Invalid Date : {text}", element="changedSince") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=state.company_tz)


def run_cdc(state: QboState, entities_param: str | None, since_param: str | None, lookback_days: int) -> list[Any]:
    """The `CDCResponse` list (without the envelope's `time`)."""
    if not entities_param:
        raise errors.required("entities")
    if not since_param:
        raise errors.required("changedSince")
    since = _parse_since(since_param, state)
    if since < state.clock.now() - timedelta(days=lookback_days):
        raise errors.unsupported(
            f"Operation cdc with changedSince date {since_param} which is older than fixed days is not supported."
        )
    groups: list[dict[str, Any]] = []
    budget = MAX_OBJECTS
    for raw in entities_param.split(","):
        spec = spec_for(raw.strip())
        if spec is None or not spec.cdc:
            raise errors.unsupported(f"Operation cdc is not supported for entity {raw.strip()}.")
        changed = [
            (state.updated_at[(spec.name, rid)], rid)
            for rid in state.records[spec.name]
            if state.updated_at.get((spec.name, rid), since) >= since
        ]
        changed.sort()
        deleted = sorted((t, rid) for rid, t in state.tombstones[spec.name].items() if t >= since)
        objects: list[dict[str, Any]] = [render(state.records[spec.name][rid]) for _, rid in changed]
        objects += [
            {"status": "Deleted", "domain": "QBO", "Id": rid, "MetaData": {"LastUpdatedTime": state.metadata_time(t)}}
            for t, rid in deleted
        ]
        objects = objects[:budget]
        budget -= len(objects)
        if objects:
            groups.append(
                {spec.name: objects, "startPosition": 1, "maxResults": len(objects), "totalCount": len(objects)}
            )
    return [{"QueryResponse": groups or [{}]}]
