"""Group commit: concurrent write calls share one SQLite transaction.

A commit costs the same whether it carries one job's completion or fifty, and the writer thread
runs one transaction at a time anyway. So while a transaction is running, further calls queue up;
the next transaction runs them all, each inside its own SAVEPOINT so that one call's error (a lost
lease, a bad id) rolls back only that call. Each caller still gets its own result or exception,
and only after the COMMIT that made its change durable. A caller awaiting one call at a time sees
the same behaviour and cost as a plain transaction per call.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

MAX_BATCH = 256
"""Calls per transaction at most: bounds how long one transaction holds the write lock."""


@dataclass(slots=True)
class WriteCall:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any] = field(repr=False)


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    value: Any


def run_batch(
    conn: sqlite3.Connection, begin: Callable[[sqlite3.Connection], None], calls: list[WriteCall]
) -> list[Outcome]:
    """Run `calls` in one transaction (on the connection's thread); one Outcome per call.

    An exception escaping this function (BEGIN or COMMIT failed, or SQLite abandoned the whole
    transaction) means no call's change was kept: every caller gets that exception.
    """
    begin(conn)
    outcomes: list[Outcome] = []
    try:
        if len(calls) == 1:
            call = calls[0]
            try:
                outcomes.append(Outcome(True, call.fn(conn, *call.args, **call.kwargs)))
            except Exception as exc:
                if not conn.in_transaction:
                    raise
                conn.execute("ROLLBACK")
                return [Outcome(False, exc)]
        else:
            for call in calls:
                conn.execute("SAVEPOINT call")
                try:
                    value = call.fn(conn, *call.args, **call.kwargs)
                except Exception as exc:
                    if not conn.in_transaction:
                        raise  # SQLite rolled back everything (e.g. disk full): nothing was kept
                    conn.execute("ROLLBACK TO call")
                    conn.execute("RELEASE call")
                    outcomes.append(Outcome(False, exc))
                else:
                    conn.execute("RELEASE call")
                    outcomes.append(Outcome(True, value))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


class GroupCommitter:
    """Queues write calls and feeds them, in order, to one flusher task per connection."""

    def __init__(self, execute: Callable[[list[WriteCall]], Any]) -> None:
        """`execute(calls)` is an awaitable running `run_batch` on the connection's thread."""
        self._execute = execute
        self._pending: list[WriteCall] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(WriteCall(fn, args, kwargs, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush(), name="store-group-commit")
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                outcomes: list[Outcome] = await self._execute(batch)
            except BaseException as exc:
                for call in batch:
                    if not call.future.done():
                        call.future.set_exception(exc)
                if not isinstance(exc, Exception):  # cancelled: fail the rest too rather than hang them
                    for call in self._pending:
                        call.future.set_exception(exc)
                    self._pending = []
                    raise
                continue
            for call, outcome in zip(batch, outcomes, strict=True):
                if call.future.done():  # the caller was cancelled; its change is committed regardless
                    continue
                if outcome.ok:
                    call.future.set_result(outcome.value)
                else:
                    call.future.set_exception(outcome.value)

    async def drain(self) -> None:
        """Wait until every queued call has been committed (before closing the connection)."""
        if self._flusher is not None and not self._flusher.done():
            await asyncio.shield(self._flusher)
