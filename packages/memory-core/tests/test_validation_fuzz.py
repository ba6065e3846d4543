"""Fuzzing validation: any input is either normalized (idempotently) or a ValidationError.

Inputs mix well-formed values with everything an untrusted caller can send:
control characters, NUL, lone surrogates, blank and oversized text, negative and
huge numbers, naive timestamps, wrong types in every field (models do not check
types at construction), non-finite numbers and non-string keys in JSON, and
inconsistent outcome states. Small limits make every bound reachable.

Properties: a ``validate_*`` call returns a value that validates again to an
equal value, or raises :class:`ValidationError` whose ``field`` names an input;
nothing else ever escapes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory_core.codec import decode_episode, encode_msgpack
from memory_core.config import Limits
from memory_core.errors import ValidationError
from memory_core.models import Episode, ExecutionStep, TaskContext, TaskOutcome
from memory_core.validation import (
    normalize_tags,
    validate_context,
    validate_episode,
    validate_episode_id,
    validate_episode_query,
    validate_metadata,
    validate_outcome,
    validate_step,
)
from memory_test_utils import make_episode
from memory_test_utils.strategies import episodes as well_formed_episodes

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LIMITS = Limits(
    max_task_description_chars=60,
    max_steps_per_episode=3,
    max_observation_chars=60,
    max_error_chars=40,
    max_result_chars=40,
    max_short_text_chars=12,
    max_action_chars=20,
    max_parameters_bytes=120,
    max_metadata_bytes=120,
    max_episode_bytes=4000,
    max_tags=3,
    max_tag_chars=8,
    max_artifacts=2,
    max_limit=50,
    max_latency_ms=10_000,
    max_tokens=10_000,
)

#: Text that stresses every text rule: controls, NUL, surrogates, whitespace, case.
_nasty_chars = st.sampled_from(["\x00", "\x01", "\x1b", "\x7f", "\t", "\n", "\r", "\ud800", " "])
nasty_text = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(codec="ascii"), max_size=15),
    st.lists(st.text(max_size=4) | _nasty_chars, max_size=8).map("".join),
)
wrong = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.binary(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.just(object()),
)
numbers = st.integers(-(2**70), 2**70) | wrong
_zones: Any = st.sampled_from([None, UTC, timezone(timedelta(hours=-5))])
when = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=_zones
)
json_junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | nasty_text
    | st.binary(max_size=4)
    | st.just(object()),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(nasty_text | st.integers(), inner, max_size=3)
        | st.sets(st.integers(), max_size=2)
    ),
    max_leaves=6,
)
tag_lists = st.lists(nasty_text | st.sampled_from(["api", "Web", " db "]), max_size=5) | wrong


def _maybe(good: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a plausible value, sometimes one of the wrong type."""
    return st.one_of(good, good, wrong)


contexts = st.builds(
    TaskContext,
    language=_maybe(st.none() | nasty_text),
    domain=_maybe(nasty_text | st.just("web")),
    tags=tag_lists,
    framework=_maybe(st.none() | nasty_text),
    complexity=_maybe(st.sampled_from(["simple", "moderate", "complex", "hard"])),
)
steps = st.builds(
    ExecutionStep,
    tool=_maybe(nasty_text | st.just("git")),
    action=_maybe(nasty_text),
    latency_ms=numbers,
    tokens=numbers,
    success=st.booleans() | wrong,
    observation=_maybe(nasty_text),
    parameters=st.none() | st.dictionaries(nasty_text, json_junk, max_size=3) | wrong,
    error=_maybe(st.none() | nasty_text),
    timestamp=_maybe(when),
    step_number=st.integers(-1, 4) | wrong,
)
outcomes = st.builds(
    TaskOutcome,
    success=st.booleans() | wrong,
    result=_maybe(st.none() | nasty_text),
    error=_maybe(st.none() | nasty_text),
    duration_ms=st.none() | numbers,
    status=st.none() | st.sampled_from(["success", "partial", "failure", "abstained", "?"]),
    artifacts=st.lists(nasty_text, max_size=3) | wrong,
    completed=st.lists(nasty_text, max_size=3) | wrong,
    failed=st.lists(nasty_text, max_size=3) | wrong,
)
untrusted_episodes = st.builds(
    Episode,
    id=_maybe(st.uuids() | st.uuids().map(str) | nasty_text),
    task_description=_maybe(nasty_text | st.just("fix the build")),
    task_type=_maybe(nasty_text | st.just("debugging")),
    context=_maybe(contexts),
    steps=st.lists(_maybe(steps), max_size=4).map(tuple),
    outcome=st.none() | _maybe(outcomes),
    tags=tag_lists,
    metadata=st.none() | st.dictionaries(nasty_text, json_junk, max_size=3) | wrong,
    started_at=_maybe(when),
    completed_at=st.none() | _maybe(when),
    # reward, reflection, pattern_ids, heuristic_ids and schema_version are not checked by
    # validate_episode at all: see test_unchecked_fields_cannot_poison_the_store below.
)


def _check(validate: Callable[[Any], Any], value: Any) -> None:
    """Either a ValidationError naming a field, or a normalized value that is a fixed point."""
    try:
        normalized = validate(value)
    except ValidationError as exc:
        field = exc.field
    else:
        assert validate(normalized) == normalized
        return
    assert isinstance(field, str)
    assert field, "a ValidationError must name the field"


@FUZZ
@given(untrusted_episodes | well_formed_episodes())
def test_validate_episode_normalizes_idempotently_or_names_the_field(episode: Episode) -> None:
    _check(lambda value: validate_episode(value, LIMITS), episode)


@FUZZ
@given(_maybe(steps))
def test_validate_step(step: Any) -> None:
    _check(lambda value: validate_step(value, LIMITS), step)


@FUZZ
@given(_maybe(contexts))
def test_validate_context(context: Any) -> None:
    _check(lambda value: validate_context(value, LIMITS), context)


@FUZZ
@given(_maybe(outcomes))
def test_validate_outcome(outcome: Any) -> None:
    _check(lambda value: validate_outcome(value, LIMITS), outcome)


@FUZZ
@given(st.none() | st.dictionaries(nasty_text, json_junk, max_size=4) | wrong)
def test_validate_metadata(metadata: Any) -> None:
    _check(lambda value: validate_metadata(value, LIMITS), metadata)


@FUZZ
@given(tag_lists | nasty_text)
def test_normalize_tags(tags: Any) -> None:
    _check(lambda value: normalize_tags(value, LIMITS), tags)


@FUZZ
@given(st.uuids() | st.uuids().map(str) | nasty_text | wrong)
def test_validate_episode_id(value: Any) -> None:
    _check(validate_episode_id, value)
    if isinstance(value, uuid.UUID):
        assert validate_episode_id(value) == value


@FUZZ
@given(
    domain=st.none() | _maybe(nasty_text),
    tags=tag_lists,
    outcome=st.none() | st.sampled_from(["success", "partial", "x"]) | wrong,
    since=st.none() | _maybe(when),
    limit=numbers,
    offset=numbers,
)
def test_validate_episode_query(**arguments: Any) -> None:
    try:
        query = validate_episode_query(LIMITS, **arguments)
    except ValidationError as exc:
        field = exc.field
        assert field
        return
    again = validate_episode_query(
        LIMITS,
        domain=query.domain,
        tags=query.tags,
        outcome=query.outcome,
        since=query.since,
        limit=query.limit,
        offset=query.offset,
    )
    assert again == query


@pytest.mark.parametrize(
    "change",
    [
        {"reward": object()},
        {"heuristic_ids": (object(),)},
        {"reflection": "not a reflection"},
        {"pattern_ids": (1,)},
        {"schema_version": "1"},
        {"schema_version": 99},
    ],
    ids=["reward", "heuristic_ids", "reflection", "pattern_ids", "schema_type", "schema_newer"],
)
def test_unchecked_fields_cannot_poison_the_store(change: dict[str, Any]) -> None:
    # Found by this fuzzing: a TypeError escaped, or the episode passed validation, was
    # stored, and every later read of it failed. Now refused with the field named.
    valid = validate_episode(make_episode(21), Limits())
    assert decode_episode(encode_msgpack(valid)) == valid
    episode = msgspec.structs.replace(valid, **change)
    with pytest.raises(ValidationError) as caught:
        validate_episode(episode, Limits())
    assert caught.value.field == f"episode.{next(iter(change))}"
