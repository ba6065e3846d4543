"""Episode data models (msgspec Structs).

These Structs are the public contract: their field names follow the original
project's README, and they round-trip exactly through JSON and msgpack (see
:mod:`memory_core.codec`). Structs are frozen; the lifecycle produces new
values with :func:`msgspec.structs.replace` instead of mutating.

Construction does not check limits (configured limits live in
:class:`memory_core.config.Limits` and are enforced by
:mod:`memory_core.validation` before anything is stored). Construction only
normalizes cheap things, e.g. a list of tags becomes a tuple.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import msgspec

__all__ = [
    "RECORD_SCHEMA_VERSION",
    "Complexity",
    "Episode",
    "ExecutionStep",
    "OutcomeStatus",
    "Reflection",
    "RetrievedEpisode",
    "RewardScore",
    "TaskContext",
    "TaskOutcome",
    "utc_now",
]

#: Version of the stored record layout. Bumped when a stored field changes
#: meaning; decoders of older versions migrate, newer versions are refused.
RECORD_SCHEMA_VERSION = 1

Complexity = Literal["simple", "moderate", "complex"]
OutcomeStatus = Literal["success", "partial", "failure", "abstained"]


def utc_now() -> datetime:
    """Current time as a timezone-aware UTC datetime (microsecond precision)."""
    return datetime.now(UTC)


def _as_tuple(struct: msgspec.Struct, name: str) -> None:
    value = getattr(struct, name)
    if isinstance(value, list):
        msgspec.structs.force_setattr(struct, name, tuple(value))


class TaskContext(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=False):
    """Where a task happens: language, domain, tags, framework and complexity."""

    language: str | None = None
    domain: str = "general"
    tags: tuple[str, ...] = ()
    framework: str | None = None
    complexity: Complexity = "moderate"

    def __post_init__(self) -> None:
        _as_tuple(self, "tags")


class ExecutionStep(msgspec.Struct, frozen=True, kw_only=True):
    """One action an agent took: which tool, what it did, how it went.

    ``timestamp`` defaults to now; ``step_number`` is assigned by
    :meth:`SelfLearningMemory.log_step` (1-based) and any value given is replaced.
    """

    tool: str
    action: str
    latency_ms: int = 0
    tokens: int = 0
    success: bool = True
    observation: str = ""
    parameters: dict[str, Any] | None = None
    error: str | None = None
    timestamp: datetime = msgspec.field(default_factory=utc_now)
    step_number: int = 0


class TaskOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """How a task ended.

    ``status`` defaults from ``success`` ("success" or "failure"); pass
    "partial" or "abstained" explicitly. For a partial outcome, ``completed`` and
    ``failed`` list the sub-goals reached and missed; the reward's base is
    ``len(completed) / (len(completed) + len(failed))`` (0.5 when both are empty).
    """

    success: bool
    result: str | None = None
    error: str | None = None
    duration_ms: int | None = None
    status: OutcomeStatus | None = None
    artifacts: tuple[str, ...] = ()
    completed: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("artifacts", "completed", "failed"):
            _as_tuple(self, name)
        if self.status is None:
            msgspec.structs.force_setattr(self, "status", "success" if self.success else "failure")


class RewardScore(msgspec.Struct, frozen=True, kw_only=True):
    """The reward of a completed episode and the parts it is made of.

    ``total = max(0, base) * efficiency * complexity_bonus * quality_multiplier + learning_bonus``
    """

    total: float
    base: float
    efficiency: float
    complexity_bonus: float
    quality_multiplier: float
    learning_bonus: float


class Reflection(msgspec.Struct, frozen=True, kw_only=True):
    """Rule-based lessons of one episode (each list holds at most five items)."""

    successes: tuple[str, ...] = ()
    improvements: tuple[str, ...] = ()
    insights: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("successes", "improvements", "insights"):
            _as_tuple(self, name)


class Episode(msgspec.Struct, frozen=True, kw_only=True):
    """One task an agent worked on, from start to outcome, with what was learned from it."""

    id: uuid.UUID
    task_description: str
    task_type: str
    context: TaskContext
    steps: tuple[ExecutionStep, ...] = ()
    outcome: TaskOutcome | None = None
    reward: RewardScore | None = None
    reflection: Reflection | None = None
    pattern_ids: tuple[uuid.UUID, ...] = ()
    heuristic_ids: tuple[uuid.UUID, ...] = ()
    tags: tuple[str, ...] = ()
    metadata: dict[str, Any] = msgspec.field(default_factory=dict)
    started_at: datetime = msgspec.field(default_factory=utc_now)
    completed_at: datetime | None = None
    schema_version: int = RECORD_SCHEMA_VERSION

    def __post_init__(self) -> None:
        for name in ("steps", "pattern_ids", "heuristic_ids", "tags"):
            _as_tuple(self, name)

    @property
    def is_completed(self) -> bool:
        """True once :meth:`SelfLearningMemory.complete_episode` has recorded an outcome."""
        return self.outcome is not None

    @property
    def successful_steps(self) -> int:
        """Number of steps that succeeded."""
        return sum(1 for step in self.steps if step.success)

    @property
    def failed_steps(self) -> int:
        """Number of steps that failed."""
        return sum(1 for step in self.steps if not step.success)

    @property
    def duration_ms(self) -> int | None:
        """The outcome's duration when given, else the wall time from start to completion."""
        if self.outcome is not None and self.outcome.duration_ms is not None:
            return self.outcome.duration_ms
        if self.completed_at is None:
            return None
        return int((self.completed_at - self.started_at).total_seconds() * 1000)


class RetrievedEpisode(msgspec.Struct, frozen=True, kw_only=True):
    """A past episode returned for a new task, with its score and why.

    ``breakdown`` maps each signal (``semantic``, ``lexical``, ``context``,
    ``recency``, ``reward``) to its value in [0, 1]; ``score`` is their
    weighted mean with the configured retrieval weights.
    """

    episode: Episode
    score: float
    breakdown: dict[str, float]
