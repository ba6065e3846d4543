"""Hypothesis strategies for the stored models: any value the type allows, not just typical ones.

Unlike :mod:`.factories` (realistic, seeded values), these explore the whole
shape of each model: empty and long text of any script (no lone surrogates,
which are not text), every optional field absent or present, arbitrary JSON
metadata, aware and naive timestamps, ids of any bits, every pattern kind. A
value drawn from them is exactly what a backend must store and give back
unchanged, so they drive the encode → decode round-trip properties.

Floats are finite on purpose: NaN is not equal to itself (a record holding it
could never compare equal after a round trip) and JSON has no infinity.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from memory_core.models import (
    RECORD_SCHEMA_VERSION,
    Episode,
    ExecutionStep,
    Reflection,
    RewardScore,
    TaskContext,
    TaskOutcome,
)
from memory_core.patterns import (
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

__all__ = [
    "contexts",
    "episodes",
    "heuristics",
    "json_values",
    "moments",
    "outcomes",
    "patterns",
    "steps",
    "texts",
    "uuids",
]

#: Any character but a lone surrogate (those cannot be encoded as UTF-8).
_CHARS = st.characters(codec="utf-8")
#: The integers msgpack and JSON both carry exactly.
_INTS = st.integers(-(2**63), 2**64 - 1)
_FLOATS = st.floats(allow_nan=False, allow_infinity=False)


def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text of any script, including empty, whitespace and control characters."""
    return st.text(_CHARS, max_size=max_size)


def uuids() -> st.SearchStrategy[uuid.UUID]:
    """UUIDs of any 128 bits (not only version 4)."""
    return st.integers(0, 2**128 - 1).map(lambda bits: uuid.UUID(int=bits))


