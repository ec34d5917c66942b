"""Issue 12 item 5: `db backup` and `db check` on a read-only or full file system, for real.

The tests run as root, whom file modes do not stop, so each scenario runs the CLI in a private mount namespace
(`unshare -rm`) on a small tmpfs that is really full or really mounted read-only; nothing leaks to the host. They
are skipped where unprivileged namespaces are not allowed.
"""

from __future__ import annotations

import shlex
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)


def _can_mount() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "d=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs $d && umount $d"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(not _can_mount(), reason="cannot mount a tmpfs in a private namespace here")

CLI = f"{shlex.quote(sys.executable)} -m inolink_tui"


def _store(path: Path, rows: int = 3000) -> None:
    """A WAL store-shaped database of about 1.5 MB (bigger than the full disk's free space)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE jobs (id INTEGER PRIMARY KEY, record_name TEXT NOT NULL)")
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO jobs(record_name) VALUES (?)", [(f"Customer {i} " * 30,) for i in range(rows)])
    conn.execute("COMMIT")
    conn.execute("PRAGMA user_version = 5")
    conn.close()


def _run(tmp_path: Path, setup: str, command: str) -> subprocess.CompletedProcess[str]:
    script = f"set -e\ncd {shlex.quote(str(tmp_path))}\n{setup}\nset +e\n{command}\n"
    return subprocess.run(["unshare", "-rm", "bash", "-c", script], capture_output=True, text=True, timeout=50)


READ_ONLY = "mkdir -p m && mount -t tmpfs -o size=4m tmpfs m && cp jobs.db m/ && mount -o remount,ro m"
FULL = (
    "mkdir -p m && mount -t tmpfs -o size=2m tmpfs m && cp jobs.db m/ "
    "&& (dd if=/dev/zero of=m/fill bs=4k 2>/dev/null || true)"
)


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@needs_mounts
@pytest.mark.parametrize(
    ("setup", "says"), [(READ_ONLY, "read-only"), (FULL, "disk is full")], ids=["read-only", "full"]
)
def test_backup_to_a_read_only_or_full_disk_is_one_line_exit_2(tmp_path: Path, setup: str, says: str) -> None:
    _store(tmp_path / "jobs.db")
    result = _run(tmp_path, setup, f"{CLI} --db jobs.db db backup m/backup.db")
    line = _one_line(result)
    assert says in line and "m/backup.db" in line
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())  # the mount is gone with its ns


def test_backup_to_a_missing_folder_is_one_line_exit_2(tmp_path: Path) -> None:
    _store(tmp_path / "jobs.db", rows=3)
    result = subprocess.run(
        [sys.executable, "-m", "inolink_tui", "--db", str(tmp_path / "jobs.db"), "db", "backup",
         str(tmp_path / "nowhere" / "b.db")],
        capture_output=True, text=True, timeout=50,
    )  # fmt: skip
    assert "no such directory" in _one_line(result)


@needs_mounts
@pytest.mark.parametrize(("setup", "says"), [(READ_ONLY, "cannot open"), (FULL, "I/O")], ids=["read-only", "full"])
def test_check_on_a_read_only_or_full_disk_is_not_called_corruption(tmp_path: Path, setup: str, says: str) -> None:
    _store(tmp_path / "jobs.db")
    result = _run(tmp_path, setup, f"{CLI} --db m/jobs.db db check")
    line = _one_line(result)
    assert says in line and "not damage to the database" in line
    assert "problem(s) found" not in result.stderr and "Restore the latest backup" not in result.stderr
    # the same file on a healthy disk is sound
    ok = subprocess.run(
        [sys.executable, "-m", "inolink_tui", "--db", str(tmp_path / "jobs.db"), "db", "check"],
        capture_output=True, text=True, timeout=50,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
