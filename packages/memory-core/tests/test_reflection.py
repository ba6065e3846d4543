"""Reflection: deterministic, bounded, and driven by step statistics."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from memory_core import Episode, ExecutionStep, TaskContext, TaskOutcome
from memory_core.reflection import MAX_ITEMS, generate_reflection

START = datetime(2026, 1, 1, tzinfo=UTC)


def make(steps: list[ExecutionStep], outcome: TaskOutcome) -> Episode:
    numbered = tuple(
        ExecutionStep(
            tool=s.tool,
            action=s.action,
            latency_ms=s.latency_ms,
            tokens=s.tokens,
            success=s.success,
            error=s.error,
            step_number=i + 1,
            timestamp=START,
        )
        for i, s in enumerate(steps)
    )
    return Episode(
        id=uuid.UUID(int=5),
        task_description="Fix the build",
        task_type="debugging",
        context=TaskContext(domain="ci", language="rust"),
        steps=numbered,
        outcome=outcome,
        started_at=START,
        completed_at=START + timedelta(seconds=90),
    )


def test_clean_success() -> None:
    steps = [ExecutionStep(tool=t, action="run", latency_ms=100) for t in ("cargo", "cargo", "git")]
    reflection = generate_reflection(make(steps, TaskOutcome(success=True)))
    assert reflection.successes[0] == "Task completed successfully in 3 steps"
    assert "3 of 3 steps succeeded (100%)" in reflection.successes
    assert "Reliable tools: cargo (2/2)" in reflection.successes
    assert reflection.improvements == ()
    assert "Tool sequence: cargo -> git" in reflection.insights


def test_failures_bottlenecks_and_repeats() -> None:
    steps = [
        ExecutionStep(
            tool="cargo",
            action="build",
            success=False,
            latency_ms=200,
            error="error at /tmp/a_1/main.rs:10",
        ),
        ExecutionStep(
            tool="cargo",
            action="build",
            success=False,
            latency_ms=200,
            error="error at /tmp/b_2/main.rs:99",
        ),
        ExecutionStep(tool="cargo", action="build", success=False, latency_ms=200, error="other"),
        ExecutionStep(tool="rustup", action="update", success=True, latency_ms=9_000),
        ExecutionStep(tool="git", action="diff", success=True, latency_ms=100, tokens=90_000),
    ]
    reflection = generate_reflection(make(steps, TaskOutcome(success=False, error="gave up")))
    improvements = "\n".join(reflection.improvements)
    assert "Task failed: gave up" in improvements
    assert "cargo failed 3 times" in improvements
    assert "The same error occurred 2 times: error at <path>" in improvements
    assert "Step 4 (rustup: update) took 9000 ms" in improvements
    assert len(reflection.improvements) <= MAX_ITEMS
    assert any("Recovered from a failing cargo step by rustup" in s for s in reflection.successes)
    assert any(
        "When cargo fails with 'other', rustup (update) works" in s for s in reflection.insights
    )


def test_bounded_and_deterministic() -> None:
    steps = [
        ExecutionStep(
            tool=f"tool{i % 7}",
            action=f"act{i % 3}",
            success=i % 4 != 0,
            latency_ms=(50_000 if i % 13 == 0 else 10),
            error=f"E{i % 5} at line {i}",
            tokens=10_000,
        )
        for i in range(60)
    ]
    episode = make(steps, TaskOutcome(success=False, status="partial", completed=("a",)))
    first = generate_reflection(episode)
    assert first == generate_reflection(episode)
    for items in (first.successes, first.improvements, first.insights):
        assert 1 <= len(items) <= MAX_ITEMS
        assert len(set(items)) == len(items)


def test_hook_adds_insights_within_bound() -> None:
    episode = make([ExecutionStep(tool="a", action="b")], TaskOutcome(success=True))
    reflection = generate_reflection(episode, lambda ep: [f"hook saw {ep.task_type}"] * 3 + ["x"])
    assert reflection.insights[0] == "hook saw debugging"
    assert reflection.insights[1] == "x"
    assert len(reflection.insights) <= MAX_ITEMS


def test_abstained() -> None:
    episode = make([], TaskOutcome(success=False, status="abstained"))
    reflection = generate_reflection(episode)
    assert any("abstained" in item for item in reflection.insights)
