"""What one episode contributes to learning: its observations.

Pure functions: an :class:`Episode` in, an :class:`EpisodeObservations` out.
The aggregator adds (or, for deleted episodes, subtracts) these per-episode
observations, so supports count episodes, not occurrences.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple

from ..models import Episode, ExecutionStep
from ..text import normalize_error, tokenize

__all__ = [
    "DECISION_RE",
    "EpisodeObservations",
    "ErrorObservation",
    "approach_of",
    "context_key",
    "is_decision",
    "normalize_action",
    "observe_episode",
]

#: Actions that are decisions or checks, matched on word boundaries (so "is"
#: inside "this" or "check" inside "checkout" never count).
DECISION_RE = re.compile(
    r"\b(check|checks|checking|verify|verifying|validate|validating|decide|deciding|"
    r"determine|whether|ensure|confirm|compare|choose|evaluate|inspect|assert)\b",
    re.IGNORECASE,
)
_APPROACH_TOOLS = 6


class ErrorObservation(NamedTuple):
    """The first failure of one error class in an episode and what followed it."""

    recovered: bool
    recovery_tools: tuple[str, ...]


class EpisodeObservations(NamedTuple):
    """Everything learning takes from one completed episode."""

    episode_id: object
    completed_at: datetime
    success: bool
    domain: str
    language: str | None
    tools: tuple[str, ...]
    latencies: tuple[float, ...]
    decisions: frozenset[tuple[str, str]]
    errors: dict[str, ErrorObservation]
    context_key: tuple[str, ...]
    approach: str | None
    keywords: frozenset[str]


def is_decision(action: str) -> bool:
    """True when ``action`` is a decision or check (word-boundary match)."""
    return DECISION_RE.search(action) is not None


def normalize_action(action: str) -> str:
    """Canonical form of an action: lower case, numbers/paths/ids replaced."""
    return normalize_error(action, max_chars=120)


def context_key(episode: Episode) -> tuple[str, ...]:
    """The context features a ContextPattern is keyed by."""
    context = episode.context
    features = [f"domain={context.domain}"]
    if context.language:
        features.append(f"language={context.language.lower()}")
    if context.framework:
        features.append(f"framework={context.framework.lower()}")
    return tuple(features)


def approach_of(tools: tuple[str, ...]) -> str:
    """A short signature of how a task was done: tools with repeats collapsed."""
    collapsed: list[str] = []
    for tool in tools:
        if not collapsed or collapsed[-1] != tool:
            collapsed.append(tool)
    return " -> ".join(collapsed[:_APPROACH_TOOLS])


def _recovery(steps: tuple[ExecutionStep, ...], failed: int, max_steps: int) -> ErrorObservation:
    """Steps after a failure up to the last successful retry of the failed step (same
    tool and action) within ``max_steps``, or up to the first success without a retry.

    The last retry, not the first: a recovery may itself start by repeating the
    failed action (e.g. a diagnostic re-run) before the real fix and the retry.
    """
    failed_step = steps[failed]
    following = steps[failed + 1 : failed + 1 + max_steps]
    recovered = bool(following) and following[0].success
    for i in range(len(following) - 1, -1, -1):
        step = following[i]
        if step.success and step.tool == failed_step.tool and step.action == failed_step.action:
            return ErrorObservation(recovered, tuple(s.tool for s in following[: i + 1]))
    for i, step in enumerate(following):
        if step.success:
            return ErrorObservation(recovered, tuple(s.tool for s in following[: i + 1]))
    return ErrorObservation(recovered, ())


def observe_episode(episode: Episode, *, max_recovery_steps: int = 4) -> EpisodeObservations:
    """The observations of a completed episode."""
    steps = episode.steps
    outcome = episode.outcome
    success = outcome is not None and outcome.status == "success"
    decisions: set[tuple[str, str]] = set()
    errors: dict[str, ErrorObservation] = {}
    for i, step in enumerate(steps):
        if i + 1 < len(steps) and is_decision(step.action):
            decisions.add((normalize_action(step.action), normalize_action(steps[i + 1].action)))
        if not step.success:
            error_class = normalize_error(step.error or f"{step.tool} failed")
            if error_class and error_class not in errors:
                errors[error_class] = _recovery(steps, i, max_recovery_steps)
    tools = tuple(step.tool for step in steps)
    return EpisodeObservations(
        episode_id=episode.id,
        completed_at=episode.completed_at or episode.started_at,
        success=success,
        domain=episode.context.domain,
        language=episode.context.language,
        tools=tools,
        latencies=tuple(float(step.latency_ms) for step in steps),
        decisions=frozenset(decisions),
        errors=errors,
        context_key=context_key(episode),
        approach=approach_of(tools) if success and tools else None,
        keywords=frozenset(tokenize(episode.task_description)),
    )
