"""The config stamp (config/stamp.py): a store path is taken from it only for the very config, environment and code
a full validation saw; it never holds a secret."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from inolink_tui.config import stamp


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in [n for n in os.environ if n.startswith("INOLINK_")]:
        monkeypatch.delenv(name)
    path = tmp_path / "c.toml"
    path.write_text('[store]\npath = "jobs.db"\n', encoding="utf-8")
    return path


def test_a_stamp_answers_for_the_same_config_only(config: Path, tmp_path: Path) -> None:
    assert stamp.stamped_store_path(config) is None
    stamp.remember(config, tmp_path / "jobs.db")
    assert stamp.stamped_store_path(config) == tmp_path / "jobs.db"
    config.write_text('[store]\npath = "other.db"\n', encoding="utf-8")
    assert stamp.stamped_store_path(config) is None
    assert stamp.stamped_store_path(tmp_path / "elsewhere.toml") is None


def test_the_environment_validation_reads_is_part_of_it(
    config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp.remember(config, tmp_path / "jobs.db")
    for name, value in (("INOLINK_QBO_CLIENT_SECRET", "x"), ("XDG_DATA_HOME", str(tmp_path)), ("TZ", "Asia/Tokyo")):
        with monkeypatch.context() as patched:
            patched.setenv(name, value)
            assert stamp.stamped_store_path(config) is None, name
    monkeypatch.setenv("INOLINK_QBO_CLIENT_SECRET", "   ")  # blank: no secret, as validation sees it
    assert stamp.stamped_store_path(config) == tmp_path / "jobs.db"


def test_no_secret_value_is_written(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INOLINK_CRM_CLIENT_SECRET", "s3cr3t-Value-42")
    stamp.remember(config, tmp_path / "jobs.db")
    written = stamp.stamp_path().read_bytes()
    assert b"s3cr3t" not in written
    assert stamp.stamp_path().stat().st_mode & 0o077 == 0
    # Validation only asks whether a secret is set, so another value keeps the stamp.
    monkeypatch.setenv("INOLINK_CRM_CLIENT_SECRET", "another-value")
    assert stamp.stamped_store_path(config) == tmp_path / "jobs.db"


def test_changed_code_invalidates_it(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code = tmp_path / "code"
    code.mkdir()
    module = code / "model.py"
    module.write_text("X = 1\n", encoding="utf-8")
    monkeypatch.setattr(stamp, "CODE_DIRS", (code,))
    stamp.remember(config, tmp_path / "jobs.db")
    assert stamp.stamped_store_path(config) == tmp_path / "jobs.db"
    module.write_text("X = 22\n", encoding="utf-8")
    assert stamp.stamped_store_path(config) is None


def test_a_store_path_that_became_a_folder_is_validated_again(config: Path, tmp_path: Path) -> None:
    stamp.remember(config, tmp_path / "jobs.db")
    (tmp_path / "jobs.db").mkdir()
    assert stamp.stamped_store_path(config) is None


def test_an_unwritable_cache_costs_only_speed(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    stamp.remember(config, tmp_path / "jobs.db")
    assert stamp.stamped_store_path(config) is None
