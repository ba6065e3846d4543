"""How the cache lays out keys and values in redb.

Every value is a msgpack envelope ``[schema_version, stored_at, payload, checksum]``:
the payload is a record's own msgpack (memory_core.codec) or raw float32 bytes,
``stored_at`` (Unix seconds) drives TTL and eviction, and ``checksum`` is the
CRC-32 of the key and the payload. Envelopes of another schema version read as
misses, so a cache written by other code is never trusted, only refilled.

The checksum is what makes damage visible: redb does not verify page checksums
on reads, so bytes overwritten inside a cache file otherwise come back as a
different, perfectly decodable value (measured: most random overwrites do). A
value under the wrong key (a damaged key) fails the check too.
"""

from __future__ import annotations

import uuid
import zlib

import msgspec

__all__ = [
    "CACHE_SCHEMA_VERSION",
    "CorruptEntryError",
    "Envelope",
    "checksum",
    "decode_envelope",
    "embedding_key",
    "embedding_key_id",
    "embedding_kind_prefix",
    "encode_envelope",
]

#: Bump when the key or envelope layout changes; older entries then read as misses.
#: 2: the envelope carries a checksum.
CACHE_SCHEMA_VERSION = 2

_KIND_BYTE = {"episode": b"e", "pattern": b"p"}


class Envelope(msgspec.Struct, array_like=True, frozen=True):
    """One cached value with its schema version, write time and checksum."""

    version: int
    stored_at: float
    payload: bytes
    checksum: int = -1


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Envelope)


class CorruptEntryError(ValueError):
    """A damaged cache entry (internal: the cache reads it as a miss and drops it)."""


def checksum(key: bytes, payload: bytes) -> int:
    """CRC-32 of ``key`` then ``payload``: binds a value to the key it was written under."""
    return zlib.crc32(payload, zlib.crc32(key))


def encode_envelope(payload: bytes, stored_at: float, key: bytes = b"") -> bytes:
    """Wrap ``payload`` (written under ``key``) in an envelope of the current schema version."""
    return _encoder.encode(
        Envelope(CACHE_SCHEMA_VERSION, stored_at, payload, checksum(key, payload))
    )


def decode_envelope(data: bytes, key: bytes = b"") -> Envelope | None:
    """The envelope in ``data`` (read under ``key``), or None if it is of another schema version.

    Raises :class:`CorruptEntryError` when ``data`` is not an envelope or its
    checksum does not match: the entry was damaged, not merely written by other code.
    """
    try:
        envelope = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        # A bare version number first tells "another schema" from damage.
        version = _version_of(data)
        if version is not None and version != CACHE_SCHEMA_VERSION:
            return None
        raise CorruptEntryError(f"unreadable cache entry: {exc}") from exc
    if envelope.version != CACHE_SCHEMA_VERSION:
        return None
    if envelope.checksum != checksum(key, envelope.payload):
        raise CorruptEntryError("cache entry fails its checksum")
    return envelope


_head = msgspec.msgpack.Decoder(list[msgspec.Raw])


def _version_of(data: bytes) -> int | None:
    """The schema version at the head of an envelope that does not decode as ours, if any."""
    try:
        items = _head.decode(data)
        return msgspec.msgpack.decode(items[0], type=int) if items else None
    except msgspec.DecodeError:
        return None


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
