"""Retrieval signals other than text: context match, recency and reward.

Each returns a value in [0, 1]; the ranker mixes them with configured weights.
"""

from __future__ import annotations

from datetime import datetime

from ..models import TaskContext
from ..reward import MAX_REWARD

__all__ = ["CONTEXT_WEIGHTS", "context_match", "recency", "reward_signal"]

#: Weights of the context fields. Domain dominates: a different domain can
#: still rank, but lower.
CONTEXT_WEIGHTS = {
    "domain": 0.35,
    "language": 0.25,
    "framework": 0.10,
    "tags": 0.20,
    "complexity": 0.10,
}


def context_match(query: TaskContext, candidate: TaskContext) -> float:
    """Weighted agreement of two contexts.

    Fields the query leaves unset (language, framework, tags) are left out of
    both the numerator and the denominator, so they neither help nor hurt.
    """
    score = CONTEXT_WEIGHTS["domain"] * (query.domain == candidate.domain)
    total = CONTEXT_WEIGHTS["domain"]
    if query.language:
        total += CONTEXT_WEIGHTS["language"]
        score += CONTEXT_WEIGHTS["language"] * (
            (candidate.language or "").lower() == query.language.lower()
        )
    if query.framework:
        total += CONTEXT_WEIGHTS["framework"]
        score += CONTEXT_WEIGHTS["framework"] * (
            (candidate.framework or "").lower() == query.framework.lower()
        )
    if query.tags:
        total += CONTEXT_WEIGHTS["tags"]
        wanted, have = set(query.tags), set(candidate.tags)
        score += CONTEXT_WEIGHTS["tags"] * len(wanted & have) / len(wanted | have)
    total += CONTEXT_WEIGHTS["complexity"]
    score += CONTEXT_WEIGHTS["complexity"] * (query.complexity == candidate.complexity)
    return score / total


def recency(completed_at: datetime, now: datetime, half_life_days: float) -> float:
    """1.0 for now, 0.5 one half-life ago; future timestamps count as now."""
    age_days = max(0.0, (now - completed_at).total_seconds() / 86_400.0)
    return float(0.5 ** (age_days / half_life_days))


def reward_signal(total: float) -> float:
    """The reward total scaled into [0, 1] by the largest reward possible."""
    return max(0.0, min(1.0, total / MAX_REWARD))
