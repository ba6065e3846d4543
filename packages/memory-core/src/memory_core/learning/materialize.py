"""Turn aggregated statistics into Pattern and Heuristic records.

Ids are derived from canonical keys (uuid5), so re-mining the same store gives
the same ids and effectiveness history stays attached to its pattern.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from functools import lru_cache

from ..models import TaskContext
from ..patterns import (
    ContextPattern,
    DecisionPoint,
    Effectiveness,
    ErrorRecovery,
    Heuristic,
    HeuristicEvidence,
    OutcomeStats,
    Pattern,
    ToolSequence,
)
from .aggregate import ContextStat, DecisionStat, ErrorStat, PatternKey, SequenceStat
from .confidence import wilson_lower_bound

__all__ = [
    "context_heuristic",
    "context_pattern",
    "decision_heuristic",
    "decision_pattern",
    "error_heuristic",
    "error_pattern",
    "pattern_id",
    "sequence_pattern",
]

_NAMESPACE = uuid.UUID("6b1f3c52-8f0e-4d8e-9a57-3c1d2e4f5a60")
_KEYWORDS = 12


@lru_cache(maxsize=1 << 18)
def pattern_id(kind: str, *parts: str) -> uuid.UUID:
    """Deterministic id of a pattern or heuristic from its canonical key."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join((kind, *parts)))


def _dominant(counts: Counter[str]) -> str:
    best = [(n, name) for name, n in counts.items() if n > 0]
    return min(best, key=lambda item: (-item[0], item[1]))[1] if best else "general"


def _keywords(counts: Counter[str]) -> tuple[str, ...]:
    ranked = sorted(((n, w) for w, n in counts.items() if n > 0), key=lambda x: (-x[0], x[1]))
    return tuple(word for _, word in ranked[:_KEYWORDS])


def sequence_pattern(
    tools: tuple[str, ...],
    stat: SequenceStat,
    effectiveness: Effectiveness,
    now: datetime,
    created_at: datetime,
) -> ToolSequence:
    """A contiguous tool sequence with its support, success rate and mean latency."""
    return ToolSequence(
        id=pattern_id("tool_sequence", "contiguous", *tools),
        context=TaskContext(domain=_dominant(stat.domains)),
        effectiveness=effectiveness,
        keywords=tools,
        created_at=created_at,
        updated_at=now,
        tools=tools,
        support=stat.support,
        success_rate=stat.successes / stat.support,
        avg_latency_ms=stat.latency_sum / stat.support,
        contiguous=True,
    )


def decision_pattern(
    key: tuple[str, str],
    stat: DecisionStat,
    effectiveness: Effectiveness,
    now: datetime,
    created_at: datetime,
) -> DecisionPoint:
    """A check and the action taken after it, with episode outcomes."""
    condition, action = key
    return DecisionPoint(
        id=pattern_id("decision_point", condition, action),
        context=TaskContext(domain=_dominant(stat.domains)),
        effectiveness=effectiveness,
        keywords=_keywords(stat.keywords),
        created_at=created_at,
        updated_at=now,
        condition=condition,
        action=action,
        outcome_stats=OutcomeStats(
            successes=stat.successes, failures=stat.support - stat.successes
        ),
    )


def _route(stat: ErrorStat) -> tuple[str, ...]:
    route: tuple[str, ...] | None = stat.routes.mode()
    return route or ()


def error_pattern(
    error_class: str,
    stat: ErrorStat,
    effectiveness: Effectiveness,
    now: datetime,
    created_at: datetime,
) -> ErrorRecovery:
    """A normalized error class, its usual recovery and how often recovery followed."""
    return ErrorRecovery(
        id=pattern_id("error_recovery", error_class),
        context=TaskContext(domain=_dominant(stat.domains)),
        effectiveness=effectiveness,
        keywords=_keywords(stat.keywords),
        created_at=created_at,
        updated_at=now,
        error_type=error_class,
        recovery_steps=_route(stat),
        support=stat.support,
        success_rate=stat.recovered / stat.support,
    )


