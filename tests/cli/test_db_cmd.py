"""`inolink-tui db backup` and `db check`, and the maintenance functions behind them."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from inolink_tui.cli.main import cli
from inolink_tui.store.maintenance import MaintenanceError, backup, check

pytestmark = pytest.mark.timeout(60)


def _make_db(path: Path, rows: int = 1000) -> None:
    """A WAL database with a jobs table, like the store's, without depending on the store's code."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, record_name TEXT NOT NULL)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO jobs(record_name) VALUES (?)", [(f"Customer {i} ✓",) for i in range(rows)])
    conn.execute("COMMIT")
    conn.execute("PRAGMA user_version = 2")
    conn.close()


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_backup_copies_every_row_into_one_self_contained_file(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    _make_db(db)
    dest = tmp_path / "backup.db"
    code, out, _ = _invoke("--db", str(db), "db", "backup", str(dest))
    assert code == 0, out
    assert f"backed up {db} to {dest}" in out
    copy = sqlite3.connect(dest)
    assert copy.execute("SELECT count(*), max(record_name) FROM jobs").fetchone() == (1000, "Customer 999 ✓")
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("PRAGMA user_version").fetchone()[0] == 2
    copy.close()
    assert not list(tmp_path.glob(".backup.db.*"))  # no temp file left behind


def test_backup_refuses_to_overwrite_without_force_and_keeps_the_old_file(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    _make_db(db, rows=3)
    dest = tmp_path / "old.db"
    dest.write_bytes(b"precious")
    code, _, err = _invoke("--db", str(db), "db", "backup", str(dest))
    assert code == 2
    assert "already exists" in err and "--force" in err
    assert dest.read_bytes() == b"precious"
    code, _, _ = _invoke("--db", str(db), "db", "backup", "--force", str(dest))
    assert code == 0
    assert sqlite3.connect(dest).execute("SELECT count(*) FROM jobs").fetchone() == (3,)


def test_backup_into_a_directory_gets_a_timestamped_name(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    _make_db(db, rows=1)
    out_dir = tmp_path / "backups"
    out_dir.mkdir()
    result = backup(db, out_dir)
    assert result.destination.parent == out_dir
    assert result.destination.name.startswith("jobs-") and result.destination.suffix == ".db"


def test_backup_errors_are_one_clear_line(tmp_path: Path) -> None:
    code, _, err = _invoke("--db", str(tmp_path / "missing.db"), "db", "backup", str(tmp_path / "b.db"))
    assert code == 2 and "no such database file" in err
    assert not (tmp_path / "missing.db").exists()  # a typo never creates an empty database
    db = tmp_path / "jobs.db"
    _make_db(db, rows=1)
    with pytest.raises(MaintenanceError, match="is the database itself"):
        backup(db, db, overwrite=True)
    with pytest.raises(MaintenanceError, match="no such directory"):
        backup(db, tmp_path / "nope" / "b.db")


def test_backup_is_consistent_while_another_process_writes(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    _make_db(db, rows=10)
    stop = threading.Event()

    def writer() -> None:
        conn = sqlite3.connect(db, isolation_level=None, timeout=5)
        while not stop.is_set():
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO jobs(record_name) VALUES (?)", [("w",)] * 50)
            conn.execute("COMMIT")
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.05)
        results = [backup(db, tmp_path / f"b{i}.db") for i in range(3)]
    finally:
        stop.set()
        thread.join(10)
    counts = [sqlite3.connect(r.destination).execute("SELECT count(*) FROM jobs").fetchone()[0] for r in results]
    assert all((c - 10) % 50 == 0 for c in counts), counts  # whole transactions only, never half of one
    assert counts == sorted(counts)
    assert all(check(r.destination).ok for r in results)


def test_check_reports_a_sound_database(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    _make_db(db, rows=5)
    code, out, _ = _invoke("--db", str(db), "db", "check")
    assert code == 0
    assert "ok (schema version 2, wal journal" in out and "5 jobs" in out
    code, out, _ = _invoke("--db", str(db), "db", "check", "--format", "json")
    doc = json.loads(out)
    assert doc["ok"] is True and doc["jobs"] == 5 and doc["problems"] == []


def test_check_finds_damage_and_exits_1(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, record_name TEXT)")
    conn.execute("CREATE INDEX jobs_name ON jobs(record_name)")
    conn.executemany("INSERT INTO jobs(record_name) VALUES (?)", [(f"name {i:05d}" * 5,) for i in range(2000)])
    conn.commit()
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'jobs_name'").fetchone()[0]
    conn.close()
    raw = bytearray(db.read_bytes())
    start = (root - 1) * 1024
    raw[start + 100 : start + 1000] = b"\xff" * 900  # scribble over the index's root page
    db.write_bytes(bytes(raw))
    code, _, err = _invoke("--db", str(db), "db", "check")
    assert code == 1
    assert "problem(s) found" in err
    code, _, err = _invoke("--db", str(db), "db", "check", "--quick")
    assert code == 1


def test_check_on_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("this is not sqlite" * 100)
    code, _, err = _invoke("--db", str(bad), "db", "check")
    assert code == 1
    assert "not a database" in err


def test_check_on_a_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = _invoke("--db", str(tmp_path / "none.db"), "db", "check")
    assert code == 2
    assert "no such database file" in err
