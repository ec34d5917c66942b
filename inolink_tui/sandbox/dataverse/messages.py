"""Transport-neutral request and response objects, so one dispatcher serves both HTTP and `$batch` parts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from inolink_tui.sandbox.dataverse.errors import DataverseError

JSON_TYPE = "application/json; odata.metadata=minimal"
_PREFER_ITEM = re.compile(r'\s*([A-Za-z0-9_.\-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^,]*))?\s*(?:,|$)')


@dataclass
class Prefer:
    """The `Prefer` header's preferences that Dataverse honours."""

    return_representation: bool = False
    include_annotations: str | None = None
    max_page_size: int | None = None
    track_changes: bool = False
    continue_on_error: bool = False

    @classmethod
    def parse(cls, header: str | None) -> Prefer:
        prefer = cls()
        text = header or ""
        pos = 0
        while pos < len(text):
            match = _PREFER_ITEM.match(text, pos)
            if match is None or match.end() == pos:
                break
            name, value = match.group(1).lower(), (match.group(2) or "").strip().strip('"')
            pos = match.end()
            if name == "return" and value == "representation":
                prefer.return_representation = True
            elif name == "odata.include-annotations":
                prefer.include_annotations = value
            elif name == "odata.maxpagesize":
                prefer.max_page_size = int(value) if value.isdigit() else None
            elif name == "odata.track-changes":
                prefer.track_changes = True
            elif name == "odata.continue-on-error":
                prefer.continue_on_error = True
        return prefer


@dataclass
class DvRequest:
    method: str
    path: str  # after /api/data/v9.2/, no query string
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""
    user_id: str = ""
    in_batch: bool = False
    on_behalf_of: str = ""  # the real caller when `user_id` is an impersonated user (impersonation.py)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def prefer(self) -> Prefer:
        return Prefer.parse(self.header("prefer"))

    def query(self) -> dict[str, str]:
        return dict(self.params)


@dataclass
class DvResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> DvResponse:
        merged = {"Content-Type": JSON_TYPE, **(headers or {})}
        return cls(status, merged, json.dumps(payload, separators=(",", ":"), default=str).encode())

    @classmethod
    def error(cls, exc: DataverseError, *, annotations: bool | Callable[[str], bool] = False) -> DvResponse:
        """The error body; REQ_ID is added by whoever sends it (the route, or the $batch part writer)."""
        return cls.json(exc.status, exc.body(annotations=annotations), dict(exc.headers))
