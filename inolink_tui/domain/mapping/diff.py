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


def changed_fields(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """The keys of `desired` whose value differs from `current` (nested dicts compared by their keys)."""
    return {k: v for k, v in desired.items() if not _same(v, current.get(k))}


def sparse_update(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any] | None:
    """A QuickBooks sparse-update body, or None when nothing would change."""
    changes = changed_fields(current, desired)
    if not changes:
        return None
    return {"Id": current["Id"], "SyncToken": current["SyncToken"], "sparse": True, **changes}
