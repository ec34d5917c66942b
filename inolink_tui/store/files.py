"""The job store's file: where it may be created, who may read it, and refusing files that are not job stores.

A mistyped `--db` must never do harm: a read command on a path with no store says so instead of creating one
(and its folders), and another application's SQLite file is refused before anything is written to it (no table
added, no switch to WAL), because opening it as a store would convert it for good.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from inolink_tui.store.errors import StoreForeignError, StoreOpenError, StoreSchemaError, os_error
from inolink_tui.store.schema import SCHEMA_VERSION

if TYPE_CHECKING:
    from logging import Logger

FILE_MODE = 0o600
"""A new store is readable by its owner only: it holds customer names, amounts and error texts. SQLite gives its
-wal and -shm files the mode of the database file, so they follow."""
SIDE_FILES = ("", "-wal", "-shm", "-journal")


def prepare_path(path: Path, *, read_only: bool, create: bool) -> Path:
    """The store file's absolute path; with `create`, its folder and an empty owner-only file when none exists.

    Without `create` (read commands, `--read-only`) a missing file is a one-line StoreOpenError and nothing is made.
    """
    path = path.expanduser().resolve()
    if path.is_dir():
        raise StoreOpenError(f"{path}: is a directory; give the job store's file path (e.g. {path / 'jobs.db'})")
    if path.exists():
        return path  # its mode is tightened only once it proves to be a job store (refuse_foreign, then tighten)
    if read_only or not create:
        raise StoreOpenError(
            f"{path}: no job store there (the engine creates it on its first run; check --db or [store] path)"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        os.close(fd)
    except FileExistsError:  # another process created it a moment ago: use theirs
        pass
    except OSError as exc:
        raise os_error(exc, path, "cannot create the job store") from exc
    return path


def tighten(path: Path) -> None:
    """Take away the "other" permissions of an existing store and its side files (jobs.db used to be created
    world-readable). Group bits are left alone: an operator may share the store with a group on purpose."""
    for suffix in SIDE_FILES:
        side = Path(f"{path}{suffix}")
        try:
            mode = stat.S_IMODE(side.stat().st_mode)
            if mode & 0o007:
                os.chmod(side, mode & ~0o007)
                _log().info("%s was readable by every user; now %o", side, mode & ~0o007)
        except FileNotFoundError:
            continue
        except OSError as exc:  # not our file, or a read-only disk: the open that follows says what is wrong
            _log().debug("cannot tighten the mode of %s: %s", side, exc)


def refuse_foreign(conn: sqlite3.Connection, path: Path) -> None:
    """Raise StoreForeignError unless the file is empty or already an inolink-tui job store.

    Runs on the writer before any PRAGMA that changes the file (journal_mode = WAL) and before the migrations.
    """
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    names = [
        str(row[0])
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    if version == 0 and not names:
        return  # a new, empty file: ours to set up
    if version > SCHEMA_VERSION:  # said before anything is written (the writer's WAL switch comes next)
        raise StoreSchemaError(
            f"{path}: schema version {version} is newer than this inolink-tui understands ({SCHEMA_VERSION});"
            " upgrade inolink-tui"
        )
    if {"meta", "jobs"} <= set(names):
        row = conn.execute("SELECT 1 FROM meta WHERE key = 'request_id_prefix'").fetchone()
        if row is not None:
            return
    shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "") if names else "no tables"
    raise StoreForeignError(
        f"{path}: an SQLite database of another application ({shown}), not an inolink-tui job store;"
        " it was left untouched: check --db or [store] path"
    )


def _log() -> Logger:
    """This module's logger, imported when first used: reading a store (`jobs list`) never needs logging."""
    import logging

    return logging.getLogger(__name__)
