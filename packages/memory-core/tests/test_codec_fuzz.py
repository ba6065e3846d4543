"""Fuzzing the record codec: every model round-trips; damaged bytes fail only as RecordDecodeError.

Stored records come back from files that can be truncated, bit-rotted or
overwritten. Whatever the bytes, a decoder either returns a record or raises
:class:`memory_core.codec.RecordDecodeError` (kind, id when known, the decoder's
error as ``__cause__``) — never a msgspec, Unicode or other stray exception.
"""

from __future__ import annotations

import uuid

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory_core.codec import (
    RecordDecodeError,
    decode_episode,
    decode_episode_json,
    decode_heuristic,
    decode_pattern,
    encode_json,
    encode_msgpack,
    to_builtins,
)
from memory_core.errors import StorageError, ValidationError
from memory_core.models import RECORD_SCHEMA_VERSION, Episode
from memory_test_utils import make_episode
from memory_test_utils.strategies import episodes, heuristics, patterns

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DECODERS = {"episode": decode_episode, "pattern": decode_pattern, "heuristic": decode_heuristic}


def _assert_typed(exc: RecordDecodeError, kind: str) -> None:
    assert exc.kind == kind
    assert exc.field is not None
    assert exc.field.startswith(kind)
    assert str(exc).startswith(f"cannot decode {kind}") or "schema_version" in str(exc)
    assert isinstance(exc.__cause__, msgspec.DecodeError | UnicodeError) or (
        "schema_version" in str(exc)
    )


@FUZZ
@given(episodes())
def test_any_episode_round_trips_through_msgpack_and_json(episode: Episode) -> None:
    packed = encode_msgpack(episode)
    assert decode_episode(packed) == episode
    assert encode_msgpack(decode_episode(packed)) == packed
    as_json = encode_json(episode)
    assert decode_episode_json(as_json) == episode
    assert decode_episode_json(as_json.decode()) == episode


@FUZZ
@given(patterns(), heuristics())
def test_any_pattern_and_heuristic_round_trip(pattern: object, heuristic: object) -> None:
    packed = encode_msgpack(pattern)
    decoded = decode_pattern(packed)
    assert decoded == pattern
    assert type(decoded) is type(pattern)
    assert encode_msgpack(decoded) == packed
    assert decode_heuristic(encode_msgpack(heuristic)) == heuristic


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(DECODERS)), st.binary(max_size=300))
def test_arbitrary_bytes_fail_only_as_record_decode_error(kind: str, data: bytes) -> None:
    try:
        DECODERS[kind](data)
    except RecordDecodeError as exc:
        _assert_typed(exc, kind)


@FUZZ
@given(episodes(max_steps=2), st.data())
def test_truncated_episode_always_fails_typed(episode: Episode, data: st.DataObject) -> None:
    packed = encode_msgpack(episode)
    cut = data.draw(st.integers(0, len(packed) - 1), label="cut")
    with pytest.raises(RecordDecodeError) as caught:
        decode_episode(packed[:cut])
    _assert_typed(caught.value, "episode")


@FUZZ
@given(
    st.sampled_from(sorted(DECODERS)),
    episodes(max_steps=2),
    patterns(),
    heuristics(),
    st.data(),
)
def test_bit_flips_decode_to_a_record_or_fail_typed(
    kind: str, episode: Episode, pattern: object, heuristic: object, data: st.DataObject
) -> None:
    record = {"episode": episode, "pattern": pattern, "heuristic": heuristic}[kind]
    damaged = bytearray(encode_msgpack(record))
    flips = data.draw(st.lists(st.integers(0, len(damaged) * 8 - 1), min_size=1, max_size=4))
    for bit in flips:
        damaged[bit // 8] ^= 1 << (bit % 8)
    try:
        decoded = DECODERS[kind](bytes(damaged))
    except RecordDecodeError as exc:
        _assert_typed(exc, kind)
    else:
        # Whatever survived is a well-formed record: it encodes again and is stable.
        again = encode_msgpack(decoded)
        assert DECODERS[kind](again) == decoded


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_arbitrary_json_fails_only_as_record_decode_error(data: str | bytes) -> None:
    # Text may hold lone surrogates and bytes invalid UTF-8: both once escaped msgspec.
    try:
        decode_episode_json(data)
    except RecordDecodeError as exc:
        _assert_typed(exc, "episode")


def _with_invalid_utf8(packed: bytes) -> bytes:
    """``packed`` with the UTF-8 of the marker text replaced by bytes that are not UTF-8."""
    marker = "\u2603".encode()
    assert packed.count(marker) == 1
    return packed.replace(marker, b"\xff\xfe\xfd")


def test_invalid_utf8_in_a_stored_string_is_typed_and_names_the_id() -> None:
    # Regression: msgspec let UnicodeDecodeError through for these.
    episode = msgspec.structs.replace(make_episode(13), task_type="\u2603")
    with pytest.raises(RecordDecodeError) as caught:
        decode_episode(_with_invalid_utf8(encode_msgpack(episode)))
    assert isinstance(caught.value.__cause__, UnicodeDecodeError)
    assert caught.value.record_id == episode.id
    with pytest.raises(RecordDecodeError) as caught:
        decode_episode_json(_with_invalid_utf8(encode_json(episode)))
    assert isinstance(caught.value.__cause__, UnicodeDecodeError)


def test_lone_surrogate_in_json_text_is_typed() -> None:
    with pytest.raises(RecordDecodeError) as caught:
        decode_episode_json('{"id": "\ud800"}')
    assert isinstance(caught.value.__cause__, UnicodeError)


def test_error_is_both_validation_and_storage_error_and_names_the_id() -> None:
    record_id = uuid.uuid4()
    with pytest.raises(RecordDecodeError) as caught:
        decode_episode(b"\xc1garbage", record_id=record_id)
    error = caught.value
    assert isinstance(error, ValidationError)
    assert isinstance(error, StorageError)
    assert error.record_id == record_id
    assert str(record_id) in str(error)
    assert (error.kind, error.field) == ("episode", "episode")


def test_id_is_salvaged_from_a_record_damaged_in_another_field() -> None:
    episode = make_episode(11)
    builtins = to_builtins(episode)
    builtins["task_type"] = 42  # a wrong type deep in an otherwise intact record
    with pytest.raises(RecordDecodeError) as caught:
        decode_episode(msgspec.msgpack.encode(builtins))
    assert caught.value.record_id == episode.id
    assert str(episode.id) in str(caught.value)
    assert "task_type" in str(caught.value)


def test_newer_schema_is_a_typed_error_naming_the_record() -> None:
    episode = msgspec.structs.replace(make_episode(12), schema_version=RECORD_SCHEMA_VERSION + 1)
    with pytest.raises(RecordDecodeError, match="upgrade memory-core") as caught:
        decode_episode(encode_msgpack(episode))
    assert caught.value.record_id == episode.id
    assert caught.value.field == "episode.schema_version"
