"""A damaged redb cache never costs data: detected, bypassed or rebuilt, refilled from libSQL.

The memory is opened on ``TieredStorage(TursoStorage(file), RedbCache(file))``
after the cache file was damaged in every way a disk or a person can: truncated,
random bytes over the header or the middle, replaced by another file, emptied,
or garbage written under real keys. Whatever the damage, the memory must open,
answer with exactly what the durable store holds, and end with a working cache:
an unopenable file is moved aside (warning naming it) and the new cache is
warmed from the durable store; damaged entries read as misses and are refilled;
a file that fails at runtime is replaced by ``sync_memories()``.
"""

from __future__ import annotations

import logging
import random
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from memory_core import SelfLearningMemory, TaskContext
from memory_core.codec import RecordDecodeError
from memory_core.models import Episode
from memory_core.storage import EpisodeQuery, InMemoryStorage, TieredStorage
from memory_storage_redb import Database, RedbCache
from memory_storage_turso import TursoStorage
from memory_test_utils import generate_episodes

pytestmark = pytest.mark.anyio

EPISODES = list(generate_episodes(40, seed=21))


def _storage(tmp_path: Path) -> tuple[TieredStorage, RedbCache]:
    cache = RedbCache(tmp_path / "cache.redb")
    return TieredStorage(TursoStorage(str(tmp_path / "memory.db")), cache), cache


async def _seed(tmp_path: Path) -> None:
    storage, _ = _storage(tmp_path)
    async with SelfLearningMemory(storage=storage) as memory:
        assert await memory.import_episodes(EPISODES) == len(EPISODES)
        for episode in EPISODES[:10]:  # read-through: these are cached too
            await memory.get_episode(episode.id)


