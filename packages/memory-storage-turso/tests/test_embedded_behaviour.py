"""Embedded files: typed errors, closed storage, and an event loop that keeps running."""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest

from memory_core import SelfLearningMemory
from memory_storage_turso import StorageUnavailableError, TursoStorage, TursoStorageError
from memory_test_utils import generate_episodes, make_episode

pytestmark = pytest.mark.anyio


async def test_use_before_open_and_after_close_is_a_typed_error(tmp_path: Path) -> None:
    storage = TursoStorage(tmp_path / "memory.db")
    with pytest.raises(TursoStorageError, match="not open"):
        await storage.count_episodes()
    async with storage:
        await storage.put_episode(make_episode(1))
    with pytest.raises(TursoStorageError, match="not open"):
        await storage.count_episodes()
    async with storage:
        assert await storage.count_episodes() == 1


async def test_unwritable_location_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageUnavailableError, match="cannot open") as caught:
        await TursoStorage(blocker / "memory.db").open()
    assert caught.value.__cause__ is not None


async def test_not_a_database_is_a_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    path.write_bytes(b"this is not an SQLite file" * 200)
    with pytest.raises(StorageUnavailableError, match="not a database") as caught:
        await TursoStorage(path).open()
    assert str(path) in str(caught.value)
    assert caught.value.__cause__ is not None


async def test_busy_file_gives_a_bounded_typed_error(tmp_path: Path) -> None:
    path = tmp_path / "memory.db"
    async with TursoStorage(path):
        pass
    import libsql  # type: ignore[import-untyped]

    holder = libsql.connect(str(path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        async with TursoStorage(path, busy_timeout=0.3) as storage:
            started = time.monotonic()
            with pytest.raises(StorageUnavailableError, match="database is locked"):
                await storage.put_episode(make_episode(2))
            assert time.monotonic() - started < 1.5
            assert await storage.count_episodes() == 0  # readers are not blocked (WAL)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_bulk_write_leaves_the_event_loop_running(tmp_path: Path) -> None:
    episodes = list(generate_episodes(3000, seed=5))
    stalls: list[float] = []
    done = anyio.Event()

    async def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            await anyio.sleep(0.001)
            now = time.perf_counter()
            stalls.append(now - last)
            last = now

    async with TursoStorage(tmp_path / "memory.db") as storage, anyio.create_task_group() as tg:
        tg.start_soon(ticker)
        await storage.put_episodes(episodes)
        done.set()
    # Chunks of 128 rows hold the GIL for a few ms each; a single 3000-row call would not.
    assert len(stalls) > 20
    assert max(stalls) < 0.1, f"event loop stalled {max(stalls) * 1000:.0f} ms"


async def test_works_as_the_memory_storage(tmp_path: Path) -> None:
    from memory_core import ExecutionStep, TaskContext, TaskOutcome

    path = tmp_path / "memory.db"
    context = TaskContext(language="rust", domain="web", tags=("api",))
    async with SelfLearningMemory(storage=TursoStorage(path)) as memory:
        episode = await memory.start_episode("Build REST API endpoint", context)
        step = ExecutionStep(tool="rustc", action="compile", latency_ms=1250, tokens=2500)
        await memory.log_step(episode.id, step)
        outcome = TaskOutcome(success=True, result="ok", error=None, duration_ms=5000)
        completed = await memory.complete_episode(episode.id, outcome)
    async with SelfLearningMemory(storage=TursoStorage(path)) as memory:
        relevant = await memory.retrieve_relevant_context("Build REST endpoint", context, 5)
        assert [item.episode.id for item in relevant] == [completed.id]
        assert relevant[0].episode == completed
