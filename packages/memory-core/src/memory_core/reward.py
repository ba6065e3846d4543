"""Reward of a completed episode, exactly as the original project defines it.

``total = max(0, base) × efficiency × complexity_bonus × quality_multiplier + learning_bonus``

- base: success 1.0; partial ``completed / (completed + failed)`` sub-goals
  (0.5 when unknown); failure 0.0; abstained 0.3.
- efficiency = clamp(0.5·d + 0.5·s, 0.5, 1.5) where
  d = 0.5 + exp(−(duration_s / 60) / 2) (1.0 without a duration) and
  s = 0.5 + exp(−(steps / 10) / 2) (0.5 with zero steps).
- complexity_bonus: simple 1.0, moderate 1.1, complex 1.2.
- quality_multiplier: 1.0, then step error rate > 0.3 → −0.2, > 0.1 → −0.1,
  = 0 → +0.1 (only with at least one step); on success an artifact mentioning
  tests or coverage → +0.1 and ≥ 3 artifacts → +0.05; clamped to [0.5, 1.5].
- learning_bonus (capped at 0.5): with ≥ 3 steps, ≥ 5 distinct tools → +0.15
  or ≥ 3 → +0.1; step success rate > 0.9 with ≥ 5 steps → +0.2, else 100 %
  with ≥ 3 steps → +0.15; a failed step followed by a successful one → +0.15;
  duration < 30 s with 0 < steps < 10 → +0.1.

The duration is ``TaskOutcome.duration_ms`` when given, else the episode's wall time.
"""

from __future__ import annotations

import itertools
import math

from .models import Episode, ExecutionStep, RewardScore, TaskOutcome

__all__ = [
    "MAX_REWARD",
    "base_reward",
    "complexity_bonus",
    "compute_reward",
    "efficiency_multiplier",
    "learning_bonus",
    "quality_multiplier",
]

_MIN_MULTIPLIER = 0.5
_MAX_MULTIPLIER = 1.5
_COMPLEXITY_BONUS = {"simple": 1.0, "moderate": 1.1, "complex": 1.2}
_BASE_BY_STATUS = {"success": 1.0, "failure": 0.0, "abstained": 0.3}

#: Largest total any episode can reach (1.0 × 1.5 × 1.2 × 1.5 + 0.5); used to
#: scale the reward into [0, 1] for retrieval.
MAX_REWARD = 1.0 * _MAX_MULTIPLIER * 1.2 * _MAX_MULTIPLIER + 0.5


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def base_reward(outcome: TaskOutcome) -> float:
    """Base reward from the outcome's status."""
    if outcome.status == "partial":
        total = len(outcome.completed) + len(outcome.failed)
        return 0.5 if total == 0 else len(outcome.completed) / total
    return _BASE_BY_STATUS[outcome.status or ("success" if outcome.success else "failure")]


def efficiency_multiplier(duration_ms: int | None, step_count: int) -> float:
    """Shorter and fewer-step episodes score higher, within [0.5, 1.5]."""
    if duration_ms is None:
        duration_score = 1.0
    else:
        duration_s = max(0.0, duration_ms / 1000.0)
        duration_score = _MIN_MULTIPLIER + math.exp(-(duration_s / 60.0) / 2.0)
    if step_count == 0:
        step_score = _MIN_MULTIPLIER
    else:
        step_score = _MIN_MULTIPLIER + math.exp(-(step_count / 10.0) / 2.0)
    return _clamp(0.5 * duration_score + 0.5 * step_score, _MIN_MULTIPLIER, _MAX_MULTIPLIER)


def complexity_bonus(complexity: str) -> float:
    """Harder tasks earn more: simple 1.0, moderate 1.1, complex 1.2."""
    return _COMPLEXITY_BONUS[complexity]


def quality_multiplier(outcome: TaskOutcome, steps: tuple[ExecutionStep, ...]) -> float:
    """Step error rate and (on success) test/coverage artifacts, within [0.5, 1.5]."""
    quality = 1.0
    if outcome.success:
        artifacts = [artifact.lower() for artifact in outcome.artifacts]
        if any("test" in artifact or "coverage" in artifact for artifact in artifacts):
            quality += 0.1
        if len(artifacts) >= 3:
            quality += 0.05
    if steps:
        error_rate = sum(1 for step in steps if not step.success) / len(steps)
        if error_rate > 0.3:
            quality -= 0.2
        elif error_rate > 0.1:
            quality -= 0.1
        elif error_rate == 0.0:
            quality += 0.1
    return _clamp(quality, _MIN_MULTIPLIER, _MAX_MULTIPLIER)


def learning_bonus(steps: tuple[ExecutionStep, ...], duration_ms: int | None) -> float:
    """Bonus for diverse tools, reliable steps, recoveries and quick solves (cap 0.5)."""
    bonus = 0.0
    count = len(steps)
    if count >= 3:
        distinct_tools = len({step.tool for step in steps})
        if distinct_tools >= 5:
            bonus += 0.15
        elif distinct_tools >= 3:
            bonus += 0.1
    if count:
        success_rate = sum(1 for step in steps if step.success) / count
        if success_rate > 0.9 and count >= 5:
            bonus += 0.2
        elif success_rate == 1.0 and count >= 3:
            bonus += 0.15
    if any(not a.success and b.success for a, b in itertools.pairwise(steps)):
        bonus += 0.15
    if duration_ms is not None and duration_ms / 1000.0 < 30.0 and 0 < count < 10:
        bonus += 0.1
    return min(bonus, 0.5)


def compute_reward(episode: Episode) -> RewardScore:
    """Score a completed episode; raises ValueError if it has no outcome."""
    outcome = episode.outcome
    if outcome is None:
        raise ValueError("cannot score an episode without an outcome")
    duration = episode.duration_ms
    base = base_reward(outcome)
    efficiency = efficiency_multiplier(duration, len(episode.steps))
    complexity = complexity_bonus(episode.context.complexity)
    quality = quality_multiplier(outcome, episode.steps)
    bonus = learning_bonus(episode.steps, duration)
    total = max(0.0, base) * efficiency * complexity * quality + bonus
    return RewardScore(
        total=total,
        base=base,
        efficiency=efficiency,
        complexity_bonus=complexity,
        quality_multiplier=quality,
        learning_bonus=bonus,
    )
