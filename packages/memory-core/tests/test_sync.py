"""The blocking facade works from plain synchronous code, on either event loop."""

from __future__ import annotations

import pytest

from memory_core import (
    ExecutionStep,
    MemoryCoreError,
    NotFoundError,
    SyncSelfLearningMemory,
    TaskContext,
    TaskOutcome,
)


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_sync_lifecycle(backend: str) -> None:
    context = TaskContext(language="rust", domain="web", tags=["api"])
    with SyncSelfLearningMemory(backend=backend) as memory:  # type: ignore[arg-type]
        episode = memory.start_episode("Build REST API endpoint", context, tags=["demo"])
        assert memory.log_step(episode.id, ExecutionStep(tool="rustc", action="compile")) == 1
        done = memory.complete_episode(episode.id, TaskOutcome(success=True, duration_ms=5000))
        assert done.reward is not None
        assert memory.get_episode(episode.id) == done
        assert [e.id for e in memory.list_episodes(tags=["demo"])] == [episode.id]
        hits = memory.retrieve_relevant_context("Build REST endpoint", context, 5)
        assert hits[0].episode.id == episode.id
        assert memory.stats().completed_episodes == 1
        memory.wait_learned()
        assert memory.stats().learning.episodes_learned == 1
        assert memory.relearn().episodes == 1
        assert memory.list_patterns() == []  # one episode is below the minimum support
        assert memory.retrieve_relevant_patterns("Build REST endpoint", context) == []
        assert memory.retrieve_heuristics(context) == []
        with pytest.raises(NotFoundError):
            memory.record_pattern_feedback(episode.id, True)
        memory.delete_episode(episode.id)
        with pytest.raises(NotFoundError):
            memory.get_episode(episode.id)
    with pytest.raises(MemoryCoreError, match="closed"):
        memory.stats()
    memory.close()  # idempotent
