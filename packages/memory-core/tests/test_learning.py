"""Learning across episodes: planted motifs, recoveries and decisions found with true supports."""

from __future__ import annotations

from collections import defaultdict

import msgspec
import pytest

from memory_core import (
    DecisionPoint,
    ErrorRecovery,
    MemoryConfig,
    NotFoundError,
    SelfLearningMemory,
    TaskContext,
    ToolSequence,
    ValidationError,
)
from memory_core.config import LearningConfig
from memory_core.learning import wilson_lower_bound
from memory_core.learning.extract import normalize_action
from memory_core.patterns import Pattern
from memory_core.storage import InMemoryStorage
from memory_core.text import normalize_error, tokenize
from memory_test_utils import Workload, error_class_of, generate_workload

pytestmark = pytest.mark.anyio
MIN_SUPPORT = 3


@pytest.fixture(scope="module")
def workload() -> Workload:
    return generate_workload(800, seed=5)


def by_kind(patterns: list[Pattern]) -> dict[type, dict[object, Pattern]]:
    kinds: dict[type, dict[object, Pattern]] = defaultdict(dict)
    for p in patterns:
        if isinstance(p, ToolSequence):
            kinds[ToolSequence][p.tools] = p
        elif isinstance(p, ErrorRecovery):
            kinds[ErrorRecovery][p.error_type] = p
        elif isinstance(p, DecisionPoint):
            kinds[DecisionPoint][(p.condition, p.action)] = p
        else:
            kinds[type(p)][p.context_features] = p
    return kinds


def error_classes(workload: Workload) -> dict[str, set[str]]:
    """Ground-truth error class -> the classes our normalization gives its messages."""
    ours: dict[str, set[str]] = defaultdict(set)
    for episode in workload.episodes:
        for step in episode.steps:
            if not step.success and step.error:
                planted = error_class_of(step.error)
                assert planted is not None
                ours[planted].add(normalize_error(step.error))
    return ours


async def test_planted_patterns_found_with_true_supports(workload: Workload) -> None:
    async with SelfLearningMemory() as memory:
        await memory.import_episodes(workload.episodes)
        kinds = by_kind(await memory.list_patterns())

    sequences = kinds[ToolSequence]
    checked = 0
    for motif, support in workload.planted_sequences.items():
        if support >= MIN_SUPPORT and 2 <= len(motif) <= 5:
            found = sequences[motif]
            assert isinstance(found, ToolSequence)
            assert found.support == support, motif
            assert round(found.success_rate * found.support) == workload.sequence_successes[motif]
            checked += 1
    assert checked >= 20

    recoveries = kinds[ErrorRecovery]
    mapping = error_classes(workload)
    for planted, support in workload.planted_errors.items():
        if support < MIN_SUPPORT:
            continue
        # Messages differing only in numbers, paths, ids or hex merge into one class.
        assert len(mapping[planted]) == 1, mapping[planted]
        (ours,) = mapping[planted]
        found = recoveries[ours]
        assert isinstance(found, ErrorRecovery)
        assert found.support == support
        assert round(found.success_rate * found.support) == workload.planted_recoveries[planted]
        route = workload.recovery_steps[planted]
        assert found.recovery_steps[: len(route)] == route

    decisions = kinds[DecisionPoint]
    for (check, then), support in workload.planted_decisions.items():
        if support >= MIN_SUPPORT:
            found = decisions[(normalize_action(check), normalize_action(then))]
            assert isinstance(found, DecisionPoint)
            assert found.outcome_stats.total == support


async def test_heuristics_have_wilson_confidence(workload: Workload) -> None:
    async with SelfLearningMemory() as memory:
        await memory.import_episodes(workload.episodes[:400])
        heuristics = await memory.retrieve_heuristics(TaskContext(domain="web"), limit=1000)
    assert heuristics
    sources = {h.source for h in heuristics}
    assert sources == {"error_recovery", "decision_point", "context_pattern"}
    for h in heuristics:
        assert 0.0 <= h.confidence <= 1.0
        assert h.confidence == pytest.approx(
            wilson_lower_bound(h.evidence.successes, h.evidence.total)
        )
        assert h.evidence.total >= MIN_SUPPORT
        assert 1 <= len(h.evidence.episode_ids) <= 20