def moments() -> st.SearchStrategy[datetime]:
    """Timestamps: UTC, other fixed offsets, and naive, over four centuries."""
    offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
    # Typed Any: hypothesis's stub narrows ``timezones`` to SearchStrategy[None] for mypy.
    zones: Any = st.one_of(st.none(), st.just(UTC), offsets)
    return st.datetimes(
        min_value=datetime(1800, 1, 1), max_value=datetime(2200, 1, 1), timezones=zones
    )


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value: null, bools, 64-bit integers, finite floats, text, lists, objects."""
    leaves = st.none() | st.booleans() | _INTS | _FLOATS | texts(20)
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts(10), inner, max_size=3),
        max_leaves=max_leaves,
    )


def _json_objects() -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(texts(10), json_values(), max_size=4)


def _text_tuples(max_size: int = 3) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(texts(20), max_size=max_size).map(tuple)


def contexts() -> st.SearchStrategy[TaskContext]:
    """Any :class:`TaskContext`."""
    return st.builds(
        TaskContext,
        language=st.none() | texts(20),
        domain=texts(20),
        tags=_text_tuples(),
        framework=st.none() | texts(20),
        complexity=st.sampled_from(["simple", "moderate", "complex"]),
    )


def steps() -> st.SearchStrategy[ExecutionStep]:
    """Any :class:`ExecutionStep`."""
    return st.builds(
        ExecutionStep,
        tool=texts(20),
        action=texts(),
        latency_ms=_INTS,
        tokens=_INTS,
        success=st.booleans(),
        observation=texts(80),
        parameters=st.none() | _json_objects(),
        error=st.none() | texts(),
        timestamp=moments(),
        step_number=_INTS,
    )


def outcomes() -> st.SearchStrategy[TaskOutcome]:
    """Any :class:`TaskOutcome`, with or without an explicit status."""
    return st.builds(
        TaskOutcome,
        success=st.booleans(),
        result=st.none() | texts(),
        error=st.none() | texts(),
        duration_ms=st.none() | _INTS,
        status=st.none() | st.sampled_from(["success", "partial", "failure", "abstained"]),
        artifacts=_text_tuples(),
        completed=_text_tuples(),
        failed=_text_tuples(),
    )


def _rewards() -> st.SearchStrategy[RewardScore]:
    return st.builds(
        RewardScore,
        total=_FLOATS,
        base=_FLOATS,
        efficiency=_FLOATS,
        complexity_bonus=_FLOATS,
        quality_multiplier=_FLOATS,
        learning_bonus=_FLOATS,
    )


def _reflections() -> st.SearchStrategy[Reflection]:
    return st.builds(
        Reflection, successes=_text_tuples(), improvements=_text_tuples(), insights=_text_tuples()
    )


def episodes(max_steps: int = 4) -> st.SearchStrategy[Episode]:
    """Any :class:`Episode` of an older or the current record schema."""
    return st.builds(
        Episode,
        id=uuids(),
        task_description=texts(80),
        task_type=texts(20),
        context=contexts(),
        steps=st.lists(steps(), max_size=max_steps).map(tuple),
        outcome=st.none() | outcomes(),
        reward=st.none() | _rewards(),
        reflection=st.none() | _reflections(),
        pattern_ids=st.lists(uuids(), max_size=3).map(tuple),
        heuristic_ids=st.lists(uuids(), max_size=3).map(tuple),
        tags=_text_tuples(),
        metadata=_json_objects(),
        started_at=moments(),
        completed_at=st.none() | moments(),
        schema_version=st.integers(0, RECORD_SCHEMA_VERSION),
    )


def _effectiveness() -> st.SearchStrategy[Effectiveness]:
    counts = st.integers(0, 2**63 - 1)
    return st.builds(
        Effectiveness,
        times_retrieved=counts,
        times_applied=counts,
        times_helped=counts,
        times_hindered=counts,
        helped_weight=_FLOATS,
        hindered_weight=_FLOATS,
        last_used_at=st.none() | moments(),
    )


def _pattern_fields() -> dict[str, st.SearchStrategy[Any]]:
    return {
        "id": uuids(),
        "context": contexts(),
        "effectiveness": _effectiveness(),
        "keywords": _text_tuples(),
        "created_at": moments(),
        "updated_at": moments(),
        "schema_version": st.integers(0, RECORD_SCHEMA_VERSION),
    }


def patterns() -> st.SearchStrategy[Pattern]:
    """Any :data:`Pattern`: tool sequences, decision points, error recoveries, context patterns."""
    common = _pattern_fields()
    return st.one_of(
        st.builds(
            ToolSequence,
            tools=_text_tuples(5),
            support=_INTS,
            success_rate=_FLOATS,
            avg_latency_ms=_FLOATS,
            contiguous=st.booleans(),
            **common,
        ),
        st.builds(
            DecisionPoint,
            condition=texts(),
            action=texts(),
            outcome_stats=st.builds(OutcomeStats, successes=_INTS, failures=_INTS),
            **common,
        ),
        st.builds(
            ErrorRecovery,
            error_type=texts(),
            recovery_steps=_text_tuples(),
            support=_INTS,
            success_rate=_FLOATS,
            **common,
        ),
        st.builds(
            ContextPattern,
            context_features=_text_tuples(),
            recommended_approach=texts(),
            evidence=st.lists(uuids(), max_size=3).map(tuple),
            success_rate=_FLOATS,
            support=_INTS,
            **common,
        ),
    )


def heuristics() -> st.SearchStrategy[Heuristic]:
    """Any :class:`Heuristic`."""
    return st.builds(
        Heuristic,
        id=uuids(),
        condition=texts(),
        action=texts(),
        confidence=_FLOATS,
        evidence=st.builds(
            HeuristicEvidence,
            episode_ids=st.lists(uuids(), max_size=3).map(tuple),
            successes=_INTS,
            total=_INTS,
        ),
        context=contexts(),
        source=texts(20),
        created_at=moments(),
        updated_at=moments(),
        schema_version=st.integers(0, RECORD_SCHEMA_VERSION),
    )
