"""Remembering that a config validated, so the job commands need not import pydantic again (issue 18 item 3).

`jobs list` needs one thing from the config: the job store's path. Validating the whole file (pydantic and the
model: about 0.25 s here, three times the interpreter's own start) on every run made it slow, and skipping the
validation would let a broken config pass unnoticed, which the CLI promises it will not (a bad file is reported even
with --db). So a full validation writes a stamp: a digest of everything validation reads, beside the store path it
produced. The digest covers the config file's absolute path and bytes; which INOLINK_* variables are set (never a
value: a secret only has to be non-blank, and no secret is written anywhere); the variables the default paths and the
local time zone come from; and the code that validates (size and modification time of each module of `config` and
`domain`, and of pydantic). A later run whose digest matches takes the path from the stamp; any difference means a
full validation again, which reports a problem exactly as before. One stamp (the last config validated) in the
user's cache directory; a stamp that cannot be read or written only costs the slow path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from inolink_tui.config.paths import default_cache_dir, default_config_path

if TYPE_CHECKING:
    from logging import Logger

STAMP_NAME = "config-stamp.json"
ENV_PREFIX = "INOLINK_"
PLACE_VARS = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "TZ")
"""Where the default store and token paths point, and the zone a schedule's local times mean."""
PACKAGE = Path(__file__).resolve().parents[1]
CODE_DIRS = (PACKAGE / "config", PACKAGE / "domain")
LIBRARIES = ("pydantic", "pydantic_core")


def stamp_path() -> Path:
    return default_cache_dir() / STAMP_NAME


def digest(config_path: Path | None, environ: Mapping[str, str] | None = None) -> tuple[str, Path] | None:
    """The digest of everything validating `config_path` reads, and the config's absolute path; None when the file
    cannot be read (full validation then says why)."""
    env = os.environ if environ is None else environ
    path = (config_path if config_path is not None else default_config_path()).absolute()
    h = hashlib.sha256()
    h.update(f"{sys.version}\0{path}\0".encode())
    try:
        h.update(path.read_bytes())
    except FileNotFoundError:
        h.update(b"\0absent\0")
    except OSError:
        return None
    h.update(b"\0")
    for name in sorted(env):
        if name.startswith(ENV_PREFIX) and env[name].strip():
            h.update(f"{name}\0".encode())
    for name in PLACE_VARS:
        h.update(f"{name}={env.get(name, '')}\0".encode())
    h.update(os.path.realpath("/etc/localtime").encode())
    for module in _code_files():
        try:
            info = module.stat()
        except OSError:
            continue
        h.update(f"{module}:{info.st_size}:{info.st_mtime_ns}\0".encode())
    return h.hexdigest(), path


def _code_files() -> list[Path]:
    files: list[Path] = []
    for folder in CODE_DIRS:
        for root, _dirs, names in os.walk(folder):
            files.extend(Path(root) / name for name in sorted(names) if name.endswith(".py"))
    for library in LIBRARIES:
        spec = importlib.util.find_spec(library)
        if spec is not None and spec.origin:
            files.append(Path(spec.origin))
    return files


def stamped_store_path(config_path: Path | None) -> Path | None:
    """The store path a full validation of this very config produced, or None (validate it)."""
    found = digest(config_path)
    if found is None:
        return None
    try:
        stamp = json.loads(stamp_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict) or stamp.get("digest") != found[0] or not isinstance(stamp.get("store"), str):
        return None
    store = Path(stamp["store"])
    if store.is_dir():  # the one check validation makes of the file system: let it report this
        return None
    return store


def remember(config_path: Path | None, store: Path) -> None:
    """After a full validation succeeded: write the stamp (atomically, owner-only); failure only costs speed."""
    found = digest(config_path)
    if found is None:
        return
    target = stamp_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{STAMP_NAME}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump({"digest": found[0], "config": str(found[1]), "store": str(store)}, handle)
        os.replace(temporary, target)
    except OSError as exc:
        _log().debug("config stamp not written (%s): the next command validates the config again", exc)


def _log() -> Logger:
    """This module's logger, imported when first used: reading a store (`jobs list`) never needs logging."""
    import logging

    return logging.getLogger(__name__)
