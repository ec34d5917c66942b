"""`--state PATH`: the whole sandbox saved as one JSON document, so a restart keeps the data.

Written atomically (temp file + rename) so a crash mid-save never leaves half a file; token lifetimes
are stored relative to the clock and the clock resumes from the saved service time.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inolink_tui.sandbox import jsonfmt

if TYPE_CHECKING:
    from inolink_tui.sandbox.app import Sandbox

log = logging.getLogger(__name__)
FORMAT_VERSION = 1


class StateFileError(Exception):
    """The --state file exists but cannot be used; the sandbox refuses to start rather than overwrite it."""


def state_document(sandbox: Sandbox) -> dict[str, Any]:
    document: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "seed": sandbox.options.seed,
        "clock": sandbox.clock.now().isoformat(),
        "qbo": sandbox.qbo.to_json(),
        "intuit": sandbox.intuit.to_json(),
    }
    if sandbox.dataverse is not None:
        document["dataverse"] = sandbox.dataverse.to_json()
    if sandbox.entra is not None:
        document["entra"] = sandbox.entra.to_json()
    return document


def save_state(sandbox: Sandbox, path: Path) -> None:
    text = jsonfmt.dumps(state_document(sandbox))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".sandbox-state-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    log.debug("sandbox state saved to %s", path)


def load_state(path: Path, *, seed: int) -> dict[str, Any] | None:
    """The saved document, None when there is no file yet; a foreign or broken file is an error."""
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        if isinstance(data, dict) and "qbo" in data:
            # QuickBooks amounts keep their exact digits (Decimal); the other halves get plain JSON types.
            data["qbo"] = jsonfmt.loads(text)["qbo"]
    except (OSError, ValueError) as exc:
        raise StateFileError(f"cannot read sandbox state {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION or "qbo" not in data:
        raise StateFileError(f"{path} is not a sandbox state file (format {FORMAT_VERSION})")
    if data.get("seed") != seed:
        raise StateFileError(f"{path} was saved with --seed {data.get('seed')}, not {seed}")
    return data


def saved_clock(data: dict[str, Any] | None) -> datetime | None:
    if not data or "clock" not in data:
        return None
    return datetime.fromisoformat(str(data["clock"]))
