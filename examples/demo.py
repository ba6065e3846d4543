"""Demo: agents record realistic episodes, then memory hands experience back.

Run with ``nox -s demo`` (or ``python examples/demo.py`` with the packages
installed). It records a few episodes live through the lifecycle API, imports a
larger synthetic history from many agents, and then asks memory what is
relevant for new tasks, printing each hit's score breakdown.

Storage is an embedded libSQL file (the engine of the default store) in a fresh
temporary directory, so the demo never touches your own memory; pass a path as
the second argument to keep it.

Environment: DEMO_EPISODES (default 2000) sets the size of the imported history.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import anyio

from memory_core import (
    DecisionPoint,
    ErrorRecovery,
    ExecutionStep,
    Pattern,
    RetrievedEpisode,
    SelfLearningMemory,
    TaskContext,
    TaskOutcome,
    ToolSequence,
)
from memory_storage_turso import TursoStorage
from memory_test_utils.workloads import generate_episodes

QUERIES = [
    ("Build REST endpoint", TaskContext(language="rust", domain="web")),
    (
        "Add a REST endpoint that returns a user's orders",
        TaskContext(language="python", domain="web", framework="fastapi", tags=["api"]),
    ),
    ("Fix the failing database migration in CI", TaskContext(domain="devops", tags=["ci"])),
    ("Train a classifier and report its accuracy", TaskContext(language="python", domain="ml")),
]


def describe(pattern: Pattern) -> str:
    if isinstance(pattern, ToolSequence):
        return (
            f"tool sequence {' -> '.join(pattern.tools)} (support {pattern.support}, "
            f"success {pattern.success_rate:.0%})"
        )
    if isinstance(pattern, ErrorRecovery):
        return (
            f"on '{pattern.error_type[:50]}' recover with {' -> '.join(pattern.recovery_steps)} "
            f"(support {pattern.support}, recovered {pattern.success_rate:.0%})"
        )
    if isinstance(pattern, DecisionPoint):
        total = pattern.outcome_stats.total
        return f"after '{pattern.condition}' do '{pattern.action}' ({total} episodes)"
    return f"in {', '.join(pattern.context_features)} use {pattern.recommended_approach}"


def show(hits: list[RetrievedEpisode]) -> None:
    for rank, hit in enumerate(hits, start=1):
        episode = hit.episode
        status = episode.outcome.status if episode.outcome else "in progress"
        parts = "  ".join(f"{name}={value:.2f}" for name, value in hit.breakdown.items())
        print(f"  {rank}. [{hit.score:.3f}] {episode.task_description[:70]!r}")
        reward = episode.reward.total if episode.reward else 0.0
        print(
            f"     {episode.context.domain}/{episode.context.language or '-'} · {status} · "
            f"{len(episode.steps)} steps · reward {reward:.2f}"
        )
        print(f"     {parts}")
        if episode.reflection and episode.reflection.insights:
            print(f"     insight: {episode.reflection.insights[0][:90]}")


async def record_live(memory: SelfLearningMemory) -> None:
    context = TaskContext(language="rust", domain="web", tags=["api"])
    episode = await memory.start_episode("Build REST API endpoint", context)
    steps = [
        ExecutionStep(tool="cargo", action="add axum dependency", latency_ms=900, tokens=300),
        ExecutionStep(
            tool="rustc",
            action="compile",
            latency_ms=1250,
            tokens=2500,
            success=False,
            error="error[E0433]: failed to resolve: use of undeclared crate `serde`",
            observation="1 error",
        ),
        ExecutionStep(tool="cargo", action="add serde with derive feature", latency_ms=700),
        ExecutionStep(
            tool="rustc",
            action="compile",
            latency_ms=1300,
            tokens=2400,
            observation="Compiled successfully",
        ),
        ExecutionStep(
            tool="cargo", action="test", latency_ms=4200, tokens=800, observation="12 passed"
        ),
    ]
    for step in steps:
        await memory.log_step(episode.id, step)
    done = await memory.complete_episode(
        episode.id,
        TaskOutcome(
            success=True,
            result="Endpoint created",
            duration_ms=9_500,
            artifacts=("src/routes/users.rs", "tests/users_test.rs"),
        ),
    )
    assert done.reward is not None
    assert done.reflection is not None
    print(
        f"Recorded a live episode: reward {done.reward.total:.3f} "
        f"(base {done.reward.base}, efficiency {done.reward.efficiency:.3f}, "
        f"quality {done.reward.quality_multiplier:.2f}, bonus {done.reward.learning_bonus:.2f})"
    )
    for label, items in (
        ("worked", done.reflection.successes),
        ("improve", done.reflection.improvements),
        ("insight", done.reflection.insights),
    ):
        for item in items[:2]:
            print(f"  {label}: {item}")


async def main(db_path: Path) -> None:
    count = int(os.environ.get("DEMO_EPISODES", "2000"))
    print(f"Storage: embedded libSQL file {db_path}\n")
    async with SelfLearningMemory(storage=TursoStorage(str(db_path))) as memory:
        await record_live(memory)
        started = time.perf_counter()
        imported = await memory.import_episodes(generate_episodes(count, seed=7))
        elapsed = time.perf_counter() - started
        print(
            f"\nImported {imported} episodes from many agents in {elapsed:.2f} s "
            f"(scored, reflected on and indexed)\n"
        )
        for description, context in QUERIES:
            started = time.perf_counter()
            hits = await memory.retrieve_relevant_context(description, context, 3)
            took = (time.perf_counter() - started) * 1000
            print(
                f"New task: {description!r} ({context.domain}) -> {len(hits)} hits in {took:.1f} ms"
            )
            show(hits)
            print()
        await memory.wait_learned()
        description, context = QUERIES[2]
        print(f"Patterns recommended for {description!r}:")
        for match in await memory.retrieve_relevant_patterns(description, context, 4):
            parts = "  ".join(f"{k}={v:.2f}" for k, v in match.breakdown.items())
            print(f"  [{match.score:.3f}] {describe(match.pattern)}")
            print(f"     {parts}")
        print(f"Heuristics for {context.domain}:")
        for rule in await memory.retrieve_heuristics(context, 3):
            print(
                f"  ({rule.confidence:.2f}, {rule.evidence.total} episodes) when "
                f"{rule.condition[:60]} -> {rule.action[:60]}"
            )
        print()
        stats = await memory.stats()
        print(
            f"Memory holds {stats.episodes} episodes ({stats.indexed_episodes} indexed), "
            f"{stats.patterns} patterns and {stats.heuristics} heuristics; "
            f"embedder {stats.embedder}, storage {stats.storage}."
        )


if __name__ == "__main__":
    backend = sys.argv[1] if len(sys.argv) > 1 else "trio"
    if len(sys.argv) > 2:
        anyio.run(main, Path(sys.argv[2]), backend=backend)
    else:
        with tempfile.TemporaryDirectory(prefix="memory-demo-") as tmp:
            anyio.run(main, Path(tmp) / "demo.db", backend=backend)
