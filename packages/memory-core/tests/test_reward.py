"""Reward: hand-computed cases of the documented formula (SPEC §4)."""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from memory_core import Episode, ExecutionStep, TaskContext, TaskOutcome
from memory_core.reward import (
    MAX_REWARD,
    base_reward,
    compute_reward,
    efficiency_multiplier,
    learning_bonus,
    quality_multiplier,
)

START = datetime(2026, 1, 1, tzinfo=UTC)


def step(tool: str = "bash", *, success: bool = True, n: int = 1) -> ExecutionStep:
    return ExecutionStep(tool=tool, action="run", success=success, step_number=n, timestamp=START)


def episode(
    steps: list[ExecutionStep],
    outcome: TaskOutcome,
    *,
    complexity: str = "moderate",
    wall_s: float = 10.0,
) -> Episode:
    return Episode(
        id=uuid.UUID(int=1),
        task_description="task",
        task_type="general",
        context=TaskContext(domain="web", complexity=complexity),  # type: ignore[arg-type]
        steps=tuple(steps),
        outcome=outcome,
        started_at=START,
        completed_at=START + timedelta(seconds=wall_s),
    )


def d(seconds: float) -> float:
    return 0.5 + math.exp(-(seconds / 60.0) / 2.0)


def s(count: int) -> float:
    return 0.5 + math.exp(-(count / 10.0) / 2.0)


def test_seed_example_success_one_step() -> None:
    ep = episode([step("rustc")], TaskOutcome(success=True, duration_ms=5000))
    reward = compute_reward(ep)
    efficiency = 0.5 * d(5) + 0.5 * s(1)
    assert reward.base == 1.0
    assert reward.efficiency == pytest.approx(efficiency, abs=1e-12)
    assert reward.complexity_bonus == 1.1
    assert reward.quality_multiplier == pytest.approx(1.1)  # zero errors
    assert reward.learning_bonus == pytest.approx(0.1)  # quick: < 30 s, 0 < steps < 10
    assert reward.total == pytest.approx(1.0 * efficiency * 1.1 * 1.1 + 0.1, abs=1e-6)
    assert reward.total == pytest.approx(1.860803423, abs=1e-6)


def test_failure_keeps_only_learning_bonus() -> None:
    steps = [step("a", success=False, n=1), step("b", n=2), step("c", n=3)]
    ep = episode(steps, TaskOutcome(success=False, error="boom", duration_ms=120_000))
    reward = compute_reward(ep)
    assert reward.base == 0.0
    # 3 distinct tools with 3 steps: +0.1; recovery a->b: +0.15; not quick (120 s).
    assert reward.learning_bonus == pytest.approx(0.25)
    assert reward.total == pytest.approx(0.25, abs=1e-9)
    # error rate 1/3 > 0.3 -> -0.2; failure -> no artifact bonus
    assert reward.quality_multiplier == pytest.approx(0.8)


def test_partial_uses_subgoal_ratio_and_defaults_to_half() -> None:
    partial = TaskOutcome(success=False, status="partial", completed=("a", "b", "c"), failed=("d",))
    assert base_reward(partial) == pytest.approx(0.75)
    unknown = TaskOutcome(success=False, status="partial")
    assert base_reward(unknown) == 0.5
    ep = episode([], partial, complexity="complex", wall_s=60)
    reward = compute_reward(ep)
    efficiency = 0.5 * d(60) + 0.5 * 0.5  # zero steps -> s = 0.5
    assert reward.efficiency == pytest.approx(efficiency)
    assert reward.quality_multiplier == 1.0  # no steps, not success
    assert reward.learning_bonus == 0.0
    assert reward.total == pytest.approx(0.75 * efficiency * 1.2 * 1.0, abs=1e-6)


def test_abstained_base() -> None:
    outcome = TaskOutcome(success=False, status="abstained")
    assert base_reward(outcome) == pytest.approx(0.3)
    reward = compute_reward(episode([], outcome, complexity="simple", wall_s=0))
    # Zero duration: d = 1.5; zero steps: s = 0.5 -> efficiency 1.0.
    assert reward.efficiency == pytest.approx(1.0)
    assert reward.total == pytest.approx(0.3 * 1.0 * 1.0 * 1.0, abs=1e-6)


def test_zero_steps_without_duration_uses_wall_time() -> None:
    ep = episode([], TaskOutcome(success=True), wall_s=30)
    reward = compute_reward(ep)
    assert reward.efficiency == pytest.approx(0.5 * d(30) + 0.25)
    assert reward.learning_bonus == 0.0  # zero steps: no quick bonus


def test_no_duration_at_all_gives_neutral_duration_score() -> None:
    assert efficiency_multiplier(None, 10) == pytest.approx(0.5 * 1.0 + 0.5 * s(10))


def test_long_episode() -> None:
    steps = [step(f"tool{i % 6}", success=(i % 10 != 0), n=i + 1) for i in range(200)]
    ep = episode(steps, TaskOutcome(success=True, duration_ms=3_600_000), complexity="complex")
    reward = compute_reward(ep)
    efficiency = max(0.5, 0.5 * d(3600) + 0.5 * s(200))
    assert reward.efficiency == pytest.approx(efficiency)
    assert reward.efficiency == pytest.approx(0.5, abs=1e-4)  # long and many steps: the floor
    # error rate 20/200 = 0.1: not > 0.1, not 0 -> 1.0
    assert reward.quality_multiplier == pytest.approx(1.0)
    # 6 tools: +0.15; success 0.9 not > 0.9, not 100 %: 0; recovery: +0.15
    assert reward.learning_bonus == pytest.approx(0.3)
    assert reward.total == pytest.approx(1.0 * efficiency * 1.2 * 1.0 + 0.3, abs=1e-6)


def test_quality_artifacts_and_clamp() -> None:
    outcome = TaskOutcome(
        success=True, artifacts=("src/api.rs", "tests/api_test.rs", "coverage.xml")
    )
    assert quality_multiplier(outcome, (step(),)) == pytest.approx(1.0 + 0.1 + 0.05 + 0.1)
    failing = tuple(step(success=False, n=i) for i in range(5))
    assert quality_multiplier(TaskOutcome(success=False), failing) == pytest.approx(0.8)


def test_learning_bonus_is_capped() -> None:
    steps = (
        step("a", success=False, n=1),
        *(step(t, n=i + 2) for i, t in enumerate("bcdefghijklmnopqrstu")),
    )
    # 21 distinct tools +0.15, 20/21 > 0.9 with >= 5 steps +0.2, recovery +0.15 = 0.5
    assert learning_bonus(steps, 10_000) == pytest.approx(0.5)


def test_max_reward_bound() -> None:
    assert pytest.approx(3.2) == MAX_REWARD


def test_scoring_requires_outcome() -> None:
    ep = Episode(id=uuid.uuid4(), task_description="t", task_type="g", context=TaskContext())
    with pytest.raises(ValueError, match="without an outcome"):
        compute_reward(ep)
