"""The learning queue: bounded, backpressure, drains on close, failures never fatal."""

from __future__ import annotations

from collections.abc import Sequence

import anyio
import pytest

from memory_core import BackpressureError, MemoryConfig, SelfLearningMemory, TaskOutcome
from memory_core.learning import LearningQueue
from memory_test_utils import generate_workload

pytestmark = pytest.mark.anyio


async def test_raise_when_full_then_drain_on_close() -> None:
    gate = anyio.Event()
    seen: list[int] = []

    async def handler(items: Sequence[int]) -> None:
        await gate.wait()
        seen.extend(items)

    queue: LearningQueue[int] = LearningQueue(handler, capacity=2, backpressure="raise")
    async with anyio.create_task_group() as tg:
        queue.start(tg)
        await queue.put(0)
        await anyio.wait_all_tasks_blocked()  # the worker holds item 0, blocked on the gate
        await queue.put(1)
        await queue.put(2)
        with pytest.raises(BackpressureError, match="full"):
            await queue.put(3)
        stats = queue.stats()
        assert stats.depth == 2
        assert stats.rejected == 1
        assert stats.pending == 3
        gate.set()
        await queue.close()
    assert seen == [0, 1, 2]
    assert queue.stats().processed == 3
    assert queue.stats().pending == 0


async def test_wait_when_full_and_join() -> None:
    processed: list[int] = []

    async def handler(items: Sequence[int]) -> None:
        await anyio.sleep(0.001)
        processed.extend(items)

    queue: LearningQueue[int] = LearningQueue(handler, capacity=4, backpressure="wait")
    async with anyio.create_task_group() as tg:
        queue.start(tg)
        async with anyio.create_task_group() as producers:
            for p in range(4):
                producers.start_soon(
                    lambda p=p: _produce(queue, range(p * 50, (p + 1) * 50))  # type: ignore[misc]
                )
        await queue.join()
        assert sorted(processed) == list(range(200))
        stats = queue.stats()
        assert stats.backpressure_waits > 0
        assert stats.max_depth <= 4
        assert stats.throughput_per_s > 0
        await queue.close()


async def _produce(queue: LearningQueue[int], items: range) -> None:
    for item in items:
        await queue.put(item)


async def test_handler_failure_is_counted_and_worker_survives() -> None:
    done: list[int] = []

    async def handler(items: Sequence[int]) -> None:
        if 13 in items:
            raise RuntimeError("boom")
        done.extend(items)

    queue: LearningQueue[int] = LearningQueue(handler, capacity=1, backpressure="wait")
    async with anyio.create_task_group() as tg:
        queue.start(tg)
        for item in (1, 13, 2):
            await queue.put(item)
            await queue.join()
        await queue.close()
    assert done == [1, 2]
    assert queue.stats().failed == 1
    assert queue.stats().processed == 2
    with pytest.raises(RuntimeError, match="closed"):
        await queue.put(5)


async def test_memory_backpressure_raise_keeps_episode_stored() -> None:
    workload = generate_workload(30, seed=3)
    config = MemoryConfig(queue_capacity=1, backpressure="raise")
    async with SelfLearningMemory(config) as memory:
        # Hold the learning lock so the worker cannot make room.
        await memory._learning._lock.acquire()
        raised = 0
        ids = []
        for episode in workload.episodes[:5]:
            started = await memory.start_episode(episode.task_description, episode.context)
            ids.append(started.id)
            try:
                await memory.complete_episode(started.id, TaskOutcome(success=True))
            except BackpressureError:
                raised += 1
        memory._learning._lock.release()
        assert raised >= 1
        for episode_id in ids:
            assert (await memory.get_episode(episode_id)).is_completed
        await memory.wait_learned()
        report = await memory.relearn()
        assert report.episodes == 5


async def test_eight_producers_nothing_lost() -> None:
    workload = generate_workload(800, seed=12)
    config = MemoryConfig(queue_capacity=16)
    async with SelfLearningMemory(config) as memory:

        async def agent(episodes: list) -> None:  # type: ignore[type-arg]
            for episode in episodes:
                started = await memory.start_episode(episode.task_description, episode.context)
                for step in episode.steps:
                    await memory.log_step(started.id, step)
                await memory.complete_episode(started.id, episode.outcome)

        async with anyio.create_task_group() as tg:
            for k in range(8):
                tg.start_soon(agent, workload.episodes[k::8])
        await memory.wait_learned()
        stats = await memory.stats()
        assert stats.completed_episodes == 800
        assert stats.learning.episodes_learned == 800
        assert stats.learning.queue.processed == 800
        assert stats.learning.queue.failed == 0
        assert stats.learning.queue.max_depth <= 16
    # The queue drained before close; a re-mine of the same data agrees.
    async with SelfLearningMemory() as bulk:
        await bulk.import_episodes(workload.episodes, learn=False)
        await bulk.relearn()
        bulk_stats = await bulk.stats()
    assert bulk_stats.learning.patterns == stats.learning.patterns


async def test_close_drains_queue() -> None:
    from memory_core.storage import InMemoryStorage

    workload = generate_workload(50, seed=4)
    storage = InMemoryStorage()
    async with SelfLearningMemory(storage=storage) as memory:
        for episode in workload.episodes:
            started = await memory.start_episode(episode.task_description, episode.context)
            for step in episode.steps:
                await memory.log_step(started.id, step)
            await memory.complete_episode(started.id, episode.outcome)  # type: ignore[arg-type]
        # No wait_learned(): leaving the block must drain the queue.
    async with storage:
        stored = await storage.count_patterns()
    async with SelfLearningMemory() as bulk:
        await bulk.import_episodes(workload.episodes, learn=False)
        await bulk.relearn()
        expected = (await bulk.stats()).patterns
    assert stored == expected > 0
