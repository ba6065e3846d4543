"""Assertions about generated (or stored) episodes, for tests of any package.

They raise :class:`AssertionError` with a message naming the episode and the rule, and do
not rely on ``assert`` statements (so they hold under ``python -O`` too).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from memory_core.models import Episode

__all__ = ["assert_episode_valid", "assert_tags_valid"]

_TAG = re.compile(r"[a-z0-9_-]{2,100}")
_MAX_TAGS = 32
_MAX_TEXT = 10_000
_MAX_STEPS = 1_000


def _fail(episode: Episode | None, problem: str) -> AssertionError:
    where = f"episode {episode.id}: " if episode is not None else ""
    return AssertionError(where + problem)


def _utc(value: datetime) -> bool:
    return value.tzinfo is not None and value.utcoffset() == timedelta(0)


def assert_tags_valid(tags: tuple[str, ...], episode: Episode | None = None) -> None:
    """At most 32 tags, each of 2-100 characters from ``[a-z0-9_-]``."""
    if len(tags) > _MAX_TAGS:
        raise _fail(episode, f"has {len(tags)} tags; the limit is {_MAX_TAGS}")
    for tag in tags:
        if not _TAG.fullmatch(tag):
            raise _fail(episode, f"tag {tag!r} is not 2-100 characters of [a-z0-9_-]")


def assert_episode_valid(episode: Episode, *, completed: bool | None = None) -> None:
    """Check the structural rules of the episodes this package generates.

    Steps numbered 1..n with UTC timestamps that never go back and fall within the episode;
    failed steps carry an error, successful ones none; texts and tags within the default
    limits; ``completed_at >= started_at``; outcome and ``completed_at`` both set or both
    empty (``completed`` demands one or the other); a status that agrees with ``success``.
    """
    if not 0 < len(episode.task_description) <= _MAX_TEXT:
        raise _fail(episode, "task_description must hold 1-10000 characters")
    if not episode.task_type:
        raise _fail(episode, "task_type is empty")
    if not _utc(episode.started_at):
        raise _fail(episode, f"started_at {episode.started_at!r} is not timezone-aware UTC")
    assert_tags_valid(episode.tags, episode)
    assert_tags_valid(episode.context.tags, episode)
    if len(episode.steps) > _MAX_STEPS:
        raise _fail(episode, f"has {len(episode.steps)} steps; the limit is {_MAX_STEPS}")
    previous = episode.started_at
    for number, step in enumerate(episode.steps, start=1):
        if step.step_number != number:
            raise _fail(episode, f"step {number} is numbered {step.step_number}")
        if not _utc(step.timestamp) or step.timestamp < previous:
            raise _fail(episode, f"step {number} timestamp {step.timestamp} is out of order")
        previous = step.timestamp
        if len(step.observation) > _MAX_TEXT or len(step.error or "") > _MAX_TEXT:
            raise _fail(episode, f"step {number} observation or error exceeds {_MAX_TEXT} chars")
        if step.latency_ms < 0 or step.tokens < 0:
            raise _fail(episode, f"step {number} has a negative latency or token count")
        if step.success == bool(step.error):
            raise _fail(episode, f"step {number}: success={step.success} but error={step.error!r}")
    outcome, completed_at = episode.outcome, episode.completed_at
    if (outcome is None) != (completed_at is None):
        raise _fail(episode, "outcome and completed_at must be both set or both empty")
    if completed is not None and completed != (outcome is not None):
        raise _fail(episode, "is completed" if outcome is not None else "is not completed")
    if outcome is None or completed_at is None:
        return
    if not _utc(completed_at) or completed_at < previous:
        raise _fail(episode, f"completed_at {completed_at} precedes a step or started_at")
    if outcome.success != (outcome.status == "success"):
        raise _fail(episode, f"outcome success={outcome.success} but status={outcome.status}")
    if outcome.duration_ms is not None and outcome.duration_ms < 0:
        raise _fail(episode, f"outcome duration_ms {outcome.duration_ms} is negative")
