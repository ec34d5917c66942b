"""Comparing a desired body with the current one, so updates send only what changed.

Sending only changed fields keeps sparse updates small and, more importantly, lets the engine skip a
write entirely when nothing changed, which is what stops two systems echoing each other forever.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        return all(_same(v, b.get(k)) for k, v in a.items())
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    if isinstance(a, int | float | Decimal) or isinstance(b, int | float | Decimal):
        try:
            return Decimal(str(a)) == Decimal(str(b))
        except (InvalidOperation, ValueError):
            return False
    if a in (None, "") and b in (None, ""):
        return True
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return bool(a == b)


def _entry_value(entry: Mapping[str, Any]) -> Any:
    return entry.get("StringValue", entry.get("NumberValue"))


def changed_custom_fields(current: Any, desired: Any) -> list[dict[str, Any]]:
    """The desired `CustomField` entries whose value differs from the record's entry of the same DefinitionId.

    QuickBooks custom fields are one array; comparing it whole would see a change whenever the record holds an entry
    we do not map (or lists them in another order), and re-send it forever. Compared per DefinitionId, a value we
    wrote that comes back unchanged is an echo, and an entry missing on one side equals an empty value."""
    have = (
        {str(e.get("DefinitionId")): _entry_value(e) for e in current or [] if isinstance(e, Mapping)}
        if isinstance(current, list)
        else {}
    )
    return [
        dict(e)
        for e in desired or []
        if isinstance(e, Mapping) and not _same(_entry_value(e), have.get(str(e.get("DefinitionId"))))
    ]


def changed_fields(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of `desired` whose value differs from `current` (nested dicts compared by their keys, custom fields
    by their DefinitionId)."""
    changes = {k: v for k, v in desired.items() if k != "CustomField" and not _same(v, current.get(k))}
    if "CustomField" in desired and (
        entries := changed_custom_fields(current.get("CustomField"), desired["CustomField"])
    ):
        changes["CustomField"] = entries
    return changes


def sparse_update(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any] | None:
    """A QuickBooks sparse-update body, or None when nothing would change."""
    changes = changed_fields(current, desired)
    if not changes:
        return None
    return {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True, **changes}
