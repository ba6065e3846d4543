"""Patterns, heuristics and metadata over a :class:`Database`.

Patterns and heuristics share one shape (id → msgpack record), so one small
:class:`RecordTable` serves both; table names are constants of this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from memory_core.codec import decode_heuristic, decode_pattern
from memory_core.errors import ValidationError
from memory_core.patterns import Heuristic, Pattern

from ._episodes import upsert_rows
from ._records import decode_row, heuristic_row, pattern_row
from ._sql import Database, SqlValue, Statement, Upsert

__all__ = ["HEURISTICS", "PATTERNS", "RecordTable", "get_metadata", "set_metadata"]

R = TypeVar("R")


class RecordTable(Generic[R]):
    """CRUD of one id-keyed msgpack table (``patterns`` or ``heuristics``)."""

    def __init__(
        self,
        table: str,
        upsert: Upsert,
        to_row: Callable[[R], Sequence[SqlValue]],
        decode: Callable[..., R],
        kind: str,
    ) -> None:
        self._table = table
        self._upsert = upsert
        self._to_row = to_row
        self._decode = decode
        self._kind = kind

    def _record(self, value: SqlValue, key: SqlValue | uuid.UUID) -> R:
        return decode_row(self._decode, self._kind, value, key)

    async def put(self, db: Database, items: Sequence[R]) -> None:
        """Insert or replace ``items`` in one transaction."""
        await upsert_rows(db, self._upsert, items, self._to_row)

    async def get(self, db: Database, item_id: uuid.UUID) -> R | None:
        """The record with this id, or None."""
        rows = await db.query(f"SELECT data FROM {self._table} WHERE id = ?", (item_id.bytes,))
        return self._record(rows[0][0], item_id) if rows else None

    async def list(self, db: Database, limit: int, offset: int) -> list[R]:
        """Records ordered by id (the 16 id bytes, i.e. UUID order)."""
        if limit <= 0:
            return []
        rows = await db.query(
            f"SELECT id, data FROM {self._table} ORDER BY id LIMIT ? OFFSET ?",
            (limit, max(0, offset)),
        )
        return [self._record(data, key) for key, data in rows]

    async def delete(self, db: Database, item_id: uuid.UUID) -> bool:
        """Delete by id; True if it existed."""
        sql = f"DELETE FROM {self._table} WHERE id = ?"
        return (await db.write([Statement(sql, (item_id.bytes,))]))[0] > 0

    async def count(self, db: Database) -> int:
        """Number of records."""
        value = (await db.query(f"SELECT count(*) FROM {self._table}"))[0][0]
        return int(value) if isinstance(value, int | float) else 0


PATTERNS: RecordTable[Pattern] = RecordTable(
    "patterns",
    Upsert("patterns", key=("id",), columns=("id", "kind", "data")),
    pattern_row,
    decode_pattern,
    "pattern",
)
HEURISTICS: RecordTable[Heuristic] = RecordTable(
    "heuristics",
    Upsert("heuristics", key=("id",), columns=("id", "data")),
    heuristic_row,
    decode_heuristic,
    "heuristic",
)


_METADATA = Upsert("metadata", key=("key",), columns=("key", "value"))


def _utf8(text: str) -> bytes:
    # Stored as bytes, not TEXT: libsql 0.1 cuts bound strings at a NUL character, and
    # metadata is free-form. surrogatepass keeps even lone surrogates exact.
    return text.encode("utf-8", "surrogatepass")


async def get_metadata(db: Database, key: str) -> str | None:
    """A metadata value, or None."""
    rows = await db.query("SELECT value FROM metadata WHERE key = ?", (_utf8(key),))
    if not rows:
        return None
    value = rows[0][0]
    if not isinstance(value, bytes):
        raise ValidationError("stored metadata value is not bytes")
    return value.decode("utf-8", "surrogatepass")


async def set_metadata(db: Database, key: str, value: str) -> None:
    """Set a metadata value."""
    await db.write(_METADATA.statements([(_utf8(key), _utf8(value))], 1))
