"""Turning sqlite3's exceptions into one clear line naming the database file.

An operator watching over SSH cannot act on "OperationalError: database is locked"; they can act on
"/var/lib/inolink/jobs.db is locked by another process (waited 5 s)". The subclasses let the CLI map
each case to an exit code without parsing messages.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from inolink_tui.store.base import StoreError

# Primary result codes (https://sqlite.org/rescode.html); extended codes keep these in their low byte.
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_READONLY = 8
_SQLITE_IOERR = 10
_SQLITE_CORRUPT = 11
_SQLITE_FULL = 13
_SQLITE_CANTOPEN = 14
_SQLITE_NOTADB = 26


class StoreLockedError(StoreError):
    """Another process held the write lock for longer than the busy timeout."""


class StoreFileReadOnlyError(StoreError):
    """The database file, its directory or the disk is read-only (not the `--read-only` flag)."""


class StoreFullError(StoreError):
    """The disk (or the file system quota) is full."""


class StoreCorruptError(StoreError):
    """The file is not an SQLite database, or its pages are damaged."""


class StoreOpenError(StoreError):
    """The database file cannot be opened at all (missing directory, permissions)."""


class StoreSchemaError(StoreError):
    """The database was written by a newer inolink-tui than this one."""


class StoreForeignError(StoreSchemaError):
    """The file is an SQLite database, but another application's: it is refused, never converted."""


def os_error(exc: OSError, path: Path, doing: str) -> StoreError:
    """An OSError about `path` as the StoreError a person can act on, in one line (read-only, full, missing...)."""
    reason = exc.strerror or str(exc)
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreFileReadOnlyError(f"{path}: {doing}: the file system or folder is read-only or not ours ({reason})")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StoreFullError(f"{path}: {doing}: the disk is full; free some space and retry ({reason})")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return StoreOpenError(f"{path}: {doing}: no such folder ({reason})")
    return StoreError(f"{path}: {doing}: {reason}")


def translate(exc: sqlite3.Error, path: Path, busy_timeout_ms: int) -> StoreError:
    """Map an sqlite3 error to a StoreError whose message is one line naming `path`."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc)
    lowered = text.lower()
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in lowered:
        return StoreLockedError(
            f"{path}: database is locked by another process (waited {busy_timeout_ms / 1000:g} s); try again"
        )
    if primary == _SQLITE_READONLY or "readonly database" in lowered:
        return StoreFileReadOnlyError(f"{path}: the database file or its disk is read-only ({text})")
    if primary == _SQLITE_FULL or "disk is full" in lowered:
        return StoreFullError(f"{path}: the disk is full; free some space and retry ({text})")
    if primary in (_SQLITE_NOTADB, _SQLITE_CORRUPT) or "not a database" in lowered or "malformed" in lowered:
        return StoreCorruptError(f"{path}: file is not a database or is corrupt ({text})")
    if primary == _SQLITE_CANTOPEN or "unable to open" in lowered:
        return StoreOpenError(f"{path}: cannot open the database file ({text})")
    if primary == _SQLITE_IOERR:
        return StoreError(f"{path}: disk I/O error ({text})")
    return StoreError(f"{path}: {type(exc).__name__}: {text}")
