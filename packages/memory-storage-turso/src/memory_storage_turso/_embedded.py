"""The embedded engine: one ``libsql`` connection driven from anyio worker threads.

Ownership model: each storage owns exactly **one** connection. An ``anyio.Lock``
gives one task at a time the connection for a whole unit of work (a query, or a
transaction made of several calls), and every call runs in a worker thread
through a private capacity-1 limiter, so the connection is never used by two
threads at once (it is opened with ``_check_same_thread=False`` because anyio may
pick a different pool thread for each call; SQLite connections may move between
threads as long as calls never overlap).

Why not a pool: ``libsql`` holds the GIL for the whole of every call, so a second
connection in a second thread buys no parallelism, only lock contention between
our own connections. Why short calls: while a call runs, the event loop cannot
run Python either, so bulk writes go in small ``executemany`` chunks
(:attr:`EmbeddedDatabase.batch_rows`), letting the loop run between chunks.

Waiting for another process's write lock happens in ``anyio.sleep`` (bounded
exponential backoff), never inside SQLite's busy handler: libsql's busy timeout
is set to zero because its busy wait also holds the GIL (measured: a 2 s busy
wait froze every other thread for 2 s).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import libsql  # type: ignore[import-untyped]  # ships no type information

from ._retry import Backoff, TransientError, retrying
from ._sql import Operation, Row, SqlValue, Statement, Transaction
from .errors import StorageQueryError, StorageUnavailableError

__all__ = ["EmbeddedDatabase"]

T = TypeVar("T")

_BUSY_MARKERS = ("database is locked", "database table is locked", "sqlite_busy")
_SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}
_PAGE_SIZE = 16384


def _is_busy(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _BUSY_MARKERS)


def _fetch(conn: Any, sql: str, params: Sequence[SqlValue]) -> list[Row]:
    rows: list[Row] = conn.execute(sql, tuple(params)).fetchall()
    return rows


def _execute(conn: Any, sql: str, params: Sequence[SqlValue]) -> int:
    count: int = conn.execute(sql, tuple(params)).rowcount
    return count


def _execute_many(conn: Any, sql: str, rows: Sequence[Sequence[SqlValue]]) -> int:
    count: int = conn.executemany(sql, [tuple(row) for row in rows]).rowcount
    return count


class _EmbeddedTransaction:
    """The :class:`Transaction` handed to ``transact`` work; valid only inside it."""

    def __init__(self, database: EmbeddedDatabase, conn: Any) -> None:
        self._database = database
        self._conn = conn

    async def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        return await self._database._call(_fetch, self._conn, sql, params)

    async def write(self, operations: Sequence[Operation]) -> list[int]:
        counts = []
        for operation in operations:
            if isinstance(operation, Statement):
                counts.append(await self._database._call(_execute, self._conn, *operation))
                continue
            total = 0
            step = self._database.batch_rows
            for start in range(0, len(operation.rows), step):
                chunk = operation.rows[start : start + step]
                total += await self._database._call(_execute_many, self._conn, operation.sql, chunk)
            counts.append(total)
        return counts


class EmbeddedDatabase:
    """A libSQL file (WAL mode) or in-memory database; see the module docstring."""

    batch_rows = 128

    def __init__(self, path: str, *, display: str, backoff: Backoff, synchronous: str) -> None:
        self._path = path
        self._display = display
        self._backoff = backoff
        self._synchronous = _SYNCHRONOUS[synchronous]
        self._conn: Any = None
        self._lock = anyio.Lock()
        self._limiter = anyio.CapacityLimiter(1)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        """Run one libsql call in a worker thread, mapping its errors."""
        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self._limiter)
        except (ValueError, libsql.Error) as exc:
            message = str(exc)
            if _is_busy(message):
                raise TransientError(message) from exc
            raise StorageQueryError(
                f"statement failed on {self._display}: {message}", url=self._display
            ) from exc

    def _open(self) -> Any:
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        conn = libsql.connect(
            self._path, isolation_level=None, timeout=0.0, _check_same_thread=False
        )
        try:
            if self._path != ":memory:":
                # Only takes effect when the file is new. Episode records are ~2-4 KB:
                # 16 KiB pages hold several, and bulk inserts ran 1.5x faster than with
                # the default 4 KiB (measured).
                conn.execute(f"PRAGMA page_size={_PAGE_SIZE}")
                # Persistent in the file; readers then never block the writer.
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
            conn.execute(f"PRAGMA synchronous={self._synchronous}")
        except BaseException:
            conn.close()
            raise
        return conn

    async def connect(self) -> None:
        """Open the connection, creating the file and its directory when missing."""
        if self._conn is not None:
            return
        # Created here, not in __init__, so they belong to the event loop that opens.
        self._lock = anyio.Lock()
        self._limiter = anyio.CapacityLimiter(1)

        async def attempt() -> Any:
            try:
                return await anyio.to_thread.run_sync(self._open, limiter=self._limiter)
            except (ValueError, libsql.Error, OSError) as exc:
                if _is_busy(str(exc)):
                    raise TransientError(str(exc)) from exc
                raise StorageUnavailableError(
                    f"cannot open {self._display}: {exc}", url=self._display
                ) from exc

        self._conn = await retrying(attempt, self._backoff, what="open", url=self._display)

    async def close(self) -> None:
        """Close the connection after any running unit of work; idempotent."""
        with anyio.CancelScope(shield=True):
            async with self._lock:
                conn, self._conn = self._conn, None
                if conn is not None:
                    await anyio.to_thread.run_sync(conn.close, limiter=self._limiter)

    def _require(self) -> Any:
        if self._conn is None:
            raise StorageUnavailableError(
                f"{self._display} is closed; open the storage first", url=self._display
            )
        return self._conn

    async def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        """Rows of one statement; retried while another process holds a lock."""

        async def attempt() -> list[Row]:
            async with self._lock:
                return await self._call(_fetch, self._require(), sql, params)

        return await retrying(attempt, self._backoff, what="query", url=self._display)

    async def write(self, operations: Sequence[Operation]) -> list[int]:
        """Run ``operations`` in one transaction."""
        return await self.transact(lambda tx: tx.write(operations))

    async def transact(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``work`` between ``BEGIN IMMEDIATE`` and ``COMMIT``, retrying when busy.

        ``BEGIN IMMEDIATE`` takes the write lock up front, so a busy database fails
        fast at the start instead of halfway through. Any failure or cancellation
        rolls back (shielded, so a cancelled task never leaves a transaction open).
        """

        async def attempt() -> T:
            async with self._lock:
                conn = self._require()
                await self._call(_execute, conn, "BEGIN IMMEDIATE", ())
                try:
                    result = await work(_EmbeddedTransaction(self, conn))
                    await self._call(_execute, conn, "COMMIT", ())
                except BaseException:
                    with anyio.CancelScope(shield=True):
                        await self._rollback(conn)
                    raise
                return result

        return await retrying(attempt, self._backoff, what="write", url=self._display)

    async def _rollback(self, conn: Any) -> None:
        def rollback() -> None:
            if conn.in_transaction:
                conn.execute("ROLLBACK")

        # A failed rollback leaves nothing to undo that SQLite would not undo on
        # close; the original error is the one worth raising.
        with contextlib.suppress(ValueError, libsql.Error):
            await anyio.to_thread.run_sync(rollback, limiter=self._limiter)
