"""JSON in and out with exact money: QuickBooks prints amounts like `739.00`, which floats cannot.

Bodies are parsed with `Decimal` for non-integers and written back with each Decimal's own digits,
so a quantized amount keeps its two decimals on the wire.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def loads(data: str | bytes) -> Any:
    return json.loads(data, parse_float=Decimal)


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot encode {value} as JSON")
        out.append(format(value, "f"))
    elif isinstance(value, bool) or value is None or isinstance(value, int | float | str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            if index:
                out.append(", ")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(": ")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(", ")
            _encode(item, out)
        out.append("]")
    elif isinstance(value, datetime | date):
        out.append(json.dumps(value.isoformat()))
    elif isinstance(value, uuid.UUID | set | frozenset):
        _encode(str(value) if isinstance(value, uuid.UUID) else sorted(value), out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def to_plain(value: Any) -> Any:
    """A copy with Decimals as floats, for callers (tests, seed) that want ordinary JSON types."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    return value
