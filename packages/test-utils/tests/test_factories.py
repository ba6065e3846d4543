"""Seeded factories: determinism, validity and overrides."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from memory_core.models import Episode, ExecutionStep, TaskContext, TaskOutcome
from memory_test_utils.assertions import assert_episode_valid
from memory_test_utils.factories import (
    BASE_TIME,
    make_context,
    make_episode,
    make_outcome,
    make_step,
    resolve_rng,
)

FACTORIES = [make_context, make_step, make_outcome, make_episode]


@pytest.mark.parametrize("factory", FACTORIES)
def test_same_seed_same_bytes(factory: object) -> None:
    assert callable(factory)
    first = msgspec.msgpack.encode(factory(7))
    assert first == msgspec.msgpack.encode(factory(7))
    assert first == msgspec.msgpack.encode(factory(random.Random(7)))


@pytest.mark.parametrize("factory", [make_step, make_episode])
def test_different_seeds_differ(factory: object) -> None:
    assert callable(factory)
    assert msgspec.msgpack.encode(factory(1)) != msgspec.msgpack.encode(factory(2))


def test_shared_generator_advances() -> None:
    rng = random.Random(3)
    first, second = make_episode(rng), make_episode(rng)
    assert first.id != second.id
    again = random.Random(3)
    assert make_episode(again) == first
    assert make_episode(again) == second


def test_unseeded_gives_unique_ids() -> None:
    assert len({make_episode().id for _ in range(20)}) == 20


def test_uuid_is_version_4_from_the_seed() -> None:
    episode = make_episode(11)
    assert isinstance(episode.id, uuid.UUID)
    assert episode.id.version == 4


def test_rejects_other_rng_types() -> None:
    with pytest.raises(TypeError, match=r"rng must be"):
        resolve_rng("seed")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        resolve_rng(True)


def test_make_context_is_consistent_and_overridable() -> None:
    context = make_context(5)
    assert isinstance(context, TaskContext)
    assert context.complexity in ("simple", "moderate", "complex")
    web = make_context(5, domain="web", language="rust")
    assert (web.domain, web.language, web.framework) == ("web", "rust", "axum")
    custom = make_context(5, domain="unknown-domain", tags=["x1"])
    assert custom.domain == "unknown-domain"
    assert custom.tags == ("x1",)


def test_make_step_defaults_and_failures() -> None:
    step = make_step(1)
    assert isinstance(step, ExecutionStep)
    assert step.success
    assert step.error is None
    assert step.step_number == 1
    assert step.timestamp >= BASE_TIME
    failed = make_step(1, tool="pytest", success=False)
    assert not failed.success
    assert failed.error
    assert failed.tool == "pytest"
    unknown = make_step(1, tool="my-tool", success=False)
    assert unknown.action == "run my-tool"
    assert unknown.error is not None
    assert "my-tool" in unknown.error
    explicit = make_step(1, success=False, error="boom", step_number=4)
    assert (explicit.error, explicit.step_number) == ("boom", 4)


@pytest.mark.parametrize("status", ["success", "partial", "failure", "abstained"])
def test_make_outcome_statuses(status: str) -> None:
    outcome = make_outcome(2, status=status)
    assert isinstance(outcome, TaskOutcome)
    assert outcome.status == status
    assert outcome.success == (status == "success")
    if status == "partial":
        assert outcome.completed
        assert outcome.failed
    if status == "failure":
        assert outcome.error


def test_make_outcome_success_flag() -> None:
    assert make_outcome(2).status == "success"
    assert make_outcome(2, success=False).status == "failure"
    with pytest.raises(ValueError, match="status must be one of"):
        make_outcome(2, status="done")


@pytest.mark.parametrize("seed", range(20))
def test_make_episode_is_valid(seed: int) -> None:
    episode = make_episode(seed)
    assert isinstance(episode, Episode)
    assert_episode_valid(episode, completed=True)
    assert 3 <= len(episode.steps) <= 10
    assert episode.metadata["agent"].startswith("agent-")


def test_make_episode_options() -> None:
    open_episode = make_episode(4, completed=False, n_steps=2)
    assert_episode_valid(open_episode, completed=False)
    assert len(open_episode.steps) == 2
    assert make_episode(4, n_steps=0).steps == ()
    with pytest.raises(ValueError, match="n_steps"):
        make_episode(4, n_steps=-1)


def test_make_episode_overrides() -> None:
    context = TaskContext(language="rust", domain="web", tags=("api",))
    started = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    steps = (make_step(1, step_number=1, timestamp=started),)
    episode = make_episode(
        9,
        context=context,
        started_at=started,
        steps=steps,
        task_description="Build REST API endpoint",
        metadata={"agent": "me"},
    )
    assert_episode_valid(episode, completed=True)
    assert episode.context is context
    assert episode.steps == steps
    assert episode.task_description == "Build REST API endpoint"
    assert episode.metadata == {"agent": "me"}
    assert episode.started_at == started
    assert episode.context.language == "rust"


def test_generated_steps_follow_the_context() -> None:
    episode = make_episode(3, context=TaskContext(language="swift", domain="mobile"))
    from memory_test_utils.vocabulary import get_domain

    swift = next(s for s in get_domain("mobile").stacks if s.language == "swift")
    assert {step.tool for step in episode.steps} <= set(swift.tools)


def test_episode_round_trips() -> None:
    episode = make_episode(21, n_steps=6)
    for module in (msgspec.msgpack, msgspec.json):
        assert module.decode(module.encode(episode), type=Episode) == episode


def test_memory_core_validation_accepts_factory_output() -> None:
    validation = pytest.importorskip("memory_core.validation")
    config = pytest.importorskip("memory_core.config")
    limits = config.Limits()
    for seed in range(20):
        validation.validate_episode(make_episode(seed), limits)
        validation.validate_episode(make_episode(seed, completed=False), limits)
