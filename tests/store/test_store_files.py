"""Issue 12 item 5: a store is opened for writing only when it is one, read commands create nothing, and the
store's files are private (0600).

Before: `jobs show 1` on another application's SQLite file added the store's tables and switched it to WAL, and
`jobs list --db` on a missing path created the folders and an empty store.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from inolink_tui.cli.main import cli
from inolink_tui.store import StoreError, StoreForeignError, StoreOpenError, open_store
from tests.store.conftest import new_job


def _foreign(path: Path) -> str:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO customers(name) VALUES ('Contoso')")
    conn.commit()
    conn.close()
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _side_files(path: Path) -> list[str]:
    return [name for name in os.listdir(path.parent) if name.startswith(f"{path.name}-")]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


async def test_another_applications_sqlite_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "crm-export.db"
    digest = _foreign(path)
    os.chmod(path, 0o644)
    with pytest.raises(StoreForeignError, match="another application") as caught:
        await open_store(path)
    assert "customers" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(StoreError):
        await open_store(path, read_only=True)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644, "not even its mode was changed"
    assert not _side_files(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["customers"]
    conn.close()


@pytest.mark.parametrize("args", [("jobs", "show", "1"), ("jobs", "list"), ("jobs", "requeue", "1")])
def test_jobs_commands_refuse_a_foreign_file_in_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    path = tmp_path / "other.db"
    digest = _foreign(path)
    result = invoke("--db", str(path), *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "not an inolink-tui job store" in result.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_db_check_on_a_foreign_file_does_not_advise_a_restore(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    _foreign(path)
    result = invoke("--db", str(path), "db", "check")
    assert result.exit_code == 2 and "not a job store" in result.stderr
    assert "Restore" not in result.output


async def test_a_user_version_alone_does_not_make_a_store(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY)")  # same table name, another application
    conn.execute("PRAGMA user_version = 5")
    conn.commit()
    conn.close()
    with pytest.raises(StoreForeignError):
        await open_store(path)


@pytest.mark.parametrize(
    "args",
    [
        ("jobs", "list"),
        ("jobs", "list", "--format", "json"),
        ("jobs", "show", "1"),
        ("jobs", "requeue", "1"),
        ("jobs", "mark-error", "1"),
        ("--read-only", "jobs", "list"),
        ("db", "check"),
        ("jobs", "purge", "--older-than", "90d", "--dry-run"),
    ],
)
def test_read_commands_never_create_a_store_or_its_folders(tmp_path: Path, args: tuple[str, ...]) -> None:
    missing = tmp_path / "nonexistent" / "x.db"
    result = invoke("--db", str(missing), *args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert str(missing) in result.stderr or "no such" in result.stderr
    assert not missing.parent.exists()


def test_config_check_creates_nothing(tmp_path: Path) -> None:
    store = tmp_path / "data" / "deep" / "jobs.db"
    config = tmp_path / "c.toml"
    config.write_text(f'[store]\npath = "{store}"\n')
    result = invoke("--config", str(config), "config", "check")
    assert str(store) in result.output
    assert not (tmp_path / "data").exists()


async def test_open_store_without_create_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreOpenError, match="no job store there"):
        await open_store(tmp_path / "a" / "jobs.db", create=False)
    assert not (tmp_path / "a").exists()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_a_new_store_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the usual umask, under which the store used to be 0644
    try:
        path = tmp_path / "jobs.db"
        store = await open_store(path)
        try:
            await store.enqueue([new_job("a")])
            modes = {name: _mode(tmp_path / name) for name in os.listdir(tmp_path)}
        finally:
            await store.close()
    finally:
        os.umask(old)
    assert {"jobs.db", "jobs.db-wal", "jobs.db-shm"} <= set(modes), modes
    assert all(mode == 0o600 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}


async def test_an_existing_world_readable_store_loses_its_world_bits(tmp_path: Path) -> None:
    path = tmp_path / "jobs.db"
    store = await open_store(path)
    await store.close()
    os.chmod(path, 0o644)
    store = await open_store(path)
    await store.close()
    assert _mode(path) == 0o640
