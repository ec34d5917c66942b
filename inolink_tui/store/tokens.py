"""OAuth tokens on disk: one JSON file of {key: token dict}, private to the user, replaced atomically.

QuickBooks rotates its refresh token on every refresh and the old one stops working within a day;
a token file torn by a crash, or an update lost to a concurrent writer, means a person has to
reconnect the company. Hence: write to a temporary file in the same directory, fsync it, rename it
over the old file (atomic on POSIX), fsync the directory; and hold an advisory lock across the
read-modify-write so two processes refreshing different companies do not undo each other's save.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from inolink_tui.store.base import StoreError

try:  # POSIX only; elsewhere the in-process lock is all we have.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700


class TokenStoreError(StoreError):
    """The token file cannot be read or written (one line naming the file and the cause)."""


class TokenStore:
    """Tokens keyed by e.g. "quickbooks:<realm id>" or "dataverse:<tenant>"."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
        self._lock = threading.Lock()

    # --- synchronous API ----------------------------------------------------------------------
    def load(self, key: str) -> dict[str, Any] | None:
        with self._locked(shared=True):
            value = self._read_all().get(key)
        return dict(value) if isinstance(value, dict) else None

    def keys(self) -> list[str]:
        with self._locked(shared=True):
            return sorted(self._read_all())

    def save(self, key: str, value: dict[str, Any]) -> None:
        if not isinstance(value, dict):
            raise TypeError(f"a token must be a dict, got {type(value).__name__}")
        with self._locked(shared=False):
            data = self._read_all()
            data[key] = value
            self._write_all(data)

    def delete(self, key: str) -> bool:
        """Forget `key`; True if it was there."""
        with self._locked(shared=False):
            data = self._read_all()
            if key not in data:
                return False
            del data[key]
            self._write_all(data)
            return True

    # --- async wrappers (file I/O and fsync stay off the event loop) --------------------------
    async def aload(self, key: str) -> dict[str, Any] | None:
        return await asyncio.to_thread(self.load, key)

    async def asave(self, key: str, value: dict[str, Any]) -> None:
        await asyncio.to_thread(self.save, key, value)

    async def adelete(self, key: str) -> bool:
        return await asyncio.to_thread(self.delete, key)

    # --- internals ----------------------------------------------------------------------------
    def _ensure_dir(self) -> None:
        """Create missing directories (and only those) private to the user."""
        parent = self.path.parent
        missing = [d for d in (parent, *parent.parents) if not d.exists()]
        for directory in reversed(missing):
            try:
                directory.mkdir(mode=DIR_MODE, exist_ok=True)
                os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
            except OSError as exc:
                raise TokenStoreError(f"{directory}: cannot create the token directory ({exc.strerror})") from exc

    @contextlib.contextmanager
    def _locked(self, *, shared: bool) -> Iterator[None]:
        with self._lock:
            if fcntl is None:
                yield
                return
            if shared and not self.path.exists():
                yield  # nothing to read, nothing to lock; a reader never creates files
                return
            self._ensure_dir()
            lock_path = self.path.with_name(self.path.name + ".lock")
            try:
                fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, FILE_MODE)
            except OSError as exc:
                raise TokenStoreError(f"{lock_path}: cannot open the lock file ({exc.strerror})") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)  # closing drops the lock

    def _read_all(self) -> dict[str, Any]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise TokenStoreError(f"{self.path}: cannot read the token file ({exc.strerror})") from exc
        with os.fdopen(fd, "rb") as handle:
            mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
            if mode & 0o077:
                log.warning(
                    "%s was readable by other users (mode %o); restricting it to %o", self.path, mode, FILE_MODE
                )
                try:
                    os.fchmod(handle.fileno(), FILE_MODE)
                except OSError as exc:
                    raise TokenStoreError(
                        f"{self.path}: token file is readable by others and cannot be restricted ({exc.strerror})"
                    ) from exc
            raw = handle.read()
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise TokenStoreError(f"{self.path}: token file is not valid JSON ({exc}); fix or remove it") from exc
        if not isinstance(data, dict):
            raise TokenStoreError(f"{self.path}: token file must hold a JSON object, found {type(data).__name__}")
        return data

    def _write_all(self, data: dict[str, Any]) -> None:
        self._ensure_dir()
        payload = json.dumps(data, indent=2, sort_keys=True).encode()
        directory = self.path.parent
        try:
            fd, tmp_name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise TokenStoreError(f"{directory}: cannot create a temporary token file ({exc.strerror})") from exc
        tmp = Path(tmp_name)
        try:
            os.fchmod(fd, FILE_MODE)  # mkstemp already uses 0600; be explicit about the promise
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise TokenStoreError(f"{self.path}: cannot write the token file ({exc.strerror})") from exc
        _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