def _moved(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.corrupt-*"))


def _truncate(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 3)


def _header(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.write(random.Random(5).randbytes(300))


def _not_redb(path: Path) -> None:
    shutil.copy(path.with_name("memory.db"), path)  # a real file of the wrong kind


UNOPENABLE: dict[str, Callable[[Path], None]] = {
    "truncated": _truncate,
    "random-header": _header,
    "sqlite-file": _not_redb,
}


async def _assert_agrees_with_durable(memory: SelfLearningMemory, storage: TieredStorage) -> None:
    durable = storage.durable
    ids = [episode.id for episode in EPISODES]
    truth = await durable.get_episodes(ids)
    assert len(truth) == len(EPISODES)
    for episode in truth:
        assert await memory.get_episode(episode.id) == episode
    assert await storage.get_episodes(ids) == truth
    listed = await storage.list_episodes(EpisodeQuery(limit=1000))
    assert sorted(e.id.bytes for e in listed) == sorted(e.id.bytes for e in truth)
    for pattern in await durable.list_patterns():
        assert await storage.get_pattern(pattern.id) == pattern
    context = TaskContext(domain=truth[0].context.domain)
    hits = await memory.retrieve_relevant_context(truth[0].task_description, context, 5)
    assert truth[0].id in {hit.episode.id for hit in hits}


@pytest.mark.parametrize("damage", sorted(UNOPENABLE))
async def test_unopenable_cache_is_rebuilt_and_warmed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    await _seed(tmp_path)
    path = tmp_path / "cache.redb"
    UNOPENABLE[damage](path)
    storage, cache = _storage(tmp_path)
    with caplog.at_level(logging.WARNING):
        async with SelfLearningMemory(storage=storage) as memory:
            assert cache.rebuilds == 1
            # Warmed at open: the cache already holds the durable records, equal to them.
            truth = await storage.durable.list_episodes(EpisodeQuery(limit=1000))
            assert await cache.get_episodes([e.id for e in truth]) == truth
            patterns = await storage.durable.list_patterns()
            assert patterns
            assert await cache.list_patterns() == patterns
            await _assert_agrees_with_durable(memory, storage)
            report = await memory.sync_memories()
            assert report.cache_enabled
            assert report.refreshed == report.removed == 0
    assert storage.cache_errors == 0
    (moved,) = _moved(path)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(str(path) in m and str(moved) in m for m in warnings)


async def test_zero_length_cache_file_just_works(tmp_path: Path) -> None:
    await _seed(tmp_path)
    (tmp_path / "cache.redb").write_bytes(b"")
    storage, cache = _storage(tmp_path)
    async with SelfLearningMemory(storage=storage) as memory:
        await _assert_agrees_with_durable(memory, storage)
        assert (await memory.sync_memories()).cache_enabled
    assert cache.rebuilds == 0
    assert storage.cache_errors == 0


@pytest.mark.parametrize("seed", range(6))
async def test_random_bytes_in_the_middle_never_reach_the_caller(tmp_path: Path, seed: int) -> None:
    await _seed(tmp_path)
    path = tmp_path / "cache.redb"
    rng = random.Random(seed)
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(rng.randrange(4096, size - 64))
        handle.write(rng.randbytes(64))
    storage, _ = _storage(tmp_path)
    async with SelfLearningMemory(storage=storage) as memory:
        await _assert_agrees_with_durable(memory, storage)
        # Whatever happened (entries dropped, or the cache bypassed after redb failed
        # on a damaged page), sync_memories() leaves a working cache that agrees.
        report = await memory.sync_memories()
        assert report.cache_enabled
        await _assert_agrees_with_durable(memory, storage)


async def test_garbage_values_are_misses_refilled_from_the_durable_store(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await _seed(tmp_path)
    path = tmp_path / "cache.redb"
    victims = EPISODES[:3]
    with Database(path) as db, db.begin_write() as txn:
        table = txn.open_table("episodes")
        for victim in victims:
            table.insert(victim.id.bytes, b"\x93garbage" + victim.id.bytes)
    storage, cache = _storage(tmp_path)
    with caplog.at_level(logging.WARNING):
        async with SelfLearningMemory(storage=storage) as memory:
            for victim in victims:
                truth = await storage.durable.get_episode(victim.id)
                assert await memory.get_episode(victim.id) == truth
                assert await cache.get_episode(victim.id) == truth  # refilled
            await _assert_agrees_with_durable(memory, storage)
            assert (await memory.sync_memories()).cache_enabled
    assert storage.cache_errors == 0  # a damaged entry is a miss, not a broken cache
    assert cache.rebuilds == 0
    assert any(str(path) in r.getMessage() for r in caplog.records)


def _fail_at_runtime(path: Path) -> None:
    """Damage pages of ``path`` until redb fails while reading (not while opening)."""
    original = path.read_bytes()

    async def fails() -> bool:
        cache = RedbCache(path)
        await cache.open()
        try:
            await cache.count_patterns()
            await cache.list_episodes(EpisodeQuery(limit=1000))
        except Exception:
            return True
        finally:
            cache._file_damaged = False  # probing only: leave the file where it is
            await cache.close()
        return False

    for page in range(1, len(original) // 4096):
        damaged = bytearray(original)
        damaged[page * 4096 : page * 4096 + 64] = b"\xff" * 64
        path.write_bytes(bytes(damaged))
        if anyio.run(fails) and not _moved(path):
            return
        for moved in _moved(path):
            moved.unlink()
    raise AssertionError("no damaged page made redb fail at runtime")


async def test_cache_failing_at_runtime_is_replaced_by_sync_memories(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    await _seed(tmp_path)
    path = tmp_path / "cache.redb"
    await anyio.to_thread.run_sync(_fail_at_runtime, path)
    storage, cache = _storage(tmp_path)
    with caplog.at_level(logging.WARNING):
        async with SelfLearningMemory(storage=storage) as memory:
            await _assert_agrees_with_durable(memory, storage)
            assert storage.cache_errors >= 1  # redb failed on the page; the cache was bypassed
            assert cache.rebuilds == 0
            report = await memory.sync_memories()
            assert report.cache_enabled
            assert cache.rebuilds == 1
            truth = await storage.durable.list_episodes(EpisodeQuery(limit=1000))
            assert await cache.get_episodes([e.id for e in truth]) == truth  # warmed
            await _assert_agrees_with_durable(memory, storage)
    assert len(_moved(path)) == 1


async def test_damaged_record_from_any_cache_is_a_miss_not_a_bypass(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A cache that raises RecordDecodeError (here InMemoryStorage holding damaged bytes):
    # TieredStorage answers from the durable store, refills, and keeps the cache on.
    durable, cache = InMemoryStorage(), InMemoryStorage()
    episode: Episode = EPISODES[0]
    async with TieredStorage(durable, cache) as tiered:
        await tiered.put_episode(episode)
        cache._episodes[episode.id] = (episode, b"\xc1 damaged")
        with pytest.raises(RecordDecodeError):
            await cache.get_episode(episode.id)
        with caplog.at_level(logging.WARNING, logger="memory_core.storage"):
            assert await tiered.get_episode(episode.id) == episode
        assert await cache.get_episode(episode.id) == episode  # overwritten by the refill
        assert "damaged record" in caplog.records[0].getMessage()
        other = EPISODES[1]
        await tiered.put_episode(other)
        assert await cache.get_episode(other.id) == other  # the cache was not bypassed
        assert (await tiered.sync_memories()).cache_enabled
    assert tiered.cache_errors == 1


async def test_warm_is_bounded_and_reports_what_it_wrote(tmp_path: Path) -> None:
    durable = TursoStorage(str(tmp_path / "memory.db"))
    cache = RedbCache(tmp_path / "cache.redb")
    async with TieredStorage(durable, cache, warm_limit=5) as tiered:
        await durable.put_episodes(EPISODES)
        assert await tiered.warm() == 5
        newest = await durable.list_episodes(EpisodeQuery(limit=5))
        assert await cache.list_episodes(EpisodeQuery(limit=100)) == newest
        assert await tiered.warm(limit=0) == 0
    with pytest.raises(ValueError, match="warm_limit"):
        TieredStorage(InMemoryStorage(), InMemoryStorage(), warm_limit=-1)
    assert uuid.UUID(int=0) not in {e.id for e in newest}
