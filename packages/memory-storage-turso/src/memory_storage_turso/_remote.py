"""The remote engine: :class:`Database` over Hrana HTTP streams (sqld or Turso).

Reads are one round trip each (``[execute, close]`` on a fresh stream) and may
run concurrently. Writes are serialized per storage by an ``anyio.Lock`` (the
server serializes writers anyway; queuing here spares our own requests from
bouncing off each other as ``SQLITE_BUSY``). A small write is one round trip:
``BEGIN IMMEDIATE``, the statements and ``COMMIT`` in one ``batch`` whose steps
each run only if the previous one succeeded, and a ``ROLLBACK`` that runs only
if the commit did not. Large writes and interactive transactions keep one
stream open across requests and send at most ``_REQUEST_BYTES`` per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TypeVar

import anyio

from ._hrana import HranaClient, HranaStream, raise_for_error
from ._hrana_wire import (
    Batch,
    BatchRequest,
    BatchResponse,
    BatchStep,
    CloseRequest,
    ExecuteRequest,
    ExecuteResponse,
    HranaError,
    NotCond,
    OkCond,
    StmtResult,
    StreamOk,
    StreamRequest,
    WireStmt,
    decode_rows,
    to_wire_value,
)
from ._retry import Backoff, retrying
from ._sql import Operation, Row, SqlValue, Statement, Transaction
from .errors import StorageQueryError

__all__ = ["RemoteDatabase"]

T = TypeVar("T")

# Below sqld's default request limits with room for JSON and base64 overhead.
_REQUEST_BYTES = 2_000_000
_CLOSE_TIMEOUT = 2.0


def _stmt(sql: str, params: Sequence[SqlValue], *, want_rows: bool = True) -> WireStmt:
    return WireStmt(sql, [to_wire_value(value) for value in params], want_rows)


def _value_size(value: SqlValue) -> int:
    # Rough JSON size: ~30 bytes of framing per value, base64 grows bytes by 4/3,
    # text is UTF-8 (up to 3 bytes per character outside ASCII; counted as 2).
    if isinstance(value, bytes):
        return 30 + len(value) * 4 // 3
    if isinstance(value, str):
        return 30 + 2 * len(value)
    return 30


def _size(params: Sequence[SqlValue]) -> int:
    return sum(map(_value_size, params))


R = TypeVar("R", ExecuteResponse, BatchResponse)


def _expect(result: StreamOk, kind: type[R], display: str) -> R:
    """The response of ``result`` if it is a ``kind``; a typed error for a confused server."""
    response = result.response
    if not isinstance(response, kind):
        raise StorageQueryError(
            f"{display} answered a {type(response).__name__} to a {kind.__name__} request",
            url=display,
        )
    return response


def _statements(operations: Sequence[Operation]) -> Iterator[tuple[int, WireStmt, int]]:
    """(operation index, statement, approximate size) for every statement to run."""
    for index, operation in enumerate(operations):
        if isinstance(operation, Statement):
            yield (
                index,
                _stmt(operation.sql, operation.params, want_rows=False),
                _size(operation.params) + len(operation.sql),
            )
        else:
            for row in operation.rows:
                yield (
                    index,
                    _stmt(operation.sql, row, want_rows=False),
                    _size(row) + len(operation.sql),
                )


def _chained(stmts: Sequence[WireStmt], first: int = 0) -> list[BatchStep]:
    """Batch steps where each runs only if the one before succeeded."""
    return [
        BatchStep(stmt, OkCond(first + i - 1) if first + i > 0 else None)
        for i, stmt in enumerate(stmts)
    ]


class _RemoteTransaction:
    """A write transaction on one open stream; ``BEGIN`` rides on the first request."""

    def __init__(self, database: RemoteDatabase, stream: HranaStream) -> None:
        self._database = database
        self._stream = stream
        self._begun = False

    async def _send(self, request: StreamRequest) -> StreamOk:
        requests: list[StreamRequest] = [request]
        if not self._begun:
            requests.insert(0, ExecuteRequest(_stmt("BEGIN IMMEDIATE", (), want_rows=False)))
            self._begun = True
        return (await self._stream.send(requests))[-1]

    async def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        result = await self._send(ExecuteRequest(_stmt(sql, params)))
        return decode_rows(_expect(result, ExecuteResponse, self._database.display).result)

    async def write(self, operations: Sequence[Operation]) -> list[int]:
        counts = [0] * len(operations)
        pending: list[tuple[int, WireStmt]] = []
        size = 0
        for index, stmt, stmt_size in _statements(operations):
            if pending and size + stmt_size > _REQUEST_BYTES:
                await self._flush(pending, counts)
                pending, size = [], 0
            pending.append((index, stmt))
            size += stmt_size
        if pending:
            await self._flush(pending, counts)
        return counts

    async def _flush(self, pending: list[tuple[int, WireStmt]], counts: list[int]) -> None:
        steps = _chained([stmt for _, stmt in pending])
        result = await self._send(BatchRequest(Batch(steps)))
        batch = _expect(result, BatchResponse, self._database.display).result
        indexes = [index for index, _ in pending]
        self._database.collect(batch.step_results, batch.step_errors, indexes, counts)

    async def commit(self) -> None:
        if self._begun:
            await self._stream.send(
                [ExecuteRequest(_stmt("COMMIT", (), want_rows=False)), CloseRequest()]
            )
        else:
            await self._stream.close()


class RemoteDatabase:
    """A database reached over Hrana HTTP; see the module docstring."""

    batch_rows = 256

    def __init__(self, client: HranaClient, *, backoff: Backoff) -> None:
        self._client = client
        #: The database URL without credentials, for messages.
        self.display = client.display
        self._backoff = backoff
        self._write_lock = anyio.Lock()

    async def connect(self) -> None:
        """Create the HTTP client; the first statement reveals whether the server answers."""
        self._write_lock = anyio.Lock()
        await self._client.open()

    async def close(self) -> None:
        """Close the HTTP client; idempotent."""
        with anyio.CancelScope(shield=True):
            await self._client.aclose()

    async def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        """Rows of one statement, on a stream of its own."""

        async def attempt() -> list[Row]:
            stream = self._client.stream()
            results = await stream.send([ExecuteRequest(_stmt(sql, params)), CloseRequest()])
            return decode_rows(_expect(results[0], ExecuteResponse, self.display).result)

        return await retrying(attempt, self._backoff, what="query", url=self.display)

    async def write(self, operations: Sequence[Operation]) -> list[int]:
        """Run ``operations`` atomically: one round trip when they fit in one request."""
        statements = list(_statements(operations))
        if sum(size for _, _, size in statements) > _REQUEST_BYTES:
            return await self.transact(lambda tx: tx.write(operations))

        async def attempt() -> list[int]:
            body = [stmt for _, stmt, _ in statements]
            n = len(body)
            steps = [
                BatchStep(_stmt("BEGIN IMMEDIATE", (), want_rows=False)),
                *_chained(body, first=1),
                BatchStep(_stmt("COMMIT", (), want_rows=False), OkCond(n)),
                BatchStep(_stmt("ROLLBACK", (), want_rows=False), NotCond(OkCond(n + 1))),
            ]
            stream = self._client.stream()
            results = await stream.send([BatchRequest(Batch(steps)), CloseRequest()])
            batch = _expect(results[0], BatchResponse, self.display).result
            counts = [0] * len(operations)
            results_, errors = batch.step_results, batch.step_errors
            if len(results_) != n + 3 or len(errors) != n + 3:
                raise StorageQueryError(
                    f"{self.display} answered {len(errors)} step results to {n + 3} steps",
                    url=self.display,
                )
            # Step 0 is BEGIN; COMMIT and ROLLBACK trail the statements.
            begin, commit = errors[0], errors[n + 1]
            if begin is not None:
                raise_for_error(begin, self._client)
            indexes = [index for index, _, _ in statements]
            self.collect(results_[1 : n + 1], errors[1 : n + 1], indexes, counts)
            if commit is not None:
                raise_for_error(commit, self._client)
            return counts

        return await retrying(self._locked(attempt), self._backoff, what="write", url=self.display)

    def collect(
        self,
        step_results: Sequence[StmtResult | None],
        step_errors: Sequence[HranaError | None],
        indexes: list[int],
        counts: list[int],
    ) -> None:
        """Add each step's change count to its operation; raise the first step error."""
        if len(step_results) != len(indexes) or len(step_errors) != len(indexes):
            raise StorageQueryError(
                f"{self.display} answered {len(step_results)} step results to {len(indexes)} steps",
                url=self.display,
            )
        for index, step, error in zip(indexes, step_results, step_errors, strict=True):
            if error is not None:
                raise_for_error(error, self._client)
            if step is not None:
                counts[index] += step.affected_row_count

    async def transact(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``work`` in one transaction on one stream, retried from the start when transient."""

        async def attempt() -> T:
            stream = self._client.stream()
            transaction = _RemoteTransaction(self, stream)
            try:
                result = await work(transaction)
                await transaction.commit()
            except BaseException:
                # Closing the stream makes the server roll back whatever was begun.
                with anyio.CancelScope(shield=True), anyio.move_on_after(_CLOSE_TIMEOUT):
                    await stream.close()
                raise
            return result

        return await retrying(
            self._locked(attempt), self._backoff, what="transaction", url=self.display
        )

    def _locked(self, attempt: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
        """``attempt`` holding the write lock: one write at a time, but not across backoff.

        Holding it through the whole retry loop made every writer queue behind the
        others' retry budgets while the server was down; per attempt, each writer
        gives up within its own budget.
        """

        async def locked() -> T:
            async with self._write_lock:
                return await attempt()

        return locked
