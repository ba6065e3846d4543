"""RedbCache beyond the conformance suite: TTL, eviction, stats, schema versions, lock fallback."""

from __future__ import annotations

import logging
import subprocess
import sys
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import anyio
import msgspec
import numpy as np
import pytest

from memory_core.errors import StorageError
from memory_core.models import Episode
from memory_storage_redb import CacheStats, Database, RedbCache
from memory_storage_redb._records import CACHE_SCHEMA_VERSION, Envelope, encode_envelope
from memory_test_utils.factories import make_episode

pytestmark = pytest.mark.anyio

#: The `held_by_another_process` fixture (conftest.py).
HoldLock = Callable[[Path], AbstractContextManager[None]]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_hits_and_misses_are_counted(tmp_path: Path) -> None:
    async with RedbCache(tmp_path / "c.redb") as cache:
        episode = make_episode(1)
        await cache.put_episode(episode)
        assert await cache.get_episode(episode.id) == episode
        assert await cache.get_episode(uuid.uuid4()) is None
        await cache.get_metadata("absent")
        await cache.get_embeddings("episode", "m", [episode.id])
        stats = cache.stats()
        assert isinstance(stats, CacheStats)
        assert (stats.hits, stats.misses, stats.evictions) == (1, 3, 0)
        assert stats.hit_rate == pytest.approx(0.25)
        assert not stats.fallback


async def test_ttl_turns_old_entries_into_misses(tmp_path: Path) -> None:
    clock = FakeClock()
    async with RedbCache(tmp_path / "c.redb", ttl=60, clock=clock) as cache:
        episode = make_episode(2)
        await cache.put_episode(episode)
        await cache.set_metadata("k", "v")
        await cache.put_embeddings("episode", "m", [(episode.id, np.ones(3, np.float32))])
        clock.now += 59
        assert await cache.get_episode(episode.id) == episode
        assert await cache.count_episodes() == 1
        clock.now += 2
        assert await cache.get_episode(episode.id) is None
        assert await cache.get_metadata("k") is None
        assert await cache.get_embeddings("episode", "m", [episode.id]) == {}
        assert await cache.count_episodes() == 0
        assert cache.stats().expired == 3
        await cache.put_episode(episode)  # a refill makes it live again
        assert await cache.get_episode(episode.id) == episode


async def test_capacity_evicts_the_oldest_written(tmp_path: Path) -> None:
    clock = FakeClock()
    async with RedbCache(tmp_path / "c.redb", capacity=10, clock=clock) as cache:
        episodes = [make_episode(100 + i) for i in range(11)]
        for episode in episodes:
            clock.now += 1
            await cache.put_episode(episode)
        # 11 > 10: evicted down to 10 - 10 // 10 = 9, the two oldest writes go.
        assert await cache.count_episodes() == 9
        assert cache.stats().evictions == 2
        assert await cache.get_episode(episodes[0].id) is None
        assert await cache.get_episode(episodes[1].id) is None
        assert await cache.get_episode(episodes[-1].id) == episodes[-1]


async def test_other_schema_versions_read_as_misses(tmp_path: Path) -> None:
    path = tmp_path / "c.redb"
    episode = make_episode(3)
    async with RedbCache(path) as cache:
        await cache.put_episode(episode)
    with Database(path) as db, db.begin_write() as txn:
        table = txn.open_table("episodes")
        future = Envelope(CACHE_SCHEMA_VERSION + 1, 0.0, b"\x00")
        table.insert(episode.id.bytes, msgspec.msgpack.encode(future))
        table.insert(uuid.uuid4().bytes, b"\xc1 not msgpack")
    async with RedbCache(path) as cache:
        assert await cache.get_episode(episode.id) is None
        assert await cache.count_episodes() == 0
        await cache.put_episode(episode)
        assert await cache.get_episode(episode.id) == episode
    assert encode_envelope(b"x", 1.0)


async def test_data_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "c.redb"
    episode = make_episode(4)
    async with RedbCache(path) as cache:
        await cache.put_episode(episode)
    async with RedbCache(path) as cache:
        assert await cache.get_episode(episode.id) == episode


async def test_closed_cache_raises_storage_error(tmp_path: Path) -> None:
    cache = RedbCache(tmp_path / "c.redb")
    with pytest.raises(StorageError):
        await cache.put_episode(make_episode(5))
    with pytest.raises(StorageError):
        await cache.count_patterns()


async def test_unopenable_path_is_storage_error(tmp_path: Path) -> None:
    # A damaged *file* is replaced (test_corruption.py); a path that is no file is an error.
    path = tmp_path / "dir.redb"
    path.mkdir()
    with pytest.raises(StorageError):
        await RedbCache(path).open()
    assert path.is_dir()


def test_bad_settings_are_value_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="ttl"):
        RedbCache(tmp_path / "c.redb", ttl=0)
    with pytest.raises(ValueError, match="capacity"):
        RedbCache(tmp_path / "c.redb", capacity=0)


async def test_locked_file_falls_back_to_a_private_file(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, held_by_another_process: HoldLock
) -> None:
    path = tmp_path / "shared.redb"
    with held_by_another_process(path):
        cache = RedbCache(path)
        with caplog.at_level(logging.WARNING, logger="memory_storage_redb"):
            await cache.open()
        try:
            assert cache.stats().fallback
            assert cache.path != path
            assert cache.path.parent == path.parent
            assert len([r for r in caplog.records if "locked" in r.getMessage()]) == 1
            episode = make_episode(6)
            await cache.put_episode(episode)
            assert await cache.get_episode(episode.id) == episode
        finally:
            await cache.close()
        assert not cache.path.exists()  # the private file is removed on close


PROCESS_WRITER = """
import sys, anyio
from memory_storage_redb import RedbCache
from memory_test_utils.factories import make_episode

async def main() -> None:
    base = int(sys.argv[2])
    async with RedbCache(sys.argv[1]) as cache:
        episodes = [make_episode(base + i) for i in range(200)]
        for start in range(0, 200, 20):
            await cache.put_episodes(episodes[start : start + 20])
        found = await cache.get_episodes([e.id for e in episodes])
        assert len(found) == 200, len(found)
        print(cache.stats().fallback)

anyio.run(main)
"""


def test_four_processes_on_one_cache_path_never_crash(tmp_path: Path) -> None:
    path = tmp_path / "shared.redb"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS_WRITER, str(path), str(10_000 * (n + 1))],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outcomes = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, outcomes, strict=True):
        assert child.returncode == 0, err
        assert out.strip() in {"True", "False"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shared.redb"]  # fallbacks removed


async def test_concurrent_tasks_share_one_cache(tmp_path: Path) -> None:
    async with RedbCache(tmp_path / "c.redb") as cache:
        episodes = [make_episode(500 + i) for i in range(40)]

        async def put_then_get(episode: Episode) -> None:
            await cache.put_episode(episode)
            assert await cache.get_episode(episode.id) == episode

        async with anyio.create_task_group() as group:
            for episode in episodes:
                group.start_soon(put_then_get, episode)
        assert await cache.count_episodes() == 40
