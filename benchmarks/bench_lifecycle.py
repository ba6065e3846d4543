"""Lifecycle cost: start an episode, log 20 steps, complete it (score, reflect, index).

pytest-benchmark rounds run EPISODES_PER_ROUND full lifecycles inside one event
loop, so loop start-up is amortized; the per-episode cost is reported in
``extra_info`` and printed when run as a script::

    python benchmarks/bench_lifecycle.py
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import pytest

from memory_core import ExecutionStep, SelfLearningMemory, TaskContext, TaskOutcome
from memory_test_utils.workloads import generate_episodes

EPISODES_PER_ROUND = 200
STEPS = 20
CONTEXT = TaskContext(language="python", domain="web", framework="fastapi", tags=["api"])
STEP_TEMPLATES = [
    ExecutionStep(
        tool=f"tool{i % 7}",
        action=f"action number {i}",
        latency_ms=100 + i,
        tokens=500,
        success=i % 9 != 4,
        observation="ok " * 20,
        error=None if i % 9 != 4 else f"Error 42 at /tmp/x{i}.py",
    )
    for i in range(STEPS)
]


async def run_lifecycles(backend_label: str, preload: int, episodes: int) -> float:
    """Seconds per episode for ``episodes`` lifecycles on a memory holding ``preload``."""
    async with SelfLearningMemory() as memory:
        if preload:
            await memory.import_episodes(generate_episodes(preload, seed=1))
        started = time.perf_counter()
        for n in range(episodes):
            episode = await memory.start_episode(f"Build endpoint number {n} for users", CONTEXT)
            for step in STEP_TEMPLATES:
                await memory.log_step(episode.id, step)
            await memory.complete_episode(episode.id, TaskOutcome(success=True, duration_ms=30_000))
        return (time.perf_counter() - started) / episodes


@pytest.mark.benchmark(group="lifecycle")
@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_lifecycle_start_20_steps_complete(benchmark: Any, backend: str) -> None:
    def one_round() -> float:
        return anyio.run(run_lifecycles, backend, 0, EPISODES_PER_ROUND, backend=backend)

    per_episode = benchmark.pedantic(one_round, rounds=5, iterations=1)
    benchmark.extra_info["episodes_per_round"] = EPISODES_PER_ROUND
    benchmark.extra_info["per_episode_ms"] = per_episode * 1000
    assert per_episode > 0


def main() -> None:
    print("| backend | stored before | per episode (start + 20 steps + complete) |")
    print("|---|---|---|")
    for backend in ("trio", "asyncio"):
        for preload in (0, 10_000):
            best = min(
                anyio.run(run_lifecycles, backend, preload, EPISODES_PER_ROUND, backend=backend)
                for _ in range(3)
            )
            print(f"| {backend} | {preload} | {best * 1000:.3f} ms |")


if __name__ == "__main__":
    main()
