"""The token file: private mode, atomic replacement, round trips, clear errors."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from inolink_tui.store.tokens import TokenStore, TokenStoreError

TOKEN = {"access_token": "eyJ…", "refresh_token": "AB11…", "expires_at": 1767225600, "realm": "9130 ünï 🚀"}


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_and_private_modes(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "tokens.json"
    store = TokenStore(path)
    assert store.load("quickbooks:9130") is None and not path.exists(), "reading creates nothing"
    store.save("quickbooks:9130", TOKEN)
    store.save("dataverse:contoso", {"access_token": "x"})
    assert store.load("quickbooks:9130") == TOKEN
    assert TokenStore(path).keys() == ["dataverse:contoso", "quickbooks:9130"], "a fresh instance reads the file"
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
    assert store.delete("dataverse:contoso") is True and store.delete("dataverse:contoso") is False
    assert store.load("dataverse:contoso") is None and store.load("quickbooks:9130") == TOKEN
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == [], "no temp files left"


def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    TokenStore(tmp_path / "tokens.json").save("k", {"a": 1})
    assert _mode(tmp_path) == 0o755


def test_world_readable_file_is_restricted_with_a_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "tokens.json"
    path.write_text('{"k": {"a": 1}}')
    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        assert TokenStore(path).load("k") == {"a": 1}
    assert _mode(path) == 0o600
    assert "readable by other users" in caplog.text


def test_crash_between_write_and_replace_keeps_the_old_tokens(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    store = TokenStore(path)
    store.save("quickbooks:9130", TOKEN)
    # A process killed after writing its temporary file but before os.replace leaves this behind:
    leftover = tmp_path / ".tokens.json.abc123.tmp"
    leftover.write_text('{"quickbooks:9130": {"refresh_token": "half-writ')
    assert TokenStore(path).load("quickbooks:9130") == TOKEN
    store.save("quickbooks:9130", {**TOKEN, "refresh_token": "rotated"})
    assert TokenStore(path).load("quickbooks:9130") == {**TOKEN, "refresh_token": "rotated"}


def test_killed_writer_process_never_tears_the_file(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    TokenStore(path).save("k", {"n": -1})
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from inolink_tui.store import tokens\n"
        "real = os.replace\n"
        "def boom(*a, **k):\n"
        "    os._exit(9)  # die between fsync and rename\n"
        "tokens.os.replace = boom\n"
        f"tokens.TokenStore(Path({str(path)!r})).save('k', {{'n': 1}})\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 9, result.stderr
    assert TokenStore(path).load("k") == {"n": -1}


def test_corrupt_or_wrong_shape_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("{not json")
    with pytest.raises(TokenStoreError, match="not valid JSON") as info:
        TokenStore(path).load("k")
    assert str(path) in str(info.value)
    with pytest.raises(TokenStoreError, match="not valid JSON"):
        TokenStore(path).save("k", {"a": 1})
    assert path.read_text() == "{not json", "a bad file is never overwritten"
    path.write_text("[1, 2]")
    with pytest.raises(TokenStoreError, match="must hold a JSON object"):
        TokenStore(path).load("k")
    with pytest.raises(TypeError):
        TokenStore(tmp_path / "other.json").save("k", "token")  # type: ignore[arg-type]


def test_empty_file_reads_as_no_tokens(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    path.write_text("")
    os.chmod(path, 0o600)
    assert TokenStore(path).load("k") is None


async def test_async_wrappers(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "t" / "tokens.json")
    await store.asave("quickbooks:1", TOKEN)
    assert await store.aload("quickbooks:1") == TOKEN
    assert await store.adelete("quickbooks:1") is True
    assert await store.aload("quickbooks:1") is None


def test_two_processes_saving_different_keys_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from inolink_tui.store.tokens import TokenStore\n"
        f"store = TokenStore(Path({str(path)!r}))\n"
        "for i in range(40):\n"
        "    store.save(f'{sys.argv[1]}:{i}', {'i': i})\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, name]) for name in ("a", "b")]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    keys = TokenStore(path).keys()
    assert len(keys) == 80
