"""Dataverse `$batch`: building the multipart/mixed request and reading the multipart answer.

Changesets are all-or-nothing on the server, which is why bulk writes of one logical change go in
one changeset. The answer's parts come back in request order; a whole-batch rejection is plain JSON
(the caller checks Content-Type before coming here).
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

CRLF = "\r\n"
MAX_OPERATIONS = 1000


@dataclass(frozen=True, slots=True)
class BatchOperation:
    method: str
    path: str
    """Relative to the API root (e.g. `accounts(<guid>)`), or `$1` to refer to an earlier Content-ID."""
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BatchPart:
    """One operation's answer."""

    status: int
    headers: dict[str, str]
    body: Any
    content_id: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def entity_id(self) -> str | None:
        """The GUID of a created/updated row, from OData-EntityId (or Location)."""
        ref = self.headers.get("odata-entityid") or self.headers.get("location")
        if not ref:
            return None
        found = re.search(r"\(([0-9a-fA-F-]{36})\)\s*$", ref)
        return found.group(1) if found else None


def build_batch(operations: list[BatchOperation], api_path: str, *, atomic: bool) -> tuple[str, str]:
    """Return (content type, body). `api_path` is e.g. `/api/data/v9.2/`.

    With `atomic`, all operations go in one changeset (no GET allowed there).
    """
    if not operations:
        raise ValueError("a batch needs at least one operation")
    if len(operations) > MAX_OPERATIONS:
        raise ValueError(f"a batch holds at most {MAX_OPERATIONS} operations, got {len(operations)}")
    batch = f"batch_{uuid.uuid4()}"
    lines: list[str] = []
    if atomic:
        if any(op.method.upper() == "GET" for op in operations):
            raise ValueError("GET cannot be part of an atomic changeset")
        changeset = f"changeset_{uuid.uuid4()}"
        lines += [f"--{batch}", f"Content-Type: multipart/mixed; boundary={changeset}", ""]
        for number, op in enumerate(operations, start=1):
            lines.append(f"--{changeset}")
            lines += _operation(op, api_path, content_id=str(number))
        lines.append(f"--{changeset}--")
    else:
        for op in operations:
            lines.append(f"--{batch}")
            lines += _operation(op, api_path, content_id=None)
    lines += [f"--{batch}--", ""]
    return f"multipart/mixed; boundary={batch}", CRLF.join(lines)


def _operation(op: BatchOperation, api_path: str, *, content_id: str | None) -> list[str]:
    head = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id is not None:
        head.append(f"Content-ID: {content_id}")
    target = op.path if op.path.startswith("$") else api_path + op.path.lstrip("/")
    lines = [*head, "", f"{op.method.upper()} {target} HTTP/1.1"]
    headers = dict(op.headers)
    if op.body is not None:
        headers.setdefault("Content-Type", "application/json; type=entry")
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append("")
    lines.append(json.dumps(op.body, ensure_ascii=False) if op.body is not None else "")
    return lines


def _boundary(content_type: str) -> str | None:
    found = re.search(r'boundary="?([^";]+)"?', content_type, re.IGNORECASE)
    return found.group(1) if found else None


def _split_headers(block: str) -> tuple[dict[str, str], str]:
    """Split "headers CRLF CRLF rest"; header names are lower-cased."""
    text = block.replace(CRLF, "\n")
    head, _, rest = text.partition("\n\n")
    headers: dict[str, str] = {}
    for line in head.split("\n"):
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def parse_batch(content_type: str, body: str) -> list[BatchPart]:
    """Flatten the answer (nested changeset responses included) into parts in request order."""
    boundary = _boundary(content_type)
    if boundary is None:
        raise ValueError("batch answer without a multipart boundary")
    parts: list[BatchPart] = []
    normalized = body.replace(CRLF, "\n")
    for chunk in normalized.split(f"--{boundary}")[1:]:
        if chunk.startswith("--"):
            break
        headers, rest = _split_headers(chunk.lstrip("\n"))
        inner_type = headers.get("content-type", "")
        if inner_type.lower().startswith("multipart/"):
            parts.extend(parse_batch(inner_type, rest))
            continue
        parts.append(_http_part(rest, headers.get("content-id")))
    return parts


def _http_part(text: str, content_id: str | None) -> BatchPart:
    status_line, _, rest = text.strip("\n").partition("\n")
    found = re.match(r"HTTP/\d\.\d\s+(\d{3})", status_line)
    if not found:
        raise ValueError(f"batch part without a status line: {status_line[:80]!r}")
    headers, payload = _split_headers(rest)
    payload = payload.strip()
    parsed: Any = None
    if payload:
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = payload
    return BatchPart(int(found.group(1)), headers, parsed, content_id)
