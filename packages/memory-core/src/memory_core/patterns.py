"""Pattern and heuristic models (msgspec Structs, a tagged union).

A :data:`Pattern` is one of four kinds, told apart on the wire by the ``type``
tag. Every pattern knows where it applies (``context``) and how useful it has
been (``effectiveness``). Mining them across episodes is the job of the
learning package; this module only defines the data.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from .models import RECORD_SCHEMA_VERSION, TaskContext, utc_now

__all__ = [
    "ContextPattern",
    "DecisionPoint",
    "Effectiveness",
    "ErrorRecovery",
    "Heuristic",
    "HeuristicEvidence",
    "OutcomeStats",
    "Pattern",
    "PatternMatch",
    "ToolSequence",
]


class Effectiveness(msgspec.Struct, frozen=True, kw_only=True):
    """How often a pattern was handed out, used, and whether it helped.

    ``helped_weight`` and ``hindered_weight`` are the feedback counts decayed
    with a half-life up to ``last_used_at``; see :mod:`memory_core.learning.effectiveness`.
    """

    times_retrieved: int = 0
    times_applied: int = 0
    times_helped: int = 0
    times_hindered: int = 0
    helped_weight: float = 0.0
    hindered_weight: float = 0.0
    last_used_at: datetime | None = None


class OutcomeStats(msgspec.Struct, frozen=True, kw_only=True):
    """Success and failure counts of the episodes that took a decision."""

    successes: int = 0
    failures: int = 0

    @property
    def total(self) -> int:
        """Number of episodes counted."""
        return self.successes + self.failures


class _PatternBase(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: uuid.UUID
    context: TaskContext
    effectiveness: Effectiveness = msgspec.field(default_factory=Effectiveness)
    keywords: tuple[str, ...] = ()
    created_at: datetime = msgspec.field(default_factory=utc_now)
    updated_at: datetime = msgspec.field(default_factory=utc_now)
    schema_version: int = RECORD_SCHEMA_VERSION


class ToolSequence(_PatternBase, frozen=True, kw_only=True, tag="tool_sequence"):
    """A run of tools that recurs across episodes (``support`` = episodes containing it)."""

    tools: tuple[str, ...]
    support: int
    success_rate: float
    avg_latency_ms: float
    contiguous: bool = True


class DecisionPoint(_PatternBase, frozen=True, kw_only=True, tag="decision_point"):
    """A decision or check (``condition``) and the action chosen after it, with outcomes."""

    condition: str
    action: str
    outcome_stats: OutcomeStats = msgspec.field(default_factory=OutcomeStats)


class ErrorRecovery(_PatternBase, frozen=True, kw_only=True, tag="error_recovery"):
    """A normalized error class and the steps that recovered from it."""

    error_type: str
    recovery_steps: tuple[str, ...]
    support: int
    success_rate: float


class ContextPattern(_PatternBase, frozen=True, kw_only=True, tag="context_pattern"):
    """Context features mapped to the approach that succeeded under them."""

    context_features: tuple[str, ...]
    recommended_approach: str
    evidence: tuple[uuid.UUID, ...] = ()
    success_rate: float = 0.0
    support: int = 0


Pattern = ToolSequence | DecisionPoint | ErrorRecovery | ContextPattern


class HeuristicEvidence(msgspec.Struct, frozen=True, kw_only=True):
    """The episodes behind a heuristic and how many of them succeeded."""

    episode_ids: tuple[uuid.UUID, ...] = ()
    successes: int = 0
    total: int = 0


class Heuristic(msgspec.Struct, frozen=True, kw_only=True):
    """A condition → action rule; ``confidence`` is a Wilson lower bound in [0, 1]."""

    id: uuid.UUID
    condition: str
    action: str
    confidence: float
    evidence: HeuristicEvidence = msgspec.field(default_factory=HeuristicEvidence)
    context: TaskContext = msgspec.field(default_factory=TaskContext)
    source: str = ""
    created_at: datetime = msgspec.field(default_factory=utc_now)
    updated_at: datetime = msgspec.field(default_factory=utc_now)
    schema_version: int = RECORD_SCHEMA_VERSION


class PatternMatch(msgspec.Struct, frozen=True, kw_only=True):
    """A pattern returned for a task, with its score and the signals behind it."""

    pattern: Pattern
    score: float
    breakdown: dict[str, float]
