"""Where inolink-tui's files live by default (the XDG directories), without pydantic.

Split from `config.fields` so that what only needs a path (the config stamp the job commands read, see
`config.stamp`) does not import the validation machinery; `config.fields` re-exports these names.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "inolink-tui"


def default_data_dir() -> Path:
    """The XDG data dir, read at call time so XDG_DATA_HOME set after import still counts."""
    return platformdirs.user_data_path(APP_NAME)


def default_config_path() -> Path:
    return platformdirs.user_config_path(APP_NAME) / "config.toml"


def default_store_path() -> Path:
    return default_data_dir() / "jobs.db"


def default_token_file() -> Path:
    return default_data_dir() / "tokens.json"


def default_cache_dir() -> Path:
    """The XDG cache dir: files that may be deleted at any time and are rebuilt (the config stamp)."""
    return platformdirs.user_cache_path(APP_NAME)