async def test_incremental_equals_bulk_relearn(workload: Workload) -> None:
    episodes = workload.episodes[:300]

    def summary(patterns: list[Pattern]) -> dict[object, bytes]:
        return {p.id: msgspec.msgpack.encode(p) for p in patterns}

    async with SelfLearningMemory() as incremental:
        for start in range(0, len(episodes), 7):
            await incremental.import_episodes(episodes[start : start + 7])
        learned = summary(await incremental.list_patterns())
    progress: list[tuple[int, int]] = []
    async with SelfLearningMemory() as bulk:
        await bulk.import_episodes(episodes, learn=False)
        assert await bulk.list_patterns() == []
        report = await bulk.relearn(progress=lambda done, total: progress.append((done, total)))
        relearned = summary(await bulk.list_patterns())
    assert report.episodes == 300
    assert progress[-1] == (300, 300)
    assert set(learned) == set(relearned)
    # Evidence lists may differ in order of arrival; supports and stats must not.
    for pid, blob in learned.items():
        a = msgspec.msgpack.decode(blob)
        b = msgspec.msgpack.decode(relearned[pid])
        for record in (a, b):
            for volatile in ("evidence", "keywords", "created_at", "updated_at"):
                record.pop(volatile, None)
        assert a == b


async def test_deleting_episodes_decrements_support(workload: Workload) -> None:
    episodes = workload.episodes[:200]
    async with SelfLearningMemory() as memory:
        await memory.import_episodes(episodes)
        before = [p for p in await memory.list_patterns() if isinstance(p, ToolSequence)]
        target = max(before, key=lambda p: (p.support, p.id.bytes))
        n = len(target.tools)

        def contains(tools: tuple[str, ...]) -> bool:
            return any(tools[i : i + n] == target.tools for i in range(len(tools) - n + 1))

        victim = next(e for e in episodes if contains(tuple(s.tool for s in e.steps)))
        await memory.delete_episode(victim.id)
        after = {p.id: p for p in await memory.list_patterns()}
        shrunk = after[target.id]
        assert isinstance(shrunk, ToolSequence)
        assert shrunk.support == target.support - 1
        # Forgetting is exact: a re-mine of what is left agrees.
        await memory.relearn()
        remined = {p.id: p for p in await memory.list_patterns()}
    assert remined[target.id].support == shrunk.support  # type: ignore[union-attr]
    assert set(remined) == set(after)


async def test_background_learning_and_wait_learned() -> None:
    workload = generate_workload(120, seed=9)
    async with SelfLearningMemory() as memory:
        for episode in workload.episodes:
            started = await memory.start_episode(episode.task_description, episode.context)
            for step in episode.steps:
                await memory.log_step(started.id, step)
            assert episode.outcome is not None
            await memory.complete_episode(started.id, episode.outcome)
        await memory.wait_learned()
        stats = await memory.stats()
        patterns = await memory.list_patterns()
    assert stats.learning.episodes_learned == 120
    assert stats.learning.queue.processed == 120
    assert stats.learning.queue.pending == 0
    assert stats.patterns == len(patterns) > 0
    assert stats.learning.learn_p95_ms > 0


async def test_learn_synchronously() -> None:
    workload = generate_workload(40, seed=2)
    config = MemoryConfig(learn_synchronously=True, learning=LearningConfig(min_support=1))
    async with SelfLearningMemory(config) as memory:
        episode = workload.episodes[0]
        started = await memory.start_episode(episode.task_description, episode.context)
        for step in episode.steps:
            await memory.log_step(started.id, step)
        assert episode.outcome is not None
        await memory.complete_episode(started.id, episode.outcome)
        # No wait: learned before complete_episode returned.
        assert (await memory.stats()).learning.episodes_learned == 1
        assert await memory.list_patterns()


