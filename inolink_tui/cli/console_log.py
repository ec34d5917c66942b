"""The console's log file: the console owns the terminal, so its logs (the engine's included) go to a file.

The file is private (0600, like the job store and the token file: log lines name customers and jobs)
and bounded: it rotates at `MAX_BYTES` and keeps `BACKUPS` older files, so a console left running
for months cannot fill the disk. Every file the rotation creates is 0600 too, whatever the umask.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from io import TextIOWrapper
from pathlib import Path

MAX_BYTES = 5 * 1024 * 1024
"""console.log rotates when it would pass 5 MiB ..."""
BACKUPS = 3
"""... keeping console.log.1 to console.log.3: at most 20 MiB in all."""
FILE_MODE = 0o600


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """RotatingFileHandler whose files are created 0600 (and tightened to 0600 when they already exist)."""

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, FILE_MODE)
        os.fchmod(fd, FILE_MODE)
        stream: TextIOWrapper = open(fd, "a", encoding=self.encoding, errors=self.errors)  # noqa: SIM115
        return stream


def open_console_log(path: Path) -> PrivateRotatingFileHandler:
    """Route every log record of the process to the rotating, private console log."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler
