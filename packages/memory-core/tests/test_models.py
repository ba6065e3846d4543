"""Models: exact JSON/msgpack round-trips, normalization, schema versions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memory_core import (
    ContextPattern,
    DecisionPoint,
    Episode,
    ErrorRecovery,
    ExecutionStep,
    Heuristic,
    Pattern,
    Reflection,
    RewardScore,
    TaskContext,
    TaskOutcome,
    ToolSequence,
    ValidationError,
)
from memory_core.codec import (
    decode_episode,
    decode_episode_json,
    decode_heuristic,
    decode_pattern,
    encode_json,
    encode_msgpack,
)

texts = st.text(max_size=50)
ints = st.integers(-(2**63), 2**64 - 1)
when = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def episodes(draw: st.DrawFn) -> Episode:
    steps = tuple(
        ExecutionStep(
            tool=draw(texts),
            action=draw(texts),
            latency_ms=draw(st.integers(0, 10**9)),
            tokens=draw(st.integers(0, 10**9)),
            success=draw(st.booleans()),
            observation=draw(texts),
            parameters=draw(st.none() | st.dictionaries(texts, ints | texts, max_size=3)),
            error=draw(st.none() | texts),
            timestamp=draw(when),
            step_number=i + 1,
        )
        for i in range(draw(st.integers(0, 4)))
    )
    done = draw(st.booleans())
    return Episode(
        id=uuid.UUID(int=draw(st.integers(0, 2**128 - 1))),
        task_description=draw(texts),
        task_type=draw(texts),
        context=TaskContext(
            language=draw(st.none() | texts),
            domain=draw(texts),
            tags=tuple(draw(st.lists(texts, max_size=3))),
            framework=draw(st.none() | texts),
            complexity=draw(st.sampled_from(["simple", "moderate", "complex"])),
        ),
        steps=steps,
        outcome=TaskOutcome(
            success=draw(st.booleans()),
            result=draw(st.none() | texts),
            duration_ms=draw(st.none() | st.integers(0, 10**9)),
            artifacts=tuple(draw(st.lists(texts, max_size=2))),
        )
        if done
        else None,
        reward=RewardScore(
            total=draw(st.floats(0, 4)),
            base=1.0,
            efficiency=1.0,
            complexity_bonus=1.1,
            quality_multiplier=1.0,
            learning_bonus=0.1,
        )
        if done
        else None,
        reflection=Reflection(successes=(draw(texts),)) if done else None,
        pattern_ids=(uuid.UUID(int=7),),
        tags=tuple(draw(st.lists(texts, max_size=3))),
        metadata=draw(st.dictionaries(texts, ints | texts | st.booleans(), max_size=3)),
        started_at=draw(when),
        completed_at=draw(when) if done else None,
    )


@settings(max_examples=200)
@given(episodes())
def test_episode_round_trips_exactly(episode: Episode) -> None:
    packed = encode_msgpack(episode)
    assert decode_episode(packed) == episode
    assert encode_msgpack(decode_episode(packed)) == packed
    as_json = encode_json(episode)
    assert decode_episode_json(as_json) == episode
    assert encode_json(decode_episode_json(as_json)) == as_json


def test_lists_become_tuples_and_status_defaults() -> None:
    context = TaskContext(language="rust", domain="web", tags=["api"])
    assert context.tags == ("api",)
    assert TaskOutcome(success=True).status == "success"
    assert TaskOutcome(success=False).status == "failure"
    assert TaskOutcome(success=False, status="abstained").status == "abstained"
    assert TaskOutcome(success=True, artifacts=["a"]).artifacts == ("a",)


def test_step_timestamp_is_aware_utc() -> None:
    step = ExecutionStep(tool="rustc", action="compile")
    assert step.timestamp.tzinfo is not None
    assert step.step_number == 0


def test_patterns_round_trip_as_tagged_union() -> None:
    ctx = TaskContext(domain="web")
    patterns: list[Pattern] = [
        ToolSequence(
            id=uuid.uuid4(),
            context=ctx,
            tools=("a", "b"),
            support=3,
            success_rate=1.0,
            avg_latency_ms=2.5,
        ),
        DecisionPoint(id=uuid.uuid4(), context=ctx, condition="tests fail", action="rerun"),
        ErrorRecovery(
            id=uuid.uuid4(),
            context=ctx,
            error_type="timeout after <n> ms",
            recovery_steps=("retry",),
            support=2,
            success_rate=0.5,
        ),
        ContextPattern(
            id=uuid.uuid4(),
            context=ctx,
            context_features=("lang:rust",),
            recommended_approach="cargo -> rustc",
        ),
    ]
    for pattern in patterns:
        assert decode_pattern(encode_msgpack(pattern)) == pattern
        assert msgspec.json.decode(encode_json(pattern), type=Pattern) == pattern
    kinds = [msgspec.to_builtins(p)["type"] for p in patterns]
    assert kinds == ["tool_sequence", "decision_point", "error_recovery", "context_pattern"]
    heuristic = Heuristic(id=uuid.uuid4(), condition="c", action="a", confidence=0.4)
    assert decode_heuristic(encode_msgpack(heuristic)) == heuristic


def test_newer_schema_is_refused_with_clear_error() -> None:
    episode = Episode(
        id=uuid.uuid4(),
        task_description="t",
        task_type="g",
        context=TaskContext(),
        schema_version=99,
    )
    with pytest.raises(ValidationError, match="schema_version 99"):
        decode_episode(encode_msgpack(episode))


def test_garbage_bytes_raise_validation_error() -> None:
    with pytest.raises(ValidationError, match="cannot decode episode"):
        decode_episode(b"\x93not an episode")
    with pytest.raises(ValidationError):
        decode_episode_json('{"id": "not-a-uuid"}')


def test_duration_prefers_outcome_then_wall_time() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    base = Episode(
        id=uuid.uuid4(),
        task_description="t",
        task_type="g",
        context=TaskContext(),
        started_at=start,
    )
    assert base.duration_ms is None
    done = msgspec.structs.replace(
        base, outcome=TaskOutcome(success=True), completed_at=start.replace(second=3)
    )
    assert done.duration_ms == 3000
    timed = msgspec.structs.replace(done, outcome=TaskOutcome(success=True, duration_ms=42))
    assert timed.duration_ms == 42
