"""Ranking patterns and heuristics for a task, with explainable signals.

Signals, each in [0, 1]:

- ``context``: how well the pattern's context matches the task's;
- ``relevance``: overlap of the task's words with the pattern's words
  (tools, error class, check/action text, keywords of its episodes);
- ``quality``: Wilson lower bound of the pattern's success rate given its support;
- ``effectiveness``: decayed share of "helped" feedback (0.5 without feedback).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime

from ..models import TaskContext
from ..patterns import (
    DecisionPoint,
    ErrorRecovery,
    Heuristic,
    Pattern,
    PatternMatch,
    ToolSequence,
)
from ..retrieval.signals import context_match
from ..text import tokenize
from .confidence import effectiveness_score, wilson_lower_bound

__all__ = [
    "PATTERN_SIGNALS",
    "pattern_quality",
    "pattern_tokens",
    "rank_heuristics",
    "rank_patterns",
]

PATTERN_SIGNALS = ("context", "relevance", "quality", "effectiveness")


def pattern_tokens(pattern: Pattern) -> frozenset[str]:
    """The words a pattern is about."""
    parts = list(pattern.keywords)
    if isinstance(pattern, ToolSequence):
        parts.extend(pattern.tools)
    elif isinstance(pattern, DecisionPoint):
        parts.extend((pattern.condition, pattern.action))
    elif isinstance(pattern, ErrorRecovery):
        parts.extend((pattern.error_type, *pattern.recovery_steps))
    else:
        parts.extend((*pattern.context_features, pattern.recommended_approach))
    return frozenset(tokenize(" ".join(parts)))


def pattern_quality(pattern: Pattern, z: float) -> float:
    """Wilson lower bound of the pattern's success rate over its supporting episodes."""
    if isinstance(pattern, DecisionPoint):
        stats = pattern.outcome_stats
        return wilson_lower_bound(stats.successes, stats.total, z)
    support = pattern.support
    return wilson_lower_bound(pattern.success_rate * support, support, z)


def _overlap(query: frozenset[str], tokens: frozenset[str]) -> float:
    if not query or not tokens:
        return 0.0
    return len(query & tokens) / math.sqrt(len(query) * len(tokens))


def rank_patterns(
    patterns: Iterable[tuple[Pattern, frozenset[str]]],
    *,
    query_tokens: frozenset[str],
    context: TaskContext,
    weights: Mapping[str, float],
    now: datetime,
    half_life_days: float,
    z: float,
    limit: int,
) -> list[PatternMatch]:
    """The ``limit`` best patterns, best first (ties broken by id)."""
    total_weight = sum(weights.values())
    scored: list[tuple[float, bytes, Pattern, dict[str, float]]] = []
    for pattern, tokens in patterns:
        breakdown = {
            "context": context_match(context, pattern.context),
            "relevance": _overlap(query_tokens, tokens),
            "quality": pattern_quality(pattern, z),
            "effectiveness": effectiveness_score(pattern.effectiveness, now, half_life_days),
        }
        score = sum(weights[name] * breakdown[name] for name in PATTERN_SIGNALS) / total_weight
        scored.append((score, pattern.id.bytes, pattern, breakdown))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        PatternMatch(pattern=pattern, score=score, breakdown=breakdown)
        for score, _, pattern, breakdown in scored[:limit]
    ]


def rank_heuristics(
    heuristics: Iterable[Heuristic], context: TaskContext, limit: int
) -> list[Heuristic]:
    """Heuristics that apply to ``context`` and are most trustworthy, best first."""
    ranked = sorted(
        heuristics,
        key=lambda h: (-(0.5 * context_match(context, h.context) + 0.5 * h.confidence), h.id.bytes),
    )
    return ranked[:limit]
