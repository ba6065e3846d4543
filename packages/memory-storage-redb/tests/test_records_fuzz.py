"""Fuzzing the cache's records: envelopes and models round-trip, damage is never served.

Envelope level: any payload round-trips under its key; arbitrary bytes and
damaged envelopes decode to the original payload, to "another schema" (None),
or fail with ``CorruptEntryError`` — never to a different payload, never with
another exception. Cache level: any model round-trips through a real redb file,
and a value damaged through the binding reads as a miss or as the exact record.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory_core.codec import encode_msgpack
from memory_core.models import Episode
from memory_core.patterns import Heuristic, Pattern
from memory_storage_redb import Database, RedbCache
from memory_storage_redb._records import (
    CorruptEntryError,
    decode_envelope,
    encode_envelope,
)
from memory_test_utils.strategies import episodes, heuristics, patterns

T = TypeVar("T")
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
keys = st.binary(min_size=0, max_size=40)
times = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(max_size=300), stored_at=times, key=keys)
def test_envelope_round_trips_under_its_key(payload: bytes, stored_at: float, key: bytes) -> None:
    envelope = decode_envelope(encode_envelope(payload, stored_at, key), key)
    assert envelope is not None
    assert (envelope.payload, envelope.stored_at) == (payload, stored_at)


@settings(max_examples=300, deadline=None)
@given(payload=st.binary(min_size=1, max_size=100), key=keys, other=keys)
def test_envelope_under_another_key_is_damage(payload: bytes, key: bytes, other: bytes) -> None:
    data = encode_envelope(payload, 1.0, key)
    if other == key:
        assert decode_envelope(data, other) is not None
    else:
        with pytest.raises(CorruptEntryError):
            decode_envelope(data, other)


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=200), key=keys)
def test_arbitrary_bytes_are_never_an_envelope_by_accident(data: bytes, key: bytes) -> None:
    try:
        envelope = decode_envelope(data, key)
    except CorruptEntryError:
        return
    # Only what passes the checksum (or is another schema version, None) gets through.
    if envelope is not None:
        assert encode_envelope(envelope.payload, envelope.stored_at, key) == data


@settings(max_examples=400, deadline=None)
@given(payload=st.binary(max_size=200), key=keys, data=st.data())
def test_damaged_envelope_never_yields_another_payload(
    payload: bytes, key: bytes, data: st.DataObject
) -> None:
    encoded = bytearray(encode_envelope(payload, 5.0, key))
    if data.draw(st.booleans(), label="truncate"):
        damaged = bytes(encoded[: data.draw(st.integers(0, len(encoded) - 1))])
    else:
        for bit in data.draw(st.lists(st.integers(0, len(encoded) * 8 - 1), min_size=1)):
            encoded[bit // 8] ^= 1 << (bit % 8)
        damaged = bytes(encoded)
    try:
        envelope = decode_envelope(damaged, key)
    except CorruptEntryError:
        return
    assert envelope is None or envelope.payload == payload


@dataclass
class Cache:
    portal: BlockingPortal
    path: Path

    def session(self, work: Callable[[RedbCache], Awaitable[T]]) -> T:
        """Open the cache file, run ``work`` on it, close it (so the binding may open it)."""

        async def run() -> T:
            async with RedbCache(self.path, clock=lambda: 100.0) as cache:
                return await work(cache)

        return self.portal.call(run)


@pytest.fixture(scope="module", params=["trio", "asyncio"])
def cache(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cache]:
    path = tmp_path_factory.mktemp(f"redb-{request.param}") / "cache.redb"
    with start_blocking_portal(request.param) as portal:
        yield Cache(portal, path)


@FUZZ
@given(episode=episodes(), pattern=patterns(), heuristic=heuristics())
def test_any_model_round_trips_through_a_redb_file(
    cache: Cache, episode: Episode, pattern: Pattern, heuristic: Heuristic
) -> None:
    async def put(db: RedbCache) -> None:
        await db.put_episodes([episode])
        await db.put_patterns([pattern])
        await db.put_heuristics([heuristic])

    async def get(db: RedbCache) -> tuple[Any, ...]:
        return (
            await db.get_episode(episode.id),
            await db.get_pattern(pattern.id),
            await db.get_heuristic(heuristic.id),
        )

    cache.session(put)
    assert cache.session(get) == (episode, pattern, heuristic)  # from the file, after reopening


@FUZZ
@given(
    episode=episodes(max_steps=2),
    seed=st.integers(0, 2**32),
    damage=st.sampled_from(["random", "truncated", "flipped"]),
)
def test_value_damaged_through_the_binding_is_a_miss_or_exact(
    cache: Cache, episode: Episode, seed: int, damage: str
) -> None:
    async def put(db: RedbCache) -> None:
        await db.put_episodes([episode])

    async def get(db: RedbCache) -> Episode | None:
        return await db.get_episode(episode.id)

    cache.session(put)
    rng = random.Random(seed)
    with Database(cache.path) as db, db.begin_write() as txn:
        table = txn.open_table("episodes")
        stored = table.get(episode.id.bytes)
        assert stored is not None
        if damage == "random":
            value = rng.randbytes(rng.randrange(0, 80))
        elif damage == "truncated":
            value = stored[: rng.randrange(0, len(stored))]
        else:
            flipped = bytearray(stored)
            for _ in range(rng.randint(1, 3)):
                flipped[rng.randrange(len(flipped))] ^= 1 << rng.randrange(8)
            value = bytes(flipped)
        table.insert(episode.id.bytes, value)
    found = cache.session(get)
    assert found is None or encode_msgpack(found) == encode_msgpack(episode)
    if found is None:
        cache.session(put)  # a miss is refilled like any other
        assert cache.session(get) == episode
