"""Episode reads and writes over a :class:`Database`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TypeVar

from memory_core.errors import ValidationError
from memory_core.models import Episode
from memory_core.storage import EpisodeQuery

from ._records import EPISODES, episode_from_row, episode_row, tag_token, timestamp_micros
from ._sql import Database, Row, SqlValue, Statement, Transaction, Upsert

__all__ = [
    "count_episodes",
    "delete_episode",
    "get_episode",
    "get_episodes",
    "iter_episodes",
    "list_episodes",
    "put_episodes",
    "upsert_rows",
]

T = TypeVar("T")

# Well under SQLite's default limit of 32766 bound parameters per statement.
_IDS_PER_QUERY = 500
_TAG_FILTER = "instr(tags, ?) > 0"
# Every outcome has a status, so the status column also tells finished from running.
_COMPLETED = {True: "status IS NOT NULL", False: "status IS NULL"}


def _blob(value: SqlValue) -> bytes:
    if not isinstance(value, bytes):
        raise ValidationError(f"stored record is {type(value).__name__}, expected bytes")
    return value


async def upsert_rows(
    db: Database, upsert: Upsert, items: Sequence[T], to_row: Callable[[T], Sequence[SqlValue]]
) -> None:
    """Write ``items`` in one transaction, encoding them chunk by chunk.

    A batch that fits in one statement is a single :meth:`Database.write` (one
    round trip remotely); a larger one streams chunks through one transaction,
    so the event loop runs between chunks and a failure anywhere leaves nothing
    written.
    """
    if not items:
        return
    step = db.batch_rows
    if len(items) <= step:
        await db.write(upsert.statements([to_row(item) for item in items], step))
        return

    async def work(tx: Transaction) -> None:
        for start in range(0, len(items), step):
            rows = [to_row(item) for item in items[start : start + step]]
            await tx.write(upsert.statements(rows, step))

    await db.transact(work)


async def put_episodes(db: Database, episodes: Sequence[Episode]) -> None:
    """Insert or replace ``episodes`` atomically."""
    await upsert_rows(db, EPISODES, episodes, episode_row)


async def get_episode(db: Database, episode_id: uuid.UUID) -> Episode | None:
    """The episode with this id, or None."""
    rows = await db.query("SELECT data FROM episodes WHERE id = ?", (episode_id.bytes,))
    return episode_from_row(rows[0][0], episode_id) if rows else None


async def get_episodes(db: Database, ids: Sequence[uuid.UUID]) -> list[Episode]:
    """Episodes in the order asked, missing ids skipped."""
    found: dict[bytes, Episode] = {}
    wanted = list(dict.fromkeys(item.bytes for item in ids))
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        chunk = wanted[start : start + _IDS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        rows = await db.query(f"SELECT id, data FROM episodes WHERE id IN ({marks})", chunk)
        for key, data in rows:
            found[_blob(key)] = episode_from_row(data, key)
    return [found[item.bytes] for item in ids if item.bytes in found]


async def delete_episode(db: Database, episode_id: uuid.UUID) -> bool:
    """Delete an episode (its tags and text index by trigger) and its embeddings."""
    key = episode_id.bytes
    counts = await db.write(
        [
            Statement("DELETE FROM episodes WHERE id = ?", (key,)),
            Statement("DELETE FROM embeddings WHERE kind = 'episode' AND item_id = ?", (key,)),
        ]
    )
    return counts[0] > 0


def _where(query: EpisodeQuery) -> tuple[str, list[SqlValue]]:
    clauses: list[str] = []
    params: list[SqlValue] = []
    if query.domain is not None:
        clauses.append("domain = ?")
        params.append(query.domain)
    for tag in dict.fromkeys(query.tags):
        clauses.append(_TAG_FILTER)
        params.append(tag_token(tag))
    if query.outcome is not None:
        clauses.append("status = ?")
        params.append(query.outcome)
    if query.since is not None:
        clauses.append("started_at >= ?")
        params.append(timestamp_micros(query.since))
    if query.until is not None:
        clauses.append("started_at < ?")
        params.append(timestamp_micros(query.until))
    if query.completed is not None:
        clauses.append(_COMPLETED[query.completed])
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


async def list_episodes(db: Database, query: EpisodeQuery) -> list[Episode]:
    """Episodes matching ``query``, newest first (ties by id, descending), paged."""
    if query.limit <= 0:
        return []
    where, params = _where(query)
    sql = f"SELECT id, data FROM episodes{where} ORDER BY started_at DESC, id DESC LIMIT ? OFFSET ?"
    rows = await db.query(sql, [*params, query.limit, max(0, query.offset)])
    return [episode_from_row(data, key) for key, data in rows]


async def count_episodes(db: Database, completed: bool | None) -> int:
    """Number of episodes, optionally only completed or in-progress ones."""
    where = "" if completed is None else f" WHERE {_COMPLETED[completed]}"
    rows = await db.query(f"SELECT count(*) FROM episodes{where}")
    value = rows[0][0]
    return int(value) if isinstance(value, int | float) else 0


async def _pages(
    db: Database, completed: bool | None, page_size: int
) -> AsyncIterator[list[Episode]]:
    state = "" if completed is None else f" AND {_COMPLETED[completed]}"
    last: Row | None = None
    while True:
        if last is None:
            sql = f"SELECT started_at, id, data FROM episodes WHERE 1{state}"
            params: list[SqlValue] = []
        else:
            sql = (
                f"SELECT started_at, id, data FROM episodes WHERE (started_at, id) > (?, ?){state}"
            )
            # Back as text: see _records.timestamp_micros on libsql's int binding.
            params = [str(last[0]), last[1]]
        rows = await db.query(f"{sql} ORDER BY started_at, id LIMIT ?", [*params, page_size])
        if rows:
            yield [episode_from_row(row[2], row[1]) for row in rows]
        if len(rows) < page_size:
            return
        last = rows[-1]


async def iter_episodes(
    db: Database, completed: bool | None, batch_size: int
) -> AsyncIterator[list[Episode]]:
    """Every episode in batches, oldest first, by keyset pagination.

    Reads go in pages of at most :attr:`Database.batch_rows` whatever ``batch_size``
    is, so one answer stays well under a server's response limit (sqld: 10 MB);
    pages are regrouped into batches of ``batch_size``. No read transaction stays
    open while the caller works on a batch; episodes written meanwhile appear if
    they sort after the last one returned.
    """
    if batch_size <= 0:
        raise ValidationError(f"batch_size must be positive, got {batch_size}", field="batch_size")
    batch: list[Episode] = []
    async for page in _pages(db, completed, min(batch_size, db.batch_rows)):
        batch.extend(page)
        while len(batch) >= batch_size:
            yield batch[:batch_size]
            batch = batch[batch_size:]
    if batch:
        yield batch
