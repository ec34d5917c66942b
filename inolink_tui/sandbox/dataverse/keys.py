"""Record addressing in URLs: `accounts(<guid>)` or an alternate key `accounts(accountnumber='A-1')`."""

from __future__ import annotations

import re
from typing import Any

from inolink_tui.sandbox.dataverse import errors
from inolink_tui.sandbox.dataverse.schema import Table
from inolink_tui.sandbox.dataverse.values import parse_guid

_PAIR = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*('(?:[^']|'')*'|[^,]+)\s*(?:,|$)")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def parse_key(table: Table, text: str) -> str | dict[str, Any]:
    """A bare GUID (the primary key, no quotes or braces) or an alternate key's column values."""
    text = text.strip()
    if _GUID.match(text):
        guid = parse_guid(text)
        assert guid is not None
        return guid
    pairs: dict[str, Any] = {}
    pos = 0
    while pos < len(text):
        match = _PAIR.match(text, pos)
        if match is None or match.end() == pos:
            raise _bad_key(table, text)
        name, raw = match.group(1), match.group(2).strip()
        if raw.startswith("'"):
            pairs[name] = raw[1:-1].replace("''", "'")
        elif re.fullmatch(r"-?\d+", raw):
            pairs[name] = int(raw)
        elif re.fullmatch(r"-?\d+\.\d+", raw):
            pairs[name] = float(raw)
        else:
            raise _bad_key(table, text)
        pos = match.end()
    if not pairs:
        raise _bad_key(table, text)
    for key in table.alternate_keys:
        if set(key.columns) == set(pairs):
            return pairs
    raise errors.bad_request(
        f"Invalid key: no alternate key on entity '{table.logical_name}' consists of the attributes "
        f"{', '.join(sorted(pairs))}.",
        errors.URL_NOT_PARSED,
    )


def format_key(key: dict[str, Any]) -> str:
    """The key form used in `OData-EntityId` after an alternate-key upsert."""
    parts = []
    for name, value in key.items():
        literal = "'" + value.replace("'", "''") + "'" if isinstance(value, str) else str(value)
        parts.append(f"{name}={literal}")
    return ",".join(parts)


def _bad_key(table: Table, text: str) -> errors.DataverseError:
    return errors.bad_request(
        f"Bad Request - Error in query syntax: the key '({text})' for entity set '{table.entity_set}' is not a GUID "
        "or a valid alternate key.",
        errors.URL_NOT_PARSED,
    )
