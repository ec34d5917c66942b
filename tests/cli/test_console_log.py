"""The console's log file is private (0600) and bounded (it rotates), whatever the umask."""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from inolink_tui.cli import console_log
from inolink_tui.cli.run_cmd import _log_to_file


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    old_umask = os.umask(0o022)  # the usual umask: a plain open() makes 0644 files
    try:
        yield
    finally:
        os.umask(old_umask)
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in handlers:
            root.addHandler(handler)
        root.setLevel(level)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_console_log_is_created_0600(tmp_path: Path) -> None:
    """Before: a plain FileHandler made console.log 0644 (world-readable) under the usual umask."""
    path = tmp_path / "data" / "console.log"
    _log_to_file(path)
    logging.getLogger("inolink_tui.test").info("job 1 Account 'Contoso' queued")
    assert path.read_text().endswith("job 1 Account 'Contoso' queued\n")
    assert _mode(path) == 0o600


def test_an_existing_world_readable_console_log_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "console.log"
    path.write_text("old line\n")
    path.chmod(0o644)
    _log_to_file(path)
    assert _mode(path) == 0o600
    assert path.read_text() == "old line\n"  # appended to, never truncated


def test_the_console_log_rotates_at_its_documented_size_and_every_file_stays_0600(tmp_path: Path) -> None:
    """Before: console.log grew without bound (no rotation at all)."""
    path = tmp_path / "console.log"
    _log_to_file(path)
    (handler,) = logging.getLogger().handlers
    assert isinstance(handler, logging.handlers.RotatingFileHandler)
    assert (handler.maxBytes, handler.backupCount) == (console_log.MAX_BYTES, console_log.BACKUPS) == (5 << 20, 3)
    handler.maxBytes = 2000  # the same handler, rotated sooner so the test stays small
    log = logging.getLogger("inolink_tui.test")
    for n in range(200):
        log.info("line %03d %s", n, "x" * 60)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["console.log", "console.log.1", "console.log.2", "console.log.3"]
    assert all(_mode(tmp_path / name) == 0o600 for name in files)
    assert all((tmp_path / name).stat().st_size <= 2000 for name in files)
    assert "line 199" in path.read_text()
