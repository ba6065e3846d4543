"""The episode assertions: generated episodes pass, and each broken rule is named."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest

from memory_core.models import Episode, ExecutionStep, TaskContext, TaskOutcome
from memory_test_utils.assertions import assert_episode_valid, assert_tags_valid
from memory_test_utils.factories import make_episode

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _step(number: int, **changes: Any) -> ExecutionStep:
    values: dict[str, Any] = {
        "tool": "shell",
        "action": "run",
        "timestamp": START + timedelta(seconds=number),
        "step_number": number,
    }
    values.update(changes)
    return ExecutionStep(**values)


def _episode(**changes: Any) -> Episode:
    values: dict[str, Any] = {
        "id": uuid.UUID(int=7),
        "task_description": "fix the flaky login test",
        "task_type": "debugging",
        "context": TaskContext(domain="web", tags=("auth",)),
        "steps": (_step(1), _step(2)),
        "started_at": START,
        "outcome": TaskOutcome(success=True, duration_ms=10),
        "completed_at": START + timedelta(seconds=5),
    }
    values.update(changes)
    return Episode(**values)


def test_generated_episodes_are_valid() -> None:
    rng = random.Random(3)
    for _ in range(20):
        assert_episode_valid(make_episode(rng), completed=True)
        assert_episode_valid(make_episode(rng, completed=False), completed=False)
    assert_episode_valid(_episode())


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"task_description": ""}, "task_description must hold 1-10000 characters"),
        ({"task_description": "x" * 10_001}, "task_description must hold"),
        ({"task_type": ""}, "task_type is empty"),
        ({"started_at": datetime(2025, 3, 1, 12)}, "started_at .* is not timezone-aware UTC"),
        (
            {"started_at": START.astimezone(timezone(timedelta(hours=2)))},
            "started_at .* is not timezone-aware UTC",
        ),
        ({"tags": ("Upper",)}, "tag 'Upper' is not 2-100 characters"),
        ({"context": TaskContext(tags=("x",))}, "tag 'x' is not"),
        ({"steps": (_step(1), _step(3))}, "step 2 is numbered 3"),
        (
            {"steps": (_step(1), _step(2, timestamp=START - timedelta(seconds=1)))},
            "step 2 timestamp .* is out of order",
        ),
        ({"steps": (_step(1, observation="o" * 10_001),)}, "step 1 observation or error exceeds"),
        ({"steps": (_step(1, latency_ms=-1),)}, "step 1 has a negative latency"),
        ({"steps": (_step(1, tokens=-5),)}, "step 1 has a negative latency or token count"),
        ({"steps": (_step(1, success=False),)}, "step 1: success=False but error=None"),
        ({"steps": (_step(1, error="boom"),)}, "step 1: success=True but error='boom'"),
        ({"completed_at": None}, "outcome and completed_at must be both set or both empty"),
        ({"outcome": None}, "outcome and completed_at must be both set or both empty"),
        ({"completed_at": START}, "completed_at .* precedes a step or started_at"),
        (
            {"outcome": TaskOutcome(success=True, status="partial")},
            "outcome success=True but status=partial",
        ),
        (
            {"outcome": TaskOutcome(success=True, duration_ms=-3)},
            "outcome duration_ms -3 is negative",
        ),
    ],
)
def test_each_broken_rule_is_reported(changes: dict[str, Any], problem: str) -> None:
    episode = _episode(**changes)
    with pytest.raises(AssertionError, match=f"^episode {episode.id}: {problem}"):
        assert_episode_valid(episode)


def test_too_many_steps_are_reported() -> None:
    steps = tuple(_step(n, timestamp=START) for n in range(1, 1002))
    with pytest.raises(AssertionError, match="has 1001 steps; the limit is 1000"):
        assert_episode_valid(_episode(steps=steps, completed_at=START))


def test_completed_flag_must_match_the_outcome() -> None:
    done = _episode()
    running = _episode(outcome=None, completed_at=None)
    assert_episode_valid(done, completed=True)
    assert_episode_valid(running, completed=False)
    with pytest.raises(AssertionError, match="is completed"):
        assert_episode_valid(done, completed=False)
    with pytest.raises(AssertionError, match="is not completed"):
        assert_episode_valid(running, completed=True)


def test_tags_alone() -> None:
    assert_tags_valid(("ok", "a-b_1", "x" * 100))
    with pytest.raises(AssertionError, match=r"^has 33 tags; the limit is 32$"):
        assert_tags_valid(tuple(f"t{n}" for n in range(33)))
    with pytest.raises(AssertionError, match=r"^tag 'y{101}' is not"):
        assert_tags_valid(("y" * 101,))
    episode = msgspec.structs.replace(_episode(), tags=("bad tag",))
    with pytest.raises(AssertionError, match=f"^episode {episode.id}: tag 'bad tag'"):
        assert_tags_valid(episode.tags, episode)
