"""Retrieval signals other than text: context match, recency and reward.

Each returns a value in [0, 1]; the ranker mixes them with configured weights.
"""

from __future__ import annotations

from datetime import datetime

from ..models import TaskContext
from ..reward import MAX_REWARD

__all__ = ["context_match", "recency", "reward_signal"]

# Domain dominates: a different domain can still rank, but lower.
_DOMAIN = 0.35
_LANGUAGE = 0.25
_FRAMEWORK = 0.10
_TAGS = 0.20
_COMPLEXITY = 0.10


def context_match(query: TaskContext, candidate: TaskContext) -> float:
    """Weighted agreement of two contexts.

    Fields the query leaves unset (language, framework, tags) are left out of
    both the numerator and the denominator, so they neither help nor hurt.
    """
    score = _DOMAIN * (query.domain == candidate.domain)
    total = _DOMAIN
    if query.language:
        total += _LANGUAGE
        score += _LANGUAGE * ((candidate.language or "").lower() == query.language.lower())
    if query.framework:
        total += _FRAMEWORK
        score += _FRAMEWORK * ((candidate.framework or "").lower() == query.framework.lower())
    if query.tags:
        total += _TAGS
        wanted, have = set(query.tags), set(candidate.tags)
        score += _TAGS * len(wanted & have) / len(wanted | have)
    total += _COMPLEXITY
    score += _COMPLEXITY * (query.complexity == candidate.complexity)
    return score / total


def recency(completed_at: datetime, now: datetime, half_life_days: float) -> float:
    """1.0 for now, 0.5 one half-life ago; future timestamps count as now."""
    age_days = max(0.0, (now - completed_at).total_seconds() / 86_400.0)
    return float(0.5 ** (age_days / half_life_days))


def reward_signal(total: float) -> float:
    """The reward total scaled into [0, 1] by the largest reward possible."""
    return max(0.0, min(1.0, total / MAX_REWARD))
