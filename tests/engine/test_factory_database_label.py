"""The pair lease names the holder's database file: the SQLite store's path, none for a store without a file."""

from __future__ import annotations

from pathlib import Path

from inolink_tui.engine.factory import database_label
from inolink_tui.store import open_store
from tests.fakes.memstore import MemoryStore


async def test_sqlite_store_is_named_by_its_file(tmp_path: Path) -> None:
    store = await open_store(tmp_path / "jobs.db")
    try:
        assert database_label(store) == str(tmp_path / "jobs.db")
    finally:
        await store.close()


def test_store_without_a_file_names_none() -> None:
    assert database_label(MemoryStore()) == ""
