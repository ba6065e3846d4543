"""Structured results of the tools (their MCP output schemas) and conversions from models.

The SDK derives output schemas from pydantic models, so the wire shapes are
pydantic here; the memory's own records (msgspec Structs) are converted with
``msgspec.to_builtins`` where a full record is returned.
"""

from typing import Any

import msgspec
from pydantic import BaseModel

from memory_core import Episode, Heuristic, Pattern, PatternMatch, RetrievedEpisode

__all__ = [
    "AnalyzePatternsResult",
    "CompleteEpisodeResult",
    "DeleteEpisodeResult",
    "EpisodeResult",
    "EpisodeSummary",
    "FeedbackResult",
    "HealthResult",
    "HeuristicsResult",
    "ListEpisodesResult",
    "LogStepResult",
    "PatternView",
    "QueryHit",
    "QueryResult",
    "RecommendPatternsResult",
    "Recommendation",
    "StartEpisodeResult",
    "StatsResult",
    "pattern_type",
    "pattern_view",
    "record",
    "summarize",
]


def record(value: Any) -> dict[str, Any]:
    """A msgspec record as a JSON-ready dict (UUIDs and datetimes as strings)."""
    converted = msgspec.to_builtins(value)
    assert isinstance(converted, dict)
    return converted


class StartEpisodeResult(BaseModel):
    """The new in-progress episode."""

    episode_id: str
    namespace: str
    started_at: str


class LogStepResult(BaseModel):
    """Where the step landed."""

    episode_id: str
    step_number: int


class CompleteEpisodeResult(BaseModel):
    """The completed episode's score and reflection."""

    episode_id: str
    status: str
    reward: dict[str, float]
    reflection: dict[str, list[str]]
    steps: int


class EpisodeSummary(BaseModel):
    """One episode in a list or ranking; ``get_episode`` returns the full record."""

    episode_id: str
    task_description: str
    task_type: str
    domain: str
    language: str | None
    tags: list[str]
    status: str
    reward: float | None
    steps: int
    started_at: str
    completed_at: str | None


class EpisodeResult(BaseModel):
    """A full episode record (steps, outcome, reward, reflection, ...)."""

    episode: dict[str, Any]


class ListEpisodesResult(BaseModel):
    """A page of episodes, newest first."""

    episodes: list[EpisodeSummary]
    count: int
    offset: int


class DeleteEpisodeResult(BaseModel):
    """Confirmation of a deletion."""

    episode_id: str
    deleted: bool


class QueryHit(BaseModel):
    """A retrieved episode with its fused score in [0, 1] and each signal's value."""

    episode: EpisodeSummary
    score: float
    breakdown: dict[str, float]


class QueryResult(BaseModel):
    """Relevant past episodes, best first."""

    results: list[QueryHit]


class PatternView(BaseModel):
    """A learned pattern: its kind, support and success rate, and the full record."""

    pattern_id: str
    type: str
    support: int
    success_rate: float
    pattern: dict[str, Any]


class AnalyzePatternsResult(BaseModel):
    """Patterns mined for a context, strongest first, with counts by type."""

    patterns: list[PatternView]
    matching: int
    by_type: dict[str, int]


class Recommendation(BaseModel):
    """A pattern ranked for a task, with the score's parts."""

    pattern: PatternView
    score: float
    breakdown: dict[str, float]


class RecommendPatternsResult(BaseModel):
    """Patterns worth applying to a task, best first."""

    recommendations: list[Recommendation]


class HeuristicsResult(BaseModel):
    """Condition → action rules for a context, most trustworthy first."""

    heuristics: list[dict[str, Any]]


class FeedbackResult(BaseModel):
    """The pattern's effectiveness after the feedback."""

    pattern_id: str
    effectiveness: dict[str, Any]


class HealthResult(BaseModel):
    """Liveness of the server and the namespace's storage."""

    status: str
    version: str
    namespace: str
    storage: str
    episodes: int
    open_namespaces: list[str]


class StatsResult(BaseModel):
    """The namespace's counts, operation latencies and learning queue state."""

    namespace: str
    stats: dict[str, Any]


def _status(episode: Episode) -> str:
    if episode.outcome is None:
        return "in_progress"
    return str(episode.outcome.status or ("success" if episode.outcome.success else "failure"))


def summarize(episode: Episode) -> EpisodeSummary:
    """The summary of an episode used by listings and rankings."""
    return EpisodeSummary(
        episode_id=str(episode.id),
        task_description=episode.task_description,
        task_type=episode.task_type,
        domain=episode.context.domain,
        language=episode.context.language,
        tags=list(episode.tags),
        status=_status(episode),
        reward=episode.reward.total if episode.reward is not None else None,
        steps=len(episode.steps),
        started_at=episode.started_at.isoformat(),
        completed_at=episode.completed_at.isoformat() if episode.completed_at else None,
    )


def hit(retrieved: RetrievedEpisode) -> QueryHit:
    """A retrieval result on the wire."""
    return QueryHit(
        episode=summarize(retrieved.episode),
        score=retrieved.score,
        breakdown=dict(retrieved.breakdown),
    )


def pattern_support(pattern: Pattern) -> tuple[int, float]:
    """(support, success rate) of any pattern kind, for ranking and display."""
    stats = getattr(pattern, "outcome_stats", None)
    if stats is not None:
        total = stats.successes + stats.failures
        return total, (stats.successes / total if total else 0.0)
    support = int(getattr(pattern, "support", 0))
    if not support:
        support = len(getattr(pattern, "evidence", ()))
    return support, float(getattr(pattern, "success_rate", 0.0))


def pattern_type(pattern: Pattern) -> str:
    """The pattern's kind: its tag in the ``Pattern`` union (e.g. ``tool_sequence``)."""
    return str(pattern.__struct_config__.tag)


def pattern_view(pattern: Pattern) -> PatternView:
    """A pattern on the wire."""
    data = record(pattern)
    support, success_rate = pattern_support(pattern)
    return PatternView(
        pattern_id=str(pattern.id),
        type=pattern_type(pattern),
        support=support,
        success_rate=success_rate,
        pattern=data,
    )


def recommendation(match: PatternMatch) -> Recommendation:
    """A ranked pattern on the wire."""
    return Recommendation(
        pattern=pattern_view(match.pattern), score=match.score, breakdown=dict(match.breakdown)
    )


def heuristic_record(heuristic: Heuristic) -> dict[str, Any]:
    """A heuristic on the wire."""
    return record(heuristic)
