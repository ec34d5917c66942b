"""Persistence of Link Jobs, record links, cursors, the audit log and tokens."""

from __future__ import annotations

from pathlib import Path

from inolink_tui.store.base import (
    JobNotFoundError,
    JobStore,
    LeaseLostError,
    ReadOnlyError,
    StoreError,
)
from inolink_tui.store.errors import (
    StoreCorruptError,
    StoreFileReadOnlyError,
    StoreForeignError,
    StoreFullError,
    StoreLockedError,
    StoreOpenError,
    StoreSchemaError,
)


async def open_store(path: Path, *, read_only: bool = False, create: bool = True) -> JobStore:
    """Open the job store at `path`, creating it (owner-only, mode 0600) and its folders when `create` allows.

    A read-only store never creates or migrates anything and refuses every mutation with
    ReadOnlyError; it is what `--read-only` consoles use. Read commands pass `create=False`: a path
    with no store is an error there, not a new empty store. Another application's SQLite file is
    refused (StoreForeignError) before anything is written to it.
    """
    from inolink_tui.store.sqlite import SqliteJobStore

    return await SqliteJobStore.open(Path(path), read_only=read_only, create=create)


__all__ = [
    "JobNotFoundError",
    "JobStore",
    "LeaseLostError",
    "ReadOnlyError",
    "StoreCorruptError",
    "StoreError",
    "StoreFileReadOnlyError",
    "StoreForeignError",
    "StoreFullError",
    "StoreLockedError",
    "StoreOpenError",
    "StoreSchemaError",
    "open_store",
]