async def test_feedback_updates_and_persists_effectiveness(workload: Workload) -> None:
    storage = InMemoryStorage()
    async with SelfLearningMemory(storage=storage) as memory:
        await memory.import_episodes(workload.episodes[:200])
        matches = await memory.retrieve_relevant_patterns(
            "Add a REST endpoint", TaskContext(domain="web", language="python"), 3
        )
        assert len(matches) == 3
        assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
        for match in matches:
            assert set(match.breakdown) == {"context", "relevance", "quality", "effectiveness"}
        target = matches[0].pattern
        updated = await memory.record_pattern_feedback(target.id, True)
        await memory.record_pattern_feedback(str(target.id), False)
        updated = await memory.record_pattern_feedback(target.id, True)
        assert updated.effectiveness.times_applied == 3
        assert updated.effectiveness.times_helped == 2
        assert updated.effectiveness.times_hindered == 1
        assert updated.effectiveness.times_retrieved == 1
        with pytest.raises(NotFoundError):
            await memory.record_pattern_feedback("00000000-0000-4000-8000-000000000000", True)
        with pytest.raises(ValidationError, match="helped"):
            await memory.record_pattern_feedback(target.id, "yes")  # type: ignore[arg-type]
    async with storage:
        stored = await storage.get_pattern(target.id)
    assert stored is not None
    assert stored.effectiveness.times_helped == 2
    # Reopening keeps the effectiveness history attached to the same pattern id.
    async with SelfLearningMemory(storage=storage) as reopened:
        again = {p.id: p for p in await reopened.list_patterns()}
    assert again[target.id].effectiveness.times_helped == 2


async def test_helpful_feedback_raises_rank() -> None:
    workload = generate_workload(300, seed=21)
    context = TaskContext(domain="web", language="python")
    async with SelfLearningMemory() as memory:
        await memory.import_episodes(workload.episodes)
        matches = await memory.retrieve_relevant_patterns("fix the failing tests", context, 10)
        last = matches[-1]
        for _ in range(5):
            await memory.record_pattern_feedback(last.pattern.id, True)
        rescored = await memory.retrieve_relevant_patterns("fix the failing tests", context, 10)
    new = {m.pattern.id: m for m in rescored}
    assert new[last.pattern.id].breakdown["effectiveness"] > last.breakdown["effectiveness"]
    assert new[last.pattern.id].score > last.score


async def test_error_recovery_is_relevant_to_its_error(workload: Workload) -> None:
    async with SelfLearningMemory() as memory:
        await memory.import_episodes(workload.episodes)
        recoveries = [p for p in await memory.list_patterns() if isinstance(p, ErrorRecovery)]
        target = max(recoveries, key=lambda p: p.support)
        matches = await memory.retrieve_relevant_patterns(
            f"Step failed: {target.error_type}", target.context, 5
        )
    assert target.id in {m.pattern.id for m in matches}


@pytest.mark.parametrize(
    ("query", "context"),
    [
        ("Fix the failing tests in the API", TaskContext(domain="web", language="python")),
        ("deploy the cluster", TaskContext(domain="devops", tags=["ci", "k8s"])),
        ("", TaskContext(domain="nowhere", language="cobol", framework="x")),
    ],
)
async def test_vectorized_ranking_matches_reference(
    workload: Workload, query: str, context: TaskContext
) -> None:
    """The pattern index agrees with the scalar reference ranking, order and breakdowns."""
    from memory_core.learning.ranking import pattern_tokens, rank_patterns
    from memory_core.models import utc_now

    config = MemoryConfig()
    async with SelfLearningMemory(config) as memory:
        await memory.import_episodes(workload.episodes[:300])
        patterns = await memory.list_patterns()
        # Some feedback so effectiveness differs between patterns.
        for pattern in patterns[:: max(1, len(patterns) // 7)]:
            await memory.record_pattern_feedback(pattern.id, helped=pattern.id.int % 2 == 0)
        patterns = await memory.list_patterns()
        reference = rank_patterns(
            [(p, pattern_tokens(p)) for p in patterns],
            query_tokens=frozenset(tokenize(query)),
            context=context,
            weights=config.pattern_weights,
            now=utc_now(),
            half_life_days=config.learning.effectiveness_half_life_days,
            z=config.learning.confidence_z,
            limit=15,
        )
        if query:
            got = await memory.retrieve_relevant_patterns(query, context, 15)
        else:
            got = memory._learning.rank("", context, 15)
    assert [m.pattern.id for m in got] == [m.pattern.id for m in reference]
    for a, b in zip(got, reference, strict=True):
        assert a.score == pytest.approx(b.score, abs=1e-9)
        for name, value in b.breakdown.items():
            assert a.breakdown[name] == pytest.approx(value, abs=1e-6)
