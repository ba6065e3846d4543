"""Model ↔ row mapping: msgpack records plus the columns queries filter on.

Records are encoded with :mod:`memory_core.codec` (the same bytes every backend
stores) and decoded with its decoders, which refuse records from a newer
memory-core. Filter columns are derived from the model, never trusted from a row.

A stored record that does not decode (damaged ``data``, or not a blob at all)
raises :class:`memory_core.codec.RecordDecodeError` naming its kind and its id
(from the row's ``id`` column). A read that has to decode such a row fails
rather than skipping it: a durable store that silently drops a record from a
listing or an iteration would pass for one that never had it. Reads that do not
decode it keep working — other rows by id, ``count_*``, and ``delete_*``,
which is how the damaged record is removed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import msgspec
import numpy as np
import numpy.typing as npt

from memory_core.codec import RecordDecodeError, decode_episode, encode_msgpack
from memory_core.models import Episode
from memory_core.patterns import Heuristic, Pattern

from ._sql import SqlValue, Upsert

__all__ = [
    "EPISODES",
    "decode_row",
    "episode_from_row",
    "episode_row",
    "heuristic_row",
    "pattern_row",
    "timestamp_micros",
    "vector_bytes",
    "vector_from_bytes",
]

EPISODES = Upsert(
    "episodes",
    key=("id",),
    columns=("id", "domain", "status", "started_at", "tags", "data"),
    # New content: its text must be indexed again (see _text.refresh_text_index).
    on_update="text_indexed = 0",
)

R = TypeVar("R")

_json = msgspec.json.Encoder()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def timestamp_micros(moment: datetime) -> str:
    """Microseconds since the Unix epoch (UTC), as decimal text; naive means UTC.

    Text, not int: ``libsql`` 0.1 binds Python ints of 2**31 and above as REAL
    (inexact past 2**53). The columns have INTEGER affinity, so SQLite stores and
    compares the text as an exact 64-bit integer, embedded and remote alike. The
    integer form costs a sixth of ``isoformat`` on the bulk-write path (measured).
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return str((moment - _EPOCH) // _MICROSECOND)


def tag_token(tag: str) -> str:
    """How one tag appears in the ``tags`` column: its JSON string between commas."""
    return f",{_json.encode(tag).decode()},"


def tags_text(tags: tuple[str, ...]) -> str:
    """The ``tags`` column: sorted unique tags as JSON strings between commas."""
    if not tags:
        return ""
    encoded = _json.encode(sorted(set(tags))).decode()
    return f",{encoded[1:-1]},"


def episode_row(episode: Episode) -> tuple[SqlValue, ...]:
    """The episode's values in the order of :data:`EPISODES` columns."""
    # Runs once per episode on bulk writes, where it is a third of the cost: keep it lean.
    outcome = episode.outcome
    context = episode.context
    return (
        episode.id.bytes,
        context.domain,
        None if outcome is None else outcome.status,
        timestamp_micros(episode.started_at),
        tags_text(episode.tags + context.tags),
        encode_msgpack(episode),
    )


def _row_id(key: SqlValue | uuid.UUID | None) -> uuid.UUID | None:
    if isinstance(key, uuid.UUID):
        return key
    if isinstance(key, bytes) and len(key) == 16:
        return uuid.UUID(bytes=key)
    return None


def decode_row(
    decode: Callable[..., R], kind: str, data: SqlValue, key: SqlValue | uuid.UUID | None
) -> R:
    """Decode the ``data`` column of a ``kind`` row whose ``id`` column is ``key``.

    Raises :class:`RecordDecodeError` naming the record's id for damaged bytes
    or a value that is not a blob.
    """
    record_id = _row_id(key)
    if not isinstance(data, bytes):
        named = kind if record_id is None else f"{kind} {record_id}"
        raise RecordDecodeError(
            f"cannot decode {named}: stored record is {type(data).__name__}, expected bytes",
            kind=kind,
            record_id=record_id,
            field=kind,
        )
    record: R = decode(data, record_id=record_id)
    return record


def episode_from_row(data: SqlValue, key: SqlValue | uuid.UUID | None) -> Episode:
    """The episode in a row's ``data`` column (``key``: its ``id`` column, for errors)."""
    return decode_row(decode_episode, "episode", data, key)


def pattern_row(pattern: Pattern) -> tuple[SqlValue, ...]:
    """(id, kind, data) of a pattern; ``kind`` is its msgspec tag (``tool_sequence``…)."""
    kind = type(pattern).__struct_config__.tag
    return (pattern.id.bytes, str(kind), encode_msgpack(pattern))


def heuristic_row(heuristic: Heuristic) -> tuple[SqlValue, ...]:
    """(id, data) of a heuristic."""
    return (heuristic.id.bytes, encode_msgpack(heuristic))


def vector_bytes(vector: npt.ArrayLike) -> tuple[int, bytes]:
    """(dimension, little-endian float32 bytes): the layout of libSQL's ``F32_BLOB``."""
    array = np.ascontiguousarray(np.asarray(vector, dtype="<f4").reshape(-1))
    return int(array.shape[0]), array.tobytes()


def vector_from_bytes(data: bytes) -> npt.NDArray[np.float32]:
    """A fresh, writable float32 array from stored bytes."""
    return np.frombuffer(data, dtype="<f4").astype(np.float32)


def uuid_params(ids: Sequence[uuid.UUID]) -> list[SqlValue]:
    """Ids as the 16-byte blobs stored in ``id`` columns."""
    return [item.bytes for item in ids]
