"""The QuickBooks token file: a JSON object of token sets keyed like "quickbooks:<realm id>".

Mode 0600 from creation, replaced atomically, so a crash mid-write never leaves a half token file
(a lost refresh token means a person must re-authorise). The format is the one the sandbox's
`--write-config` and `inolink-tui auth quickbooks` write.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class TokenFileError(ValueError):
    """The token file exists but cannot be used; the message says which file and why."""


class FileTokenStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _read_all(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError as exc:
            raise TokenFileError(
                f"{self.path} is not valid JSON ({exc}); re-run `inolink-tui auth quickbooks`"
            ) from exc
        if not isinstance(data, dict):
            raise TokenFileError(f"{self.path} should hold a JSON object of token sets")
        return data

    def load(self, key: str) -> dict[str, Any] | None:
        value = self._read_all().get(key)
        return value if isinstance(value, dict) else None

    def save(self, key: str, value: dict[str, Any]) -> None:
        data = self._read_all()
        data[key] = value
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path)
