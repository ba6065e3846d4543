"""Embeddings: storage, exact search, and opt-in libSQL ANN indexes.

``embeddings`` holds every vector. ``search_vectors`` answers from a DiskANN
``libsql_vector_idx`` when :func:`create_vector_index` made one for that
(kind, model, dim), else exactly with ``vector_distance_cos`` over the rows of
that model. ANN indexes are opt-in because each insert into one costs about
2 ms here (384 dims, compressed neighbours; 17 ms uncompressed), which would
dominate bulk imports; exact search over 100k vectors is a few hundred ms.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from memory_core.errors import ValidationError
from memory_core.storage import EmbeddingKind

from ._episodes import upsert_rows
from ._records import vector_bytes, vector_from_bytes
from ._schema import vector_space_statements
from ._sql import Database, SqlValue, Statement, Transaction, Upsert

__all__ = [
    "SearchHit",
    "create_vector_index",
    "get_embeddings",
    "put_embeddings",
    "search_vectors",
]

_IDS_PER_QUERY = 500
_MAX_K = 1000
_EMBEDDINGS = Upsert(
    "embeddings",
    key=("kind", "model", "item_id"),
    columns=("kind", "model", "item_id", "dim", "vector"),
)


class SearchHit(NamedTuple):
    """One search result: the episode or pattern id and its score (higher is better)."""

    id: uuid.UUID
    score: float


async def put_embeddings(
    db: Database,
    kind: EmbeddingKind,
    model: str,
    items: Sequence[tuple[uuid.UUID, npt.NDArray[np.float32]]],
) -> None:
    """Insert or replace vectors, stored as little-endian float32 (libSQL's F32 layout)."""

    def row(item: tuple[uuid.UUID, npt.NDArray[np.float32]]) -> tuple[SqlValue, ...]:
        dim, data = vector_bytes(item[1])
        return (kind, model, item[0].bytes, dim, data)

    await upsert_rows(db, _EMBEDDINGS, items, row)


async def get_embeddings(
    db: Database, kind: EmbeddingKind, model: str, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, npt.NDArray[np.float32]]:
    """Stored vectors for these ids; missing ids are absent."""
    wanted = list(dict.fromkeys(item.bytes for item in ids))
    found: dict[uuid.UUID, npt.NDArray[np.float32]] = {}
    for start in range(0, len(wanted), _IDS_PER_QUERY):
        chunk = wanted[start : start + _IDS_PER_QUERY]
        marks = ", ".join("?" * len(chunk))
        rows = await db.query(
            "SELECT item_id, vector FROM embeddings "
            f"WHERE kind = ? AND model = ? AND item_id IN ({marks})",
            [kind, model, *chunk],
        )
        for key, data in rows:
            if isinstance(key, bytes) and isinstance(data, bytes):
                found[uuid.UUID(bytes=key)] = vector_from_bytes(data)
    return found


def _query_vector(query: npt.ArrayLike, k: int) -> tuple[int, bytes]:
    if not 1 <= k <= _MAX_K:
        raise ValidationError(f"k must be between 1 and {_MAX_K}, got {k}", field="k")
    dim, data = vector_bytes(query)
    array = np.frombuffer(data, dtype="<f4")
    norm = float(np.linalg.norm(array)) if dim else 0.0
    if dim == 0 or not math.isfinite(norm) or norm == 0.0:
        raise ValidationError("query vector must be non-empty, finite and non-zero", field="query")
    return dim, data


async def _space(db: Database | Transaction, kind: str, model: str, dim: int) -> int | None:
    rows = await db.query(
        "SELECT id FROM vector_spaces WHERE kind = ? AND model = ? AND dim = ?", (kind, model, dim)
    )
    value = rows[0][0] if rows else None
    return int(value) if isinstance(value, int | float) else None


async def create_vector_index(db: Database, kind: EmbeddingKind, model: str, dim: int) -> None:
    """Build (once) a DiskANN index over the ``dim``-sized vectors of ``model``.

    Existing vectors are indexed now; later writes keep the index current through
    triggers. Idempotent.
    """
    if not 1 <= dim <= 65536:
        raise ValidationError(f"dim must be between 1 and 65536, got {dim}", field="dim")

    async def work(tx: Transaction) -> None:
        if await _space(tx, kind, model, dim) is not None:
            return
        insert = "INSERT INTO vector_spaces (kind, model, dim) VALUES (?, ?, ?)"
        await tx.write([Statement(insert, (kind, model, dim))])
        space_id = await _space(tx, kind, model, dim)
        if space_id is None:  # an invariant: the row was inserted by this transaction
            raise RuntimeError("vector space row missing right after its insert")
        await tx.write([Statement(sql) for sql in vector_space_statements(space_id, dim)])

    await db.transact(work)


async def search_vectors(
    db: Database, kind: EmbeddingKind, model: str, query: npt.ArrayLike, k: int
) -> list[SearchHit]:
    """The ``k`` nearest stored vectors by cosine similarity (score = 1 - cosine distance)."""
    dim, data = _query_vector(query, k)
    space = await _space(db, kind, model, dim)
    if space is not None:
        table = f"vectors_{space}"
        rows = await db.query(
            f"SELECT v.item_id, vector_distance_cos(v.embedding, ?) AS distance "
            f"FROM vector_top_k(?, ?, ?) AS t JOIN {table} AS v ON v.rowid = t.id",
            (data, f"{table}_ann", data, k),
        )
    else:
        rows = await db.query(
            "SELECT item_id, vector_distance_cos(vector, ?) AS distance FROM embeddings "
            "WHERE kind = ? AND model = ? AND dim = ? ORDER BY distance LIMIT ?",
            (data, kind, model, dim, k),
        )
    hits = [
        SearchHit(uuid.UUID(bytes=key), 1.0 - float(distance))
        for key, distance in rows
        if isinstance(key, bytes) and isinstance(distance, int | float)
    ]
    hits.sort(key=lambda hit: -hit.score)
    return hits[:k]
