"""Opening the job store for one CLI command, and turning store trouble into one line and exit 2."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from inolink_tui.cli.context import CliContext
from inolink_tui.store import open_store
from inolink_tui.store.base import JobStore, StoreError
from inolink_tui.store.snapshot import StoreSnapshot, open_snapshot

T = TypeVar("T")

EXIT_USAGE = 2
"""Bad input, bad config, refused by --read-only, or the store cannot be used."""
EXIT_NOT_DONE = 1
"""The command ran, but not everything asked for happened (unknown job, skipped jobs, declined prompt)."""


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One line on stderr, then exit: operators grep service logs for these, so no traceback."""
    click.echo(f"inolink-tui: {message}", err=True)
    raise SystemExit(code)


def refuse_if_read_only(cli: CliContext, action: str) -> None:
    """Checked before the store is opened, so a read-only session never even takes a write lock."""
    if cli.read_only:
        fail(f"read-only: {action} refused (started with --read-only)")


def cli_actor() -> str:
    """The audit log's actor for CLI actions: "cli:<OS user>"."""
    import getpass  # only the commands that change jobs need it (termios): not `jobs list`

    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (e.g. an arbitrary container uid)
        user = f"uid{os.getuid()}" if hasattr(os, "getuid") else "unknown"
    return f"cli:{user}"


@asynccontextmanager
async def open_job_store(cli: CliContext, *, create: bool = False) -> AsyncIterator[JobStore]:
    """The store at --db (or [store] path), read-only when --read-only was given.

    Not created by default: the jobs commands read or change jobs that exist, so a path with no store (a typo in
    --db, another user's config) is a one-line error rather than a new empty store and its folders. Commands
    that act on both systems (promote, link, import...) do the engine's work and may create it, as its first
    run would."""
    path = cli.db_path()
    try:
        store: JobStore = await open_store(path, read_only=cli.read_only, create=create and not cli.read_only)
    except StoreError as exc:
        fail(str(exc) or f"cannot open the job store {path}")
    except OSError as exc:
        fail(f"cannot open the job store {path}: {exc.strerror or exc}")
    try:
        yield store
    finally:
        with suppress(StoreError):
            await store.close()


@contextmanager
def reading_job_store(cli: CliContext) -> Iterator[StoreSnapshot]:
    """The store at --db (or [store] path) for reading, without an event loop (store/snapshot.py): `jobs list` and
    `jobs show` cost little more than their query. A store this version cannot read as it is (older: to migrate;
    empty, foreign, corrupt, locked) is opened once as `open_job_store` opens it, which migrates it or fails with
    that command's one line, exactly as before; then it is read."""
    path = cli.db_path()
    snapshot = _snapshot(path, cli.read_only)
    if snapshot is None:
        run_store_command(_open_and_close(cli))
        snapshot = _snapshot(path, cli.read_only)
    if snapshot is None:
        fail(f"cannot open the job store {path}")
    try:
        yield snapshot
    except StoreError as exc:
        fail(str(exc) or type(exc).__name__)
    finally:
        snapshot.close()


def _snapshot(path: Path, read_only: bool) -> StoreSnapshot | None:
    try:
        return open_snapshot(path, read_only=read_only)
    except StoreError as exc:
        fail(str(exc) or f"cannot open the job store {path}")
    except OSError as exc:
        fail(f"cannot open the job store {path}: {exc.strerror or exc}")


async def _open_and_close(cli: CliContext) -> None:
    async with open_job_store(cli):
        pass


def run_store_command(coro: Coroutine[Any, Any, T]) -> T:
    """Run one command's coroutine; a store failure (locked, corrupt, read-only disk) is one line, exit 2."""
    import asyncio  # here, not at the top: the reading commands never start an event loop

    try:
        return asyncio.run(coro)
    except StoreError as exc:
        fail(str(exc) or type(exc).__name__)
