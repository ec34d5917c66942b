"""OAuth tokens are secrets too: feed the ones in the token file to the log scrubber as they change.

The config's secrets are known at start, but QuickBooks access and refresh tokens rotate while the
daemon runs (an access token lives an hour). Re-reading the small token file when its modification
time changes keeps the scrubber current without the connectors having to know about logging.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inolink_tui.headless.logging_json import SecretScrubber

log = logging.getLogger(__name__)

TOKEN_KEYS = frozenset({"access_token", "refresh_token", "id_token"})


def _tokens(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in TOKEN_KEYS and isinstance(item, str) and item:
                yield item
            else:
                yield from _tokens(item)
    elif isinstance(value, list):
        for item in value:
            yield from _tokens(item)


class TokenFileSecrets:
    """Call `poll()` now and then (the daemon's refresh timer does); cheap when nothing changed."""

    def __init__(self, path: Path, scrubber: SecretScrubber) -> None:
        self.path = path
        self.scrubber = scrubber
        self._mtime: int | None = None

    def poll(self) -> int:
        """Add the file's tokens to the scrubber if it changed; returns how many tokens it holds."""
        try:
            mtime = self.path.stat().st_mtime_ns
        except OSError:
            return 0
        if mtime == self._mtime:
            return 0
        self._mtime = mtime
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.debug("token file %s not readable yet: %s", self.path, type(exc).__name__)
            return 0
        tokens = list(_tokens(data))
        self.scrubber.add(*tokens)
        return len(tokens)
