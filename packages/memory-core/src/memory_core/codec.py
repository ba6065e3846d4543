"""One encoder and decoder per wire format, reused (msgspec's fast path).

Stored records are msgpack; exports and the MCP wire are JSON. Decoding maps
msgspec's errors onto :class:`memory_core.errors.ValidationError` and refuses
records written by a newer schema than this code understands.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

from .errors import ValidationError
from .models import RECORD_SCHEMA_VERSION, Episode
from .patterns import Heuristic, Pattern

__all__ = [
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


def encode_msgpack(value: Any) -> bytes:
    """Serialize a model (or builtins) to msgpack bytes."""
    return _msgpack_encoder.encode(value)


def encode_json(value: Any) -> bytes:
    """Serialize a model (or builtins) to compact JSON bytes."""
    return _json_encoder.encode(value)


def to_builtins(value: Any) -> Any:
    """Convert a model to JSON-compatible builtins (dicts, lists, str, numbers)."""
    return msgspec.to_builtins(value)


def _decode(decoder: Any, data: bytes | bytearray | memoryview | str, what: str) -> Any:
    try:
        value = decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise ValidationError(f"cannot decode {what}: {exc}", field=what) from exc
    version = getattr(value, "schema_version", RECORD_SCHEMA_VERSION)
    if version > RECORD_SCHEMA_VERSION:
        raise ValidationError(
            f"{what} record has schema_version {version}, newer than the supported "
            f"{RECORD_SCHEMA_VERSION}; upgrade memory-core to read it",
            field=f"{what}.schema_version",
        )
    return value


def decode_episode(data: bytes | bytearray | memoryview) -> Episode:
    """Decode an episode stored as msgpack; raises ValidationError on bad bytes."""
    episode: Episode = _decode(_episode_msgpack, data, "episode")
    return episode


def decode_episode_json(data: bytes | str) -> Episode:
    """Decode an episode from JSON (e.g. one line of a JSONL export)."""
    episode: Episode = _decode(_episode_json, data, "episode")
    return episode


def decode_pattern(data: bytes | bytearray | memoryview) -> Pattern:
    """Decode a pattern (any of the four kinds) stored as msgpack."""
    pattern: Pattern = _decode(_pattern_msgpack, data, "pattern")
    return pattern


def decode_heuristic(data: bytes | bytearray | memoryview) -> Heuristic:
    """Decode a heuristic stored as msgpack."""
    heuristic: Heuristic = _decode(_heuristic_msgpack, data, "heuristic")
    return heuristic
