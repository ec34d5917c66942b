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
    StoreFullError,
    StoreLockedError,
    StoreOpenError,
    StoreSchemaError,
)


async def open_store(path: Path, *, read_only: bool = False) -> JobStore:
    """Open (creating it and its directories unless `read_only`) the job store at `path`.

    A read-only store never creates or migrates anything and refuses every mutation with
    ReadOnlyError; it is what `--read-only` consoles and `jobs list` use.
    """
    from inolink_tui.store.sqlite import SqliteJobStore

    return await SqliteJobStore.open(Path(path), read_only=read_only)


__all__ = [
    "JobNotFoundError",
    "JobStore",
    "LeaseLostError",
    "ReadOnlyError",
    "StoreCorruptError",
    "StoreError",
    "StoreFileReadOnlyError",
    "StoreFullError",
    "StoreLockedError",
    "StoreOpenError",
    "StoreSchemaError",
    "open_store",
]
