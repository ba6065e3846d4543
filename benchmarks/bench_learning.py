"""Learning benchmarks: incremental cost per episode at scale, and the queue under load.

Run as a script for the table in benchmarks/README.md::

    python benchmarks/bench_learning.py            # 100k learned, 10k under load
    BENCH_LEARN_N=20000 python benchmarks/bench_learning.py

The pytest-benchmark functions use smaller sizes so `nox -s bench` stays short.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import anyio
import pytest

from memory_core import Episode, MemoryConfig, SelfLearningMemory
from memory_test_utils.workloads import generate_episodes


async def incremental_costs(learned: int, measured: int) -> tuple[float, float, float, int]:
    """(bulk seconds for `learned`, p50 ms, p95 ms, patterns) of single-episode learning."""
    episodes = list(generate_episodes(learned + measured, seed=42))
    async with SelfLearningMemory() as memory:
        started = time.perf_counter()
        await memory.import_episodes(episodes[:learned])
        bulk_s = time.perf_counter() - started
        learner = memory._learning  # the queue's handler, timed without queue overhead
        costs = []
        for episode in episodes[learned:]:
            t0 = time.perf_counter()
            await learner.learn([episode])
            costs.append((time.perf_counter() - t0) * 1000)
        patterns = (await memory.stats()).patterns
    costs.sort()
    return bulk_s, statistics.median(costs), costs[int(0.95 * (len(costs) - 1))], patterns


async def queue_under_load(
    total: int, producers: int, capacity: int, db_path: str | None = None
) -> dict[str, Any]:
    """`producers` agents complete `total` episodes concurrently; learning queue of `capacity`.

    Episodes are started and their steps logged first; the measured phase is the
    burst of ``complete_episode`` calls, which outpaces learning, so the queue
    fills and backpressure (waiting) is exercised.
    """
    episodes = list(generate_episodes(total, seed=7))
    config = MemoryConfig(queue_capacity=capacity)
    storage = None
    if db_path is not None:
        from memory_storage_turso import TursoStorage

        storage = TursoStorage(db_path)
    async with SelfLearningMemory(config, storage=storage) as memory:
        started: list[tuple[Any, Episode]] = []
        for episode in episodes:
            live = await memory.start_episode(episode.task_description, episode.context)
            for step in episode.steps:
                await memory.log_step(live.id, step)
            started.append((live.id, episode))

        async def agent(mine: list[tuple[Any, Episode]]) -> None:
            for episode_id, episode in mine:
                assert episode.outcome is not None
                await memory.complete_episode(episode_id, episode.outcome)

        t0 = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for k in range(producers):
                tg.start_soon(agent, started[k::producers])
        produced_s = time.perf_counter() - t0
        await memory.wait_learned()
        learned_s = time.perf_counter() - t0
        stats = await memory.stats()
    queue = stats.learning.queue
    return {
        "completed": stats.completed_episodes,
        "learned": stats.learning.episodes_learned,
        "lost": total - stats.learning.episodes_learned,
        "max_depth": queue.max_depth,
        "backpressure_waits": queue.backpressure_waits,
        "max_lag_s": round(queue.max_lag_s, 3),
        "complete_burst_s": round(produced_s, 2),
        "all_learned_s": round(learned_s, 2),
        "episodes_per_s": round(total / learned_s),
    }


@pytest.mark.benchmark(group="learning")
def test_incremental_learning_cost(benchmark: Any) -> None:
    result = benchmark.pedantic(
        lambda: anyio.run(incremental_costs, 5_000, 300, backend="trio"), rounds=1, iterations=1
    )
    benchmark.extra_info["p50_ms"], benchmark.extra_info["p95_ms"] = result[1], result[2]
    assert result[2] > 0


@pytest.mark.benchmark(group="learning")
def test_queue_under_load(benchmark: Any) -> None:
    result = benchmark.pedantic(
        lambda: anyio.run(queue_under_load, 2_000, 8, 100, backend="trio"), rounds=1, iterations=1
    )
    benchmark.extra_info.update(result)
    assert result["lost"] == 0


def main() -> None:
    if os.environ.get("BENCH_QUEUE_ONLY"):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            load = anyio.run(queue_under_load, 10_000, 8, 100, f"{tmp}/q.db", backend="trio")
        print(f"queue under load (trio, embedded libSQL file): {load}")
        return
    learned = int(os.environ.get("BENCH_LEARN_N", "100000"))
    bulk_s, p50, p95, patterns = anyio.run(incremental_costs, learned, 1_000, backend="trio")
    print("| learned before | import+learn (bulk) | single-episode learn p50 | p95 | patterns |")
    print("|---|---|---|---|---|")
    print(f"| {learned} | {bulk_s:.1f} s | {p50:.3f} ms | {p95:.3f} ms | {patterns} |")
    print()
    for backend in ("trio", "asyncio"):
        load = anyio.run(queue_under_load, 10_000, 8, 100, backend=backend)
        print(f"queue under load ({backend}, in-memory storage): {load}")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        load = anyio.run(queue_under_load, 10_000, 8, 100, f"{tmp}/q.db", backend="trio")
        print(f"queue under load (trio, embedded libSQL file): {load}")


if __name__ == "__main__":
    main()
