"""Retrieval: relevant first, explainable breakdown, cross-domain ranked lower."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memory_core import (
    ExecutionStep,
    MemoryConfig,
    RetrievalWeights,
    SelfLearningMemory,
    TaskContext,
    TaskOutcome,
)
from memory_core.embedding import HashingEmbedder
from memory_core.retrieval import BM25Index, context_match, recency, reward_signal

pytestmark = pytest.mark.anyio

WEB = TaskContext(language="python", domain="web", framework="fastapi", tags=["api"])
DATA = TaskContext(language="python", domain="data", tags=["etl"])


async def record(
    memory: SelfLearningMemory,
    description: str,
    context: TaskContext,
    tools: list[str],
    *,
    success: bool = True,
) -> None:
    episode = await memory.start_episode(description, context)
    for tool in tools:
        await memory.log_step(episode.id, ExecutionStep(tool=tool, action=f"run {tool}"))
    await memory.complete_episode(episode.id, TaskOutcome(success=success, duration_ms=20_000))


async def test_most_relevant_first_with_breakdown() -> None:
    weights = RetrievalWeights()
    async with SelfLearningMemory(MemoryConfig(retrieval_weights=weights)) as memory:
        await record(memory, "Add a REST endpoint that lists users", WEB, ["pytest", "uvicorn"])
        await record(memory, "Write a GraphQL resolver for orders", WEB, ["pytest"])
        await record(memory, "Clean the sales CSV and load it into the warehouse", DATA, ["pandas"])
        await record(
            memory, "Tune the Kubernetes autoscaler", TaskContext(domain="devops"), ["kubectl"]
        )
        results = await memory.retrieve_relevant_context(
            "Build REST API endpoint for users", WEB, 4
        )
    assert results[0].episode.task_description == "Add a REST endpoint that lists users"
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    w = weights.as_dict()
    for result in results:
        expected = sum(w[k] * v for k, v in result.breakdown.items()) / sum(w.values())
        assert result.score == pytest.approx(expected)
        assert all(0.0 <= v <= 1.0 for v in result.breakdown.values())


async def test_cross_domain_results_rank_lower_but_are_kept() -> None:
    async with SelfLearningMemory() as memory:
        await record(memory, "Parse log files and count errors", DATA, ["python"])
        await record(memory, "Parse log files and count errors", WEB, ["python"])
        results = await memory.retrieve_relevant_context("parse log files", DATA, 5)
    assert len(results) == 2
    assert results[0].episode.context.domain == "data"
    assert results[1].episode.context.domain == "web"
    assert results[0].breakdown["context"] > results[1].breakdown["context"]
    assert results[0].breakdown["semantic"] == pytest.approx(results[1].breakdown["semantic"])


async def test_successful_episode_outranks_failed_twin() -> None:
    async with SelfLearningMemory() as memory:
        await record(memory, "Migrate database schema", WEB, ["alembic"], success=False)
        await record(memory, "Migrate database schema", WEB, ["alembic"], success=True)
        results = await memory.retrieve_relevant_context("migrate the database schema", WEB, 2)
    assert results[0].episode.outcome is not None
    assert results[0].episode.outcome.success
    assert results[0].breakdown["reward"] > results[1].breakdown["reward"]


async def test_limit_and_in_progress_episodes_are_not_returned() -> None:
    async with SelfLearningMemory() as memory:
        for i in range(8):
            await record(memory, f"Deploy service number {i}", WEB, ["docker"])
        await memory.start_episode("Deploy service in progress", WEB)
        results = await memory.retrieve_relevant_context("deploy service", WEB, 3)
        assert len(results) == 3
        everything = await memory.retrieve_relevant_context("deploy service", WEB, 100)
    assert len(everything) == 8
    assert all(r.episode.is_completed for r in everything)


async def test_empty_memory_returns_nothing() -> None:
    async with SelfLearningMemory() as memory:
        assert await memory.retrieve_relevant_context("anything", WEB) == []


@pytest.mark.parametrize("size", [300, 4500])
async def test_breakdown_matches_reference_signals(size: int) -> None:
    """The vectorized index agrees with the scalar signal functions, on both search paths."""
    from memory_core.models import utc_now
    from memory_test_utils.workloads import generate_episodes

    config = MemoryConfig()
    async with SelfLearningMemory(config) as memory:
        episodes = list(generate_episodes(size, seed=11))
        await memory.import_episodes(episodes)
        target = episodes[size // 3]
        queries = [
            target.context,
            TaskContext(domain=target.context.domain, tags=list(target.context.tags)[:1]),
            TaskContext(domain="unknown-domain", language="cobol", framework="none", tags=["zz"]),
        ]
        for query in queries:
            results = await memory.retrieve_relevant_context(target.task_description, query, 10)
            now = utc_now()
            assert len(results) == 10
            for hit in results:
                episode = hit.episode
                assert episode.reward is not None
                assert episode.completed_at is not None
                assert hit.breakdown["context"] == pytest.approx(
                    context_match(query, episode.context)
                )
                assert hit.breakdown["reward"] == pytest.approx(reward_signal(episode.reward.total))
                assert hit.breakdown["recency"] == pytest.approx(
                    recency(episode.completed_at, now, config.recency_half_life_days), rel=1e-4
                )
        hits = await memory.retrieve_relevant_context(target.task_description, target.context, 10)
    assert target.id in {r.episode.id for r in hits}


def test_bm25_scores_only_touched_documents_and_normalizes() -> None:
    index = BM25Index()
    index.add(0, ["rest", "api", "endpoint"])
    index.add(1, ["csv", "load"])
    index.add(2, ["rest", "client"])
    scores = index.score(["rest", "endpoint"])
    assert set(scores) == {0, 2}
    assert scores[0] > scores[2]
    assert all(0.0 < v <= 1.0 for v in scores.values())
    assert index.score(["unknown"]) == {}
    index.remove(0)
    assert set(index.score(["rest", "endpoint"])) == {2}
    assert 0 not in index
    index.remove(99)
    assert len(index) == 2


def test_context_match() -> None:
    assert context_match(WEB, WEB) == pytest.approx(1.0)
    other_domain = TaskContext(language="python", domain="data", framework="fastapi", tags=["api"])
    assert context_match(WEB, other_domain) == pytest.approx(1 - 0.35 / 1.0)
    bare = TaskContext(domain="web")
    # Only domain and complexity count when the query leaves the rest unset.
    assert context_match(bare, DATA) == pytest.approx(0.10 / 0.45)


def test_recency_and_reward_signals() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert recency(now, now, 30.0) == pytest.approx(1.0)
    assert recency(now - timedelta(days=30), now, 30.0) == pytest.approx(0.5)
    assert recency(now + timedelta(days=1), now, 30.0) == pytest.approx(1.0)
    assert reward_signal(-1.0) == 0.0
    assert reward_signal(1.6) == pytest.approx(0.5)
    assert reward_signal(10.0) == 1.0


def test_hashing_embedder_is_deterministic_and_normalized() -> None:
    embedder = HashingEmbedder(64)
    a, b, empty = embedder.embed(["Build REST endpoints", "build rest endpoint", ""])
    assert a.dtype.name == "float32"
    assert float((a * a).sum()) == pytest.approx(1.0, abs=1e-5)
    assert float(a @ b) > 0.8
    assert not empty.any()
    assert embedder.name == "hashing-v1-64"
    with pytest.raises(ValueError, match="dim"):
        HashingEmbedder(2)
