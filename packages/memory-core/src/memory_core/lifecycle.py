"""Pure functions of the episode lifecycle: start, add a step, complete.

They build new frozen :class:`Episode` values; storage and concurrency are the
caller's business (see :class:`memory_core.SelfLearningMemory`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from .models import Episode, ExecutionStep, TaskContext, TaskOutcome
from .reflection import InsightHook, generate_reflection
from .reward import compute_reward

__all__ = ["TASK_TYPES", "add_step", "complete", "ensure_scored", "infer_task_type", "new_episode"]

#: Task types recognized by :func:`infer_task_type`, checked in this order.
TASK_TYPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("debugging", re.compile(r"\b(debug\w*|fix\w*|bug\w*|crash\w*|error\w*|broken|failing)\b")),
    ("testing", re.compile(r"\b(test\w*|coverage|spec|assert\w*)\b")),
    ("refactoring", re.compile(r"\b(refactor\w*|clean\s*up|restructur\w*|simplif\w*|rename\w*)\b")),
    ("documentation", re.compile(r"\b(document\w*|docs?|readme|docstring\w*|comment\w*)\b")),
    ("analysis", re.compile(r"\b(analy[sz]\w*|investigat\w*|review\w*|profil\w*|audit\w*)\b")),
    ("deployment", re.compile(r"\b(deploy\w*|release\w*|ship|provision\w*|rollout)\b")),
    (
        "code_generation",
        re.compile(r"\b(build\w*|creat\w*|implement\w*|add\w*|writ\w*|generat\w*)\b"),
    ),
)


def infer_task_type(task_description: str) -> str:
    """A coarse task type from keywords ("debugging", "testing", ...); "general" if none."""
    text = task_description.lower()
    for name, pattern in TASK_TYPES:
        if pattern.search(text):
            return name
    return "general"


def new_episode(
    task_description: str,
    context: TaskContext,
    *,
    now: datetime,
    task_type: str | None = None,
    tags: tuple[str, ...] = (),
    metadata: Mapping[str, Any] | None = None,
    episode_id: uuid.UUID | None = None,
) -> Episode:
    """A fresh in-progress episode."""
    return Episode(
        id=episode_id or uuid.uuid4(),
        task_description=task_description,
        task_type=task_type or infer_task_type(task_description),
        context=context,
        tags=tags,
        metadata=dict(metadata or {}),
        started_at=now,
    )


def add_step(episode: Episode, step: ExecutionStep) -> Episode:
    """The episode with ``step`` appended and numbered (1-based)."""
    numbered = msgspec.structs.replace(step, step_number=len(episode.steps) + 1)
    return msgspec.structs.replace(episode, steps=(*episode.steps, numbered))


def complete(
    episode: Episode,
    outcome: TaskOutcome,
    *,
    now: datetime,
    reflection_hook: InsightHook | None = None,
) -> Episode:
    """The episode with its outcome, completion time, reward and reflection."""
    finished = msgspec.structs.replace(
        episode,
        outcome=outcome,
        completed_at=max(now, episode.started_at),
        reward=None,
        reflection=None,
    )
    return ensure_scored(finished, reflection_hook)


def ensure_scored(episode: Episode, reflection_hook: InsightHook | None = None) -> Episode:
    """A completed episode with reward and reflection, computing whichever is missing."""
    if episode.reward is not None and episode.reflection is not None:
        return episode
    return msgspec.structs.replace(
        episode,
        reward=episode.reward or compute_reward(episode),
        reflection=episode.reflection or generate_reflection(episode, reflection_hook),
    )
