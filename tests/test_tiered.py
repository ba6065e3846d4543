"""TieredStorage: libSQL (or in-memory) durable store + redb cache, across packages."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path

import msgspec
import pytest

from memory_core import ExecutionStep, SelfLearningMemory, TaskContext, TaskOutcome
from memory_core.models import Episode
from memory_core.storage import InMemoryStorage, TieredStorage
from memory_storage_redb import RedbCache
from memory_storage_turso import TursoStorage
from memory_test_utils import generate_episodes
from memory_test_utils.conformance import StorageConformance, StorageFactory

SCRIPTS = Path(__file__).parent / "scripts"


class TestTieredInMemoryRedb(StorageConformance):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> StorageFactory:
        return lambda: TieredStorage(InMemoryStorage(), RedbCache(tmp_path / "cache.redb"))


class TestTieredLibsqlRedb(StorageConformance):
    @pytest.fixture
    def make_storage(self, tmp_path: Path) -> StorageFactory:
        return lambda: TieredStorage(
            TursoStorage(str(tmp_path / "memory.db")), RedbCache(tmp_path / "cache.redb")
        )


@pytest.mark.anyio
async def test_stale_cache_entry_is_corrected_by_sync(tmp_path: Path) -> None:
    durable = TursoStorage(str(tmp_path / "memory.db"))
    cache = RedbCache(tmp_path / "cache.redb")
    episodes = list(generate_episodes(3, seed=1))
    async with TieredStorage(durable, cache) as tiered:
        await tiered.put_episodes(episodes)
        stale = msgspec.structs.replace(episodes[0], task_description="stale copy")
        orphan = msgspec.structs.replace(episodes[1], id=uuid.uuid4())
        await cache.put_episodes([stale, orphan])  # behind the durable store's back
        assert (await tiered.get_episode(episodes[0].id)).task_description == "stale copy"  # type: ignore[union-attr]
        report = await tiered.sync_memories()
        assert report.refreshed == 1
        assert report.removed == 1
        assert report.checked == 4
        assert report.cache_enabled
        assert await tiered.get_episode(episodes[0].id) == episodes[0]
        assert await cache.get_episode(orphan.id) is None
        assert (await tiered.sync_memories()).refreshed == 0


class FailingCache(InMemoryStorage):
    """A cache whose writes start failing on demand."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    async def put_episodes(self, episodes: Sequence[Episode]) -> None:
        if self.broken:
            raise OSError("cache disk full")
        await super().put_episodes(episodes)


@pytest.mark.anyio
async def test_cache_failure_never_fails_or_loses_a_write(tmp_path: Path) -> None:
    durable = TursoStorage(str(tmp_path / "memory.db"))
    cache = FailingCache()
    first, second = list(generate_episodes(2, seed=2))
    async with TieredStorage(durable, cache) as tiered:
        await tiered.put_episode(first)
        cache.broken = True
        changed = msgspec.structs.replace(first, task_description="changed")
        await tiered.put_episodes([changed, second])  # the cache fails; the write must not
        assert tiered.cache_errors == 1
        # The cache still holds the old `first`; it is bypassed, so reads stay correct.
        assert await tiered.get_episode(first.id) == changed
        assert await durable.get_episode(second.id) == second
        cache.broken = False
        report = await tiered.sync_memories()
        assert report.cache_enabled
        assert report.refreshed == 1
        assert await cache.get_episode(first.id) == changed


@pytest.mark.anyio
async def test_memory_on_tiered_storage(tmp_path: Path) -> None:
    storage = TieredStorage(
        TursoStorage(str(tmp_path / "memory.db")), RedbCache(tmp_path / "cache.redb")
    )
    context = TaskContext(language="rust", domain="web", tags=["api"])
    async with SelfLearningMemory(storage=storage) as memory:
        episode = await memory.start_episode("Build REST API endpoint", context)
        await memory.log_step(episode.id, ExecutionStep(tool="rustc", action="compile"))
        done = await memory.complete_episode(episode.id, TaskOutcome(success=True))
        assert await memory.get_episode(episode.id) == done
        hits = await memory.retrieve_relevant_context("Build REST endpoint", context)
        assert [h.episode.id for h in hits] == [episode.id]
        report = await memory.sync_memories()
        assert report.refreshed == 0
        assert report.cache_enabled
    assert storage.hits > 0


def test_four_processes_on_one_store_lose_nothing(tmp_path: Path) -> None:
    db, cache, writers, per_writer = tmp_path / "memory.db", tmp_path / "cache.redb", 4, 1000
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [
                sys.executable,
                str(SCRIPTS / "tiered_writer.py"),
                str(db),
                str(cache),
                str(seed),
                str(per_writer),
                str(go),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in range(writers)
    ]
    for child in children:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", child.communicate()[1][-2000:]
    go.touch()
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-2000:]
        assert out.strip() == "done"
        assert "database is locked" not in err

    import anyio

    expected = {e.id for seed in range(writers) for e in generate_episodes(per_writer, seed=seed)}

    async def check() -> None:
        async with TursoStorage(str(db)) as durable:
            assert await durable.count_episodes() == writers * per_writer
            found = await durable.get_episodes(sorted(expected))
            assert {episode.id for episode in found} == expected

    anyio.run(check)
