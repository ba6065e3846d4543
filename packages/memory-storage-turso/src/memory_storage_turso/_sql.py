"""The small SQL interface both engines implement (embedded libsql, remote Hrana).

:class:`TursoStorage` is written once against :class:`Database`; the engines
differ only in how a statement reaches SQLite. Every statement is parameterized:
values travel as :data:`SqlValue` arguments, never inside SQL text.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol, TypeVar

__all__ = [
    "MAX_PARAMS",
    "Database",
    "Many",
    "Operation",
    "Row",
    "SqlValue",
    "Statement",
    "Transaction",
    "Upsert",
]

#: SQLite's limit on bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER since 3.32).
MAX_PARAMS = 32766

SqlValue = None | int | float | str | bytes
Row = tuple[SqlValue, ...]
T = TypeVar("T")


class Statement(NamedTuple):
    """One statement and its positional arguments."""

    sql: str
    params: Sequence[SqlValue] = ()


class Many(NamedTuple):
    """One statement run once per argument row (``executemany``)."""

    sql: str
    rows: Sequence[Sequence[SqlValue]]


Operation = Statement | Many


@dataclass(frozen=True)
class Upsert:
    """An insert-or-replace into ``table``, written as multi-row ``VALUES`` statements.

    One statement per chunk of rows instead of one per row: libsql's
    ``executemany`` pays a per-row cost that made an upsert of 20k episodes run
    at half the speed of the same rows sent as statements of 128 rows (measured).
    Table and column names are constants of this package, never caller input.
    """

    table: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    #: Extra assignments made when a row already exists (e.g. ``"text_indexed = 0"``).
    on_update: str = ""

    def statements(self, rows: Sequence[Sequence[SqlValue]], per_statement: int) -> list[Statement]:
        """The statements writing ``rows``, at most ``per_statement`` rows each."""
        step = max(1, min(per_statement, MAX_PARAMS // len(self.columns)))
        return [
            Statement(_upsert_sql(self, len(chunk)), [value for row in chunk for value in row])
            for chunk in (rows[start : start + step] for start in range(0, len(rows), step))
        ]


@functools.lru_cache(maxsize=256)
def _upsert_sql(upsert: Upsert, rows: int) -> str:
    placeholders = "(" + ", ".join("?" * len(upsert.columns)) + ")"
    updates = [f"{name} = excluded.{name}" for name in upsert.columns if name not in upsert.key]
    if upsert.on_update:
        updates.append(upsert.on_update)
    return (
        f"INSERT INTO {upsert.table} ({', '.join(upsert.columns)}) "
        f"VALUES {', '.join([placeholders] * rows)} "
        f"ON CONFLICT ({', '.join(upsert.key)}) DO UPDATE SET {', '.join(updates)}"
    )


class Transaction(Protocol):
    """Statements inside one write transaction (``BEGIN IMMEDIATE`` … ``COMMIT``)."""

    async def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        """Rows of a SELECT, seeing this transaction's own writes."""
        ...

    async def write(self, operations: Sequence[Operation]) -> list[int]:
        """Run ``operations`` in order; the number of rows each changed."""
        ...


class Database(Protocol):
    """A connection to one libSQL database, owned by one :class:`TursoStorage`."""

    #: Rows per write call: small for the embedded engine (each call holds the
    #: GIL), larger for the remote one (each call is a round trip).
    batch_rows: int

    async def connect(self) -> None:
        """Open the connection (no schema work). Raises StorageError subclasses."""
        ...

    async def close(self) -> None:
        """Release the connection; idempotent."""
        ...

    async def query(self, sql: str, params: Sequence[SqlValue] = ()) -> list[Row]:
        """Rows of one read-only statement (retried on transient failures)."""
        ...

    async def write(self, operations: Sequence[Operation]) -> list[int]:
        """Run ``operations`` atomically in one transaction; rows changed by each."""
        ...

    async def transact(self, work: Callable[[Transaction], Awaitable[T]]) -> T:
        """Run ``work`` in one write transaction, committed when it returns.

        On a transient failure the transaction is rolled back and ``work`` runs
        again from the start (so it must only touch the database through the
        transaction); any other error rolls back and propagates.
        """
        ...
