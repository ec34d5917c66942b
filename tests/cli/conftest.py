"""Every config test runs with its own XDG dirs and no INOLINK_* secrets from the caller's shell."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))  # the config stamp (config/stamp.py)
    for var in ("INOLINK_CRM_CLIENT_SECRET", "INOLINK_QBO_CLIENT_SECRET", "INOLINK_SMTP_PASSWORD", "INOLINK_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path
