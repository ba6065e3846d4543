"""Lexical search: a contentless FTS5 index over episode text, filled lazily.

Writers only mark an episode ``text_indexed = 0``; :func:`refresh_text_index`
brings the index up to date (in short transactions of ``_BATCH`` episodes) and
:func:`search_text` calls it first, so results are always current. This keeps
FTS5's cost (about as much as the row insert itself) out of bulk writes. The
indexed text is :func:`memory_core.retrieval.episode_document`, the same text
the in-process BM25 index uses.
"""

from __future__ import annotations

import re
import uuid

from memory_core.codec import decode_episode
from memory_core.errors import ValidationError
from memory_core.retrieval import episode_document

from ._sql import Database, Many, SqlValue, Transaction
from ._vectors import SearchHit

__all__ = ["fts_query", "refresh_text_index", "search_text"]

_BATCH = 500
_MAX_TERMS = 64
_MAX_LIMIT = 1000
_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """An FTS5 query matching any word of ``text``, each as a quoted string.

    Quoting makes every word a literal, so user text can never be FTS5 syntax
    (``NEAR``, ``*``, column filters, unbalanced quotes): zero-trust input.
    """
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(text)))[:_MAX_TERMS]
    return " OR ".join('"' + word.replace('"', '""') + '"' for word in words)


async def _index_batch(tx: Transaction) -> int:
    rows = await tx.query(
        "SELECT rowid, data FROM episodes WHERE text_indexed = 0 ORDER BY rowid LIMIT ?",
        (_BATCH,),
    )
    documents: list[tuple[SqlValue, ...]] = []
    for rowid, data in rows:
        if not isinstance(data, bytes):
            raise ValidationError("stored episode record is not bytes")
        documents.append((rowid, episode_document(decode_episode(data))))
    if documents:
        await tx.write(
            [
                Many("INSERT INTO episode_fts (rowid, document) VALUES (?, ?)", documents),
                Many(
                    "UPDATE episodes SET text_indexed = 1 WHERE rowid = ?",
                    [(rowid,) for rowid, _ in documents],
                ),
            ]
        )
    return len(documents)


async def refresh_text_index(db: Database) -> int:
    """Index every episode written since the last refresh; the number indexed.

    Costs one read when nothing is pending. Each batch is its own transaction,
    so other writers are never locked out for the length of a large catch-up.
    """
    total = 0
    while (await db.query("SELECT EXISTS (SELECT 1 FROM episodes WHERE text_indexed = 0)"))[0][0]:
        total += await db.transact(_index_batch)
    return total


async def search_text(db: Database, query: str, limit: int) -> list[SearchHit]:
    """Episodes whose text matches any word of ``query``, best BM25 first."""
    if not 1 <= limit <= _MAX_LIMIT:
        raise ValidationError(
            f"limit must be between 1 and {_MAX_LIMIT}, got {limit}", field="limit"
        )
    expression = fts_query(query)
    if not expression:
        return []
    await refresh_text_index(db)
    rows = await db.query(
        "SELECT e.id, bm25(episode_fts) AS rank FROM episode_fts "
        "JOIN episodes AS e ON e.rowid = episode_fts.rowid "
        "WHERE episode_fts MATCH ? ORDER BY rank LIMIT ?",
        (expression, limit),
    )
    # bm25() is lower-is-better and negative; flip it so higher means more relevant.
    return [
        SearchHit(uuid.UUID(bytes=key), -float(rank))
        for key, rank in rows
        if isinstance(key, bytes) and isinstance(rank, int | float)
    ]
