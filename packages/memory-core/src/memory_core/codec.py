"""One encoder and decoder per wire format, reused (msgspec's fast path).

Stored records are msgpack; exports and the MCP wire are JSON. Decoding raises
:class:`RecordDecodeError` (a :class:`~memory_core.errors.ValidationError` and a
:class:`~memory_core.errors.StorageError`) for bytes that are not a record of the
expected kind, whatever is wrong with them, and refuses records written by a newer
schema than this code understands.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import msgspec

from .errors import StorageError, ValidationError
from .models import RECORD_SCHEMA_VERSION, Episode
from .patterns import Heuristic, Pattern

__all__ = [
    "RecordDecodeError",
    "decode_episode",
    "decode_episode_json",
    "decode_heuristic",
    "decode_pattern",
    "encode_json",
    "encode_msgpack",
    "to_builtins",
]

T = TypeVar("T")

_json_encoder = msgspec.json.Encoder()
_msgpack_encoder = msgspec.msgpack.Encoder()
_episode_msgpack = msgspec.msgpack.Decoder(Episode)
_episode_json = msgspec.json.Decoder(Episode)
_pattern_msgpack: msgspec.msgpack.Decoder[Pattern] = msgspec.msgpack.Decoder(Pattern)
_heuristic_msgpack = msgspec.msgpack.Decoder(Heuristic)


class RecordDecodeError(ValidationError, StorageError):
    """Raised when bytes are not a readable record of the expected kind.

    Both a :class:`~memory_core.errors.ValidationError` (bad input, e.g. a line of
    an import) and a :class:`~memory_core.errors.StorageError` (a stored record
    that is corrupted or truncated), so either handler catches it. ``kind`` is
    ``"episode"``, ``"pattern"`` or ``"heuristic"``; ``record_id`` is the record's
    id when the caller or the damaged bytes still tell it, else None. The error
    of the underlying decoder is kept as ``__cause__``.
    """

    def __init__(
        self, message: str, *, kind: str, record_id: uuid.UUID | None = None, field: str
    ) -> None:
        super().__init__(message, field=field)
        self.kind = kind
        self.record_id = record_id


class _IdOnly(msgspec.Struct):
    """Just the ``id`` of a record (unknown fields ignored): names a damaged record."""

    id: uuid.UUID


_id_msgpack = msgspec.msgpack.Decoder(_IdOnly)
_id_json = msgspec.json.Decoder(_IdOnly)


def encode_msgpack(value: Any) -> bytes:
    """Serialize a model (or builtins) to msgpack bytes."""
    return _msgpack_encoder.encode(value)


def encode_json(value: Any) -> bytes:
    """Serialize a model (or builtins) to compact JSON bytes."""
    return _json_encoder.encode(value)


def to_builtins(value: Any) -> Any:
    """Convert a model to JSON-compatible builtins (dicts, lists, str, numbers)."""
    return msgspec.to_builtins(value)


def _salvaged_id(data: bytes | bytearray | memoryview | str, fmt: str) -> uuid.UUID | None:
    # Damage is often local (one field): the id may still be readable and names the record.
    try:
        decoder: Any = _id_json if fmt == "json" else _id_msgpack
        found: uuid.UUID = decoder.decode(data).id
    except (msgspec.DecodeError, UnicodeError, ValueError, TypeError):
        return None
    return found


def _decode(
    decoder: Any,
    data: bytes | bytearray | memoryview | str,
    what: str,
    record_id: uuid.UUID | None,
    fmt: str = "msgpack",
) -> Any:
    try:
        value = decoder.decode(data)
    # msgspec raises DecodeError for malformed input, but UnicodeError escapes it for
    # invalid UTF-8 in a msgpack string or a lone surrogate in a str given to JSON.
    except (msgspec.DecodeError, UnicodeError) as exc:
        known = record_id if record_id is not None else _salvaged_id(data, fmt)
        named = what if known is None else f"{what} {known}"
        raise RecordDecodeError(
            f"cannot decode {named}: {exc}", kind=what, record_id=known, field=what
        ) from exc
    version = getattr(value, "schema_version", RECORD_SCHEMA_VERSION)
    if version > RECORD_SCHEMA_VERSION:
        known = getattr(value, "id", record_id)
        raise RecordDecodeError(
            f"{what} {known} has schema_version {version}, newer than the supported "
            f"{RECORD_SCHEMA_VERSION}; upgrade memory-core to read it",
            kind=what,
            record_id=known,
            field=f"{what}.schema_version",
        )
    return value


def decode_episode(
    data: bytes | bytearray | memoryview, *, record_id: uuid.UUID | None = None
) -> Episode:
    """Decode an episode stored as msgpack; raises :class:`RecordDecodeError` on bad bytes.

    ``record_id`` (the id the caller stored it under, when known) names the
    record in the error.
    """
    episode: Episode = _decode(_episode_msgpack, data, "episode", record_id)
    return episode


def decode_episode_json(data: bytes | str) -> Episode:
    """Decode an episode from JSON (e.g. one line of a JSONL export)."""
    episode: Episode = _decode(_episode_json, data, "episode", None, "json")
    return episode


def decode_pattern(
    data: bytes | bytearray | memoryview, *, record_id: uuid.UUID | None = None
) -> Pattern:
    """Decode a pattern (any of the four kinds) stored as msgpack."""
    pattern: Pattern = _decode(_pattern_msgpack, data, "pattern", record_id)
    return pattern


def decode_heuristic(
    data: bytes | bytearray | memoryview, *, record_id: uuid.UUID | None = None
) -> Heuristic:
    """Decode a heuristic stored as msgpack."""
    heuristic: Heuristic = _decode(_heuristic_msgpack, data, "heuristic", record_id)
    return heuristic
