"""One SQLite connection on its own thread, driven from asyncio one whole transaction per hop.

Why not aiosqlite: its public API sends one statement per thread hop, so a transaction of five
statements takes five round-trips and may interleave with another coroutine's statements on the same
connection; running a whole function on its thread needs its private `_conn` / `_execute`. This is
the small part of it the store uses, on the standard library only: a single-thread executor that
owns the connection (created, used and closed on that thread, so sqlite3's same-thread check holds).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import Any, Concatenate, ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger(__name__)

_Call = tuple["asyncio.Future[Any]", Callable[[], Any]]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the awaiting coroutine was cancelled; the call ran anyway, as it had begun
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _serve(calls: SimpleQueue[_Call | None]) -> None:
    """The connection's thread: run each call in turn, hand the outcome back to the caller's loop."""
    while (item := calls.get()) is not None:
        future, call = item
        result: Any = None
        error: BaseException | None = None
        try:
            result = call()
        except BaseException as exc:  # handed to the awaiting coroutine, whatever it is
            error = exc
        try:
            future.get_loop().call_soon_threadsafe(_settle, future, result, error)
        except RuntimeError:  # the event loop is closed: nobody is waiting any more
            log.debug("store call finished after its event loop closed")


class SqliteThread:
    """A sqlite3 connection that only its own thread touches; `run` executes a function there.

    A plain queue and `call_soon_threadsafe`, as aiosqlite does it: `loop.run_in_executor` over a
    one-thread pool was measured ~15-20 us slower per call (the store makes one call per read).
    """

    def __init__(self) -> None:
        self._calls: SimpleQueue[_Call | None] = SimpleQueue()
        self._thread = threading.Thread(target=_serve, args=(self._calls,), name="sqlite", daemon=True)
        self._thread.start()
        self._conn: sqlite3.Connection | None = None

    @classmethod
    async def connect(cls, database: str, **kwargs: Any) -> SqliteThread:
        """Open `database` (arguments as for `sqlite3.connect`) on a new thread of its own."""
        self = cls()
        try:
            self._conn = await self._call(functools.partial(sqlite3.connect, database, **kwargs))
        except BaseException:
            self._calls.put(None)
            raise
        return self

    def _call(self, call: Callable[[], T]) -> asyncio.Future[T]:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._calls.put((future, call))
        return future

    async def run(self, fn: Callable[Concatenate[sqlite3.Connection, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`fn(connection, *args, **kwargs)` on the connection's thread; calls run in the order made."""
        conn = self._conn
        if conn is None:
            raise ValueError("the store connection is closed")
        return await self._call(functools.partial(fn, conn, *args, **kwargs))

    async def close(self) -> None:
        """Close the connection after the calls already queued, then end the thread; twice does nothing."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await self._call(conn.close)
        finally:
            self._calls.put(None)
