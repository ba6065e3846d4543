"""The seed README's example, unchanged in meaning, under trio and under asyncio."""

from __future__ import annotations

import anyio
import pytest

from memory_core import ExecutionStep, SelfLearningMemory, TaskContext, TaskOutcome


async def seed_example() -> tuple[float, int, int]:
    async with SelfLearningMemory() as memory:
        context = TaskContext(language="rust", domain="web", tags=["api"])
        episode = await memory.start_episode("Build REST API endpoint", context)
        await memory.log_step(
            episode.id,
            ExecutionStep(
                tool="rustc",
                action="compile",
                latency_ms=1250,
                tokens=2500,
                success=True,
                observation="Compiled successfully",
            ),
        )
        completed = await memory.complete_episode(
            episode.id,
            TaskOutcome(success=True, result="Endpoint created", error=None, duration_ms=5000),
        )
        relevant = await memory.retrieve_relevant_context("Build REST endpoint", context, 5)
        assert completed.reward is not None
        assert completed.reflection is not None
        insights = len(completed.reflection.successes) + len(completed.reflection.insights)
        assert relevant[0].breakdown
        return completed.reward.total, len(relevant), insights


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_seed_example_runs_on_both_event_loops(backend: str) -> None:
    total, found, insights = anyio.run(seed_example, backend=backend)
    # 1.0 x efficiency(5 s, 1 step) x 1.1 (moderate) x 1.1 (no errors) + 0.1 (quick)
    assert total == pytest.approx(1.860803423373961, abs=1e-6)
    assert found == 1
    assert insights > 0
