"""Fuzzing stored records in a real libSQL file: exact round trips, damaged rows fail typed.

Hypothesis drives one open :class:`TursoStorage` per backend (trio, asyncio)
through a blocking portal. A damaged row is made the way disks make them: its
``data`` column is overwritten behind the storage's back through a second libsql
connection.

Decided behaviour for a damaged row (see ``_records.py``): every read that has
to decode it raises :class:`RecordDecodeError` naming the record's kind and id;
reads that do not decode it (other ids, ``count_*``) keep working, and
``delete_*`` removes it, after which listing works again.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import libsql  # type: ignore[import-untyped]
import msgspec
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory_core.codec import RecordDecodeError, encode_msgpack
from memory_core.errors import StorageError
from memory_core.models import Episode, TaskContext
from memory_core.patterns import Heuristic, Pattern, ToolSequence
from memory_core.storage import EpisodeQuery
from memory_storage_turso import TursoStorage
from memory_test_utils import BASE_TIME, make_episode
from memory_test_utils.strategies import episodes, heuristics, patterns

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@dataclass
class Store:
    """An open storage in a portal, and the file it uses."""

    portal: BlockingPortal
    storage: TursoStorage
    path: Path

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.portal.call(fn, *args)

    def overwrite(self, table: str, record_id: uuid.UUID, data: object) -> None:
        """Set the ``data`` column of one row through a second connection."""
        conn = libsql.connect(str(self.path))
        try:
            conn.execute(f"UPDATE {table} SET data = ? WHERE id = ?", (data, record_id.bytes))
            conn.commit()
        finally:
            conn.close()


@pytest.fixture(scope="module", params=["trio", "asyncio"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    path = tmp_path_factory.mktemp(f"records-{request.param}") / "memory.db"
    with start_blocking_portal(request.param) as portal:
        storage = TursoStorage(str(path))
        portal.call(storage.open)
        try:
            yield Store(portal, storage, path)
        finally:
            portal.call(storage.close)


async def _all_episodes(storage: TursoStorage) -> list[Episode]:
    found: list[Episode] = []
    async for batch in storage.iter_episodes(batch_size=7):
        found.extend(batch)
    return found


@FUZZ
@given(episode=episodes())
def test_any_episode_round_trips_through_a_libsql_file(store: Store, episode: Episode) -> None:
    store(store.storage.put_episode, episode)
    assert store(store.storage.get_episode, episode.id) == episode
    assert store(store.storage.get_episodes, [episode.id]) == [episode]
    assert episode in store(_all_episodes, store.storage)
    # The stored bytes are exactly the codec's: every backend stores the same record.
    conn = libsql.connect(str(store.path))
    try:
        rows = conn.execute("SELECT data FROM episodes WHERE id = ?", (episode.id.bytes,))
        assert rows.fetchall() == [(encode_msgpack(episode),)]
    finally:
        conn.close()
    assert store(store.storage.delete_episode, episode.id)


@FUZZ
@given(pattern=patterns(), heuristic=heuristics())
def test_any_pattern_and_heuristic_round_trip(
    store: Store, pattern: Pattern, heuristic: Heuristic
) -> None:
    store(store.storage.put_patterns, [pattern])
    store(store.storage.put_heuristics, [heuristic])
    assert store(store.storage.get_pattern, pattern.id) == pattern
    assert store(store.storage.get_heuristic, heuristic.id) == heuristic
    assert store(store.storage.delete_pattern, pattern.id)
    assert store(store.storage.delete_heuristic, heuristic.id)


def _damage(kind: str, good: bytes, rng: random.Random) -> bytes:
    if kind == "random":
        return rng.randbytes(rng.randrange(0, 64))
    if kind == "truncated":
        return good[: rng.randrange(0, len(good))]
    damaged = bytearray(good)
    for _ in range(rng.randint(1, 4)):
        damaged[rng.randrange(len(damaged))] ^= 1 << rng.randrange(8)
    return bytes(damaged)


@FUZZ
@given(
    kind=st.sampled_from(["random", "truncated", "flipped"]),
    seed=st.integers(0, 2**32),
    record=st.sampled_from(["episodes", "patterns", "heuristics"]),
)
def test_damaged_row_reads_back_or_fails_typed_naming_the_record(
    store: Store, kind: str, seed: int, record: str
) -> None:
    rng = random.Random(seed)
    storage = store.storage
    item: Any
    read: Callable[[uuid.UUID], Awaitable[Any]]
    if record == "episodes":
        item = make_episode(seed)
        store(storage.put_episode, item)
        read = storage.get_episode
    elif record == "patterns":
        item = make_pattern(seed)
        store(storage.put_patterns, [item])
        read = storage.get_pattern
    else:
        item = Heuristic(id=uuid.UUID(int=seed), condition="c", action="a", confidence=0.5)
        store(storage.put_heuristics, [item])
        read = storage.get_heuristic
    store.overwrite(record, item.id, _damage(kind, encode_msgpack(item), rng))
    error: RecordDecodeError | None = None
    try:
        found = store(read, item.id)
    except RecordDecodeError as exc:
        error = exc
    if error is None:
        # A flip that leaves a decodable record reads back as some record of that kind.
        assert found is not None
        assert type(found) is type(item) or record == "patterns"
    else:
        assert error.record_id == item.id
        assert str(item.id) in str(error)
        assert error.kind == record[:-1]
        assert isinstance(error, StorageError)
    deleted = {
        "episodes": storage.delete_episode,
        "patterns": storage.delete_pattern,
        "heuristics": storage.delete_heuristic,
    }[record]
    assert store(deleted, item.id)


def make_pattern(seed: int) -> Pattern:
    """A fixed pattern (fixed timestamps, so two calls are equal)."""
    return ToolSequence(
        id=uuid.UUID(int=seed),
        context=TaskContext(domain="web"),
        tools=("git", "pytest"),
        support=3,
        success_rate=1.0,
        avg_latency_ms=2.0,
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
    )


@pytest.mark.anyio
async def test_garbage_in_one_row_is_contained(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    good = [make_episode(seed) for seed in range(5)]
    bad = make_episode(99)
    async with TursoStorage(str(path)) as storage:
        await storage.put_episodes([*good, bad])
        await storage.put_patterns([make_pattern(1), make_pattern(2)])
        conn = libsql.connect(str(path))
        try:
            conn.execute(
                "UPDATE episodes SET data = ? WHERE id = ?", (b"\xc1 garbage", bad.id.bytes)
            )
            conn.execute(
                "UPDATE patterns SET data = 'text, not a blob' WHERE id = ?",
                (uuid.UUID(int=2).bytes,),
            )
            conn.commit()
        finally:
            conn.close()

        with pytest.raises(RecordDecodeError, match=str(bad.id)) as caught:
            await storage.get_episode(bad.id)
        assert caught.value.record_id == bad.id
        assert caught.value.kind == "episode"
        # Other records by id, and counts, are untouched by the damage.
        assert await storage.get_episodes([g.id for g in good]) == good
        assert await storage.count_episodes() == 6
        # Reads that must decode the damaged row fail loudly, naming it.
        with pytest.raises(RecordDecodeError, match=str(bad.id)):
            await storage.list_episodes(EpisodeQuery(limit=100))
        with pytest.raises(RecordDecodeError, match=str(bad.id)):
            await _all_episodes(storage)
        with pytest.raises(RecordDecodeError, match=str(uuid.UUID(int=2))) as caught:
            await storage.get_pattern(uuid.UUID(int=2))
        assert "expected bytes" in str(caught.value)
        assert await storage.get_pattern(uuid.UUID(int=1)) == make_pattern(1)
        assert await storage.count_patterns() == 2
        # Deleting the damaged records repairs the store.
        assert await storage.delete_episode(bad.id)
        assert await storage.delete_pattern(uuid.UUID(int=2))
        listed = await storage.list_episodes(EpisodeQuery(limit=100))
        assert sorted(e.id.bytes for e in listed) == sorted(g.id.bytes for g in good)
        assert await storage.list_patterns() == [make_pattern(1)]


@pytest.mark.anyio
async def test_row_damaged_in_one_field_is_named_by_its_id(tmp_path: Path) -> None:
    episode = make_episode(7)
    broken = msgspec.to_builtins(episode)
    broken["context"] = "not a context"
    async with TursoStorage(str(tmp_path / "memory.db")) as storage:
        await storage.put_episode(episode)
        conn = libsql.connect(str(tmp_path / "memory.db"))
        try:
            conn.execute(
                "UPDATE episodes SET data = ? WHERE id = ?",
                (msgspec.msgpack.encode(broken), episode.id.bytes),
            )
            conn.commit()
        finally:
            conn.close()
        with pytest.raises(RecordDecodeError, match="context") as caught:
            await storage.get_episodes([episode.id])
        assert caught.value.record_id == episode.id