def _context_of(features: tuple[str, ...]) -> TaskContext:
    fields = dict(feature.split("=", 1) for feature in features)
    return TaskContext(
        domain=fields.get("domain", "general"),
        language=fields.get("language"),
        framework=fields.get("framework"),
    )


def _approach(stat: ContextStat) -> str:
    approach: str | None = stat.approaches.mode()
    return approach or ""


def context_pattern(
    features: tuple[str, ...],
    stat: ContextStat,
    effectiveness: Effectiveness,
    now: datetime,
    created_at: datetime,
) -> ContextPattern:
    """Context features mapped to the approach that most often succeeded under them."""
    return ContextPattern(
        id=pattern_id("context_pattern", *features),
        context=_context_of(features),
        effectiveness=effectiveness,
        keywords=_keywords(stat.keywords),
        created_at=created_at,
        updated_at=now,
        context_features=features,
        recommended_approach=_approach(stat),
        evidence=tuple(e for e in stat.evidence if isinstance(e, uuid.UUID)),
        success_rate=stat.successes / stat.support,
        support=stat.support,
    )


def _evidence(stat: DecisionStat | ErrorStat | ContextStat, successes: int) -> HeuristicEvidence:
    ids = tuple(e for e in stat.evidence if isinstance(e, uuid.UUID))
    return HeuristicEvidence(episode_ids=ids, successes=successes, total=stat.support)


def error_heuristic(
    error_class: str, stat: ErrorStat, z: float, now: datetime, created_at: datetime
) -> Heuristic | None:
    """ "When this error class appears, recover this way" — confidence from recovery rate."""
    route = _route(stat)
    if not route:
        return None
    return Heuristic(
        id=pattern_id("heuristic", "error", error_class),
        condition=f"a step fails with: {error_class}",
        action="recover with " + " -> ".join(route),
        confidence=wilson_lower_bound(stat.recovered, stat.support, z),
        evidence=_evidence(stat, stat.recovered),
        context=TaskContext(domain=_dominant(stat.domains)),
        created_at=created_at,
        updated_at=now,
        source="error_recovery",
    )


def decision_heuristic(
    key: tuple[str, str], stat: DecisionStat, z: float, now: datetime, created_at: datetime
) -> Heuristic:
    """ "After this check, do that" — confidence from the episodes' success rate."""
    condition, action = key
    return Heuristic(
        id=pattern_id("heuristic", "decision", condition, action),
        condition=condition,
        action=action,
        confidence=wilson_lower_bound(stat.successes, stat.support, z),
        evidence=_evidence(stat, stat.successes),
        context=TaskContext(domain=_dominant(stat.domains)),
        created_at=created_at,
        updated_at=now,
        source="decision_point",
    )


def context_heuristic(
    features: tuple[str, ...], stat: ContextStat, z: float, now: datetime, created_at: datetime
) -> Heuristic | None:
    """ "In this context, this approach works" — confidence from the context's success rate."""
    approach = _approach(stat)
    if not approach:
        return None
    return Heuristic(
        id=pattern_id("heuristic", "context", *features),
        condition="task context " + ", ".join(features),
        action="use " + approach,
        confidence=wilson_lower_bound(stat.successes, stat.support, z),
        evidence=_evidence(stat, stat.successes),
        context=_context_of(features),
        created_at=created_at,
        updated_at=now,
        source="context_pattern",
    )


def materialize_pattern(
    key: PatternKey,
    source: object,
    effectiveness: Effectiveness,
    now: datetime,
    created_at: datetime,
) -> Pattern:
    """Dispatch on the aggregate kind of ``key`` (see :meth:`Aggregates.apply`)."""
    kind, canonical = key
    if kind == "seq":
        assert isinstance(source, SequenceStat)
        return sequence_pattern(canonical, source, effectiveness, now, created_at)
    if kind == "decision":
        assert isinstance(source, DecisionStat)
        return decision_pattern(canonical, source, effectiveness, now, created_at)
    if kind == "error":
        assert isinstance(source, ErrorStat)
        return error_pattern(canonical, source, effectiveness, now, created_at)
    assert isinstance(source, ContextStat)
    return context_pattern(canonical, source, effectiveness, now, created_at)
