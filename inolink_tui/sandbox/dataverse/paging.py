"""Server-driven paging: `Prefer: odata.maxpagesize`, opaque `$skiptoken` cookies and `@odata.nextLink`.

The skip token looks like the real one (`<cookie pagenumber="2" pagingcookie="..." istracking="False" />`,
URL-encoded) but its paging cookie carries the sort-key values of the last row sent, so following a
link resumes the same ordered result set after that row even if rows were added or removed meanwhile
(keyset paging, not an offset). Clients must treat it as opaque, as with the real service.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from inolink_tui.sandbox.dataverse import errors

MAX_PAGE_SIZE = 5000
_COOKIE = re.compile(r'^<cookie pagenumber="(\d+)" pagingcookie="([A-Za-z0-9_\-=]*)" istracking="(True|False)" />$')


def _tag(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, dict):
        if "d" in value:
            return Decimal(value["d"])
        if "t" in value:
            return datetime.fromisoformat(value["t"])
    return value


def encode_token(page_number: int, state: dict[str, Any], *, tracking: bool = False) -> str:
    """An opaque skip token holding `state` (values may be str, int, Decimal, datetime, None, lists of these)."""
    payload = {k: [_tag(v) for v in val] if isinstance(val, list) else _tag(val) for k, val in state.items()}
    cookie = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()
    return f'<cookie pagenumber="{page_number}" pagingcookie="{cookie}" istracking="{tracking}" />'


def decode_token(token: str) -> tuple[int, dict[str, Any]]:
    """(page number, state) of a skip token; a tampered token is a 400, never a crash."""
    match = _COOKIE.match(token)
    if match is None:
        raise errors.bad_request("The $skiptoken is not valid.", errors.URL_NOT_PARSED)
    try:
        payload = json.loads(base64.urlsafe_b64decode(match.group(2).encode()))
        if not isinstance(payload, dict):
            raise ValueError("not an object")
        state = {k: [_untag(v) for v in val] if isinstance(val, list) else _untag(val) for k, val in payload.items()}
    except (ValueError, TypeError, KeyError) as exc:
        raise errors.bad_request("The $skiptoken is not valid.", errors.URL_NOT_PARSED) from exc
    return int(match.group(1)), state


def query_string(params: list[tuple[str, str]]) -> str:
    """Rebuild a query string that parses back to the same values (OData punctuation left readable)."""
    return "&".join(f"{name}={quote(value, safe=chr(36) + ',()/:@')}" for name, value in params)


def link(org_url: str, path: str, params: list[tuple[str, str]], extra: list[tuple[str, str]]) -> str:
    """A next or delta link: the original query (minus paging/delta tokens) plus the new tokens."""
    kept = [(k, v) for k, v in params if k not in ("$skiptoken", "$deltatoken")]
    query = query_string(kept + extra)
    return f"{org_url}/api/data/v9.2/{path}" + (f"?{query}" if query else "")


def page_size(max_page_size: int | None) -> int:
    """The page size actually used: the client's preference capped at 5000 (the default)."""
    if max_page_size is None or max_page_size <= 0:
        return MAX_PAGE_SIZE
    return min(max_page_size, MAX_PAGE_SIZE)
