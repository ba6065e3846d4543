"""How the cache lays out keys and values in redb.

Every value is a msgpack envelope ``[schema_version, stored_at, payload]``: the
payload is a record's own msgpack (memory_core.codec) or raw float32 bytes,
``stored_at`` (Unix seconds) drives TTL and eviction. Envelopes of another
schema version read as misses, so a cache written by other code is never
trusted, only refilled.
"""

from __future__ import annotations

import uuid

import msgspec

__all__ = [
    "CACHE_SCHEMA_VERSION",
    "Envelope",
    "decode_envelope",
    "embedding_key",
    "embedding_key_id",
    "embedding_kind_prefix",
    "encode_envelope",
]

#: Bump when the key or envelope layout changes; older entries then read as misses.
CACHE_SCHEMA_VERSION = 1

_KIND_BYTE = {"episode": b"e", "pattern": b"p"}


class Envelope(msgspec.Struct, array_like=True, frozen=True):
    """One cached value with its schema version and write time."""

    version: int
    stored_at: float
    payload: bytes


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Envelope)


def encode_envelope(payload: bytes, stored_at: float) -> bytes:
    """Wrap ``payload`` in an envelope of the current schema version."""
    return _encoder.encode(Envelope(CACHE_SCHEMA_VERSION, stored_at, payload))


def decode_envelope(data: bytes) -> Envelope | None:
    """The envelope in ``data``, or None if it is unreadable or of another schema version."""
    try:
        envelope = _decoder.decode(data)
    except msgspec.DecodeError:
        return None
    return envelope if envelope.version == CACHE_SCHEMA_VERSION else None


def embedding_key(kind: str, model: str, item_id: uuid.UUID) -> bytes:
    """Kind byte, model length (4 bytes, big-endian), model (UTF-8), then the 16 id bytes."""
    model_bytes = model.encode("utf-8", "surrogatepass")
    return _KIND_BYTE[kind] + len(model_bytes).to_bytes(4, "big") + model_bytes + item_id.bytes


def embedding_key_id(key: bytes) -> uuid.UUID:
    """The item id at the end of an embedding key."""
    return uuid.UUID(bytes=key[-16:])


def embedding_kind_prefix(kind: str) -> tuple[bytes, bytes]:
    """The ``[start, end)`` key range holding every embedding of ``kind``."""
    first = _KIND_BYTE[kind]
    return first, bytes([first[0] + 1])
