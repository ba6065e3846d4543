"""Seeded factories for valid memory_core models.

Every factory takes ``rng`` first: a :class:`random.Random` (its state advances, so
successive calls differ but a run is reproducible), an ``int`` seed (same seed, same
value, byte for byte, UUIDs and timestamps included), or ``None`` (a fresh unseeded
generator: unique values, not reproducible). Keyword overrides replace any field::

    episode = make_episode(42, n_steps=5, task_description="Build REST API endpoint")

Timestamps are timezone-aware UTC, derived from :data:`BASE_TIME` plus random offsets;
``datetime.now()`` is never called. Steps of an episode are numbered 1..n.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from memory_core.models import Episode, ExecutionStep, TaskContext, TaskOutcome

from ._rendering import LOGNORMAL, ErrorRenderer, observation_pools
from ._vocabulary_types import Domain, Stack
from .vocabulary import DOMAINS, ERRORS, TOOLS

__all__ = [
    "BASE_TIME",
    "EpisodeFactory",
    "make_context",
    "make_episode",
    "make_outcome",
    "make_step",
    "resolve_rng",
]

#: The fixed origin of generated timestamps (2025-01-01T00:00:00Z).
BASE_TIME = datetime(2025, 1, 1, tzinfo=UTC)
_SPAN_S = 90 * 24 * 3600  # generated start times fall within 90 days of BASE_TIME
_COMPLEXITIES = ("simple", "moderate", "complex")
_STATUSES = ("success", "partial", "failure", "abstained")


class EpisodeFactory(Protocol):
    """What the ``episode_factory`` fixture returns: :func:`make_episode` bound to an rng."""

    def __call__(
        self, *, completed: bool = True, n_steps: int | None = None, **overrides: Any
    ) -> Episode: ...


def resolve_rng(rng: random.Random | int | None) -> random.Random:
    """The generator to draw from: ``rng`` itself, a new one seeded with it, or an unseeded one."""
    if isinstance(rng, random.Random):
        return rng
    if rng is None:
        return random.Random()
    if isinstance(rng, int) and not isinstance(rng, bool):
        return random.Random(rng)
    raise TypeError(f"rng must be a random.Random, an int seed or None, got {type(rng).__name__}")


_T = TypeVar("_T")


def _choice(rng: random.Random, items: tuple[_T, ...]) -> _T:
    return items[int(rng.random() * len(items))]


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _domain_and_stack(
    rng: random.Random, domain: str | None, language: str | None
) -> tuple[Domain, Stack]:
    domains = tuple(d for d in DOMAINS if d.name == domain) or DOMAINS
    found = _choice(rng, domains)
    stacks = tuple(s for s in found.stacks if s.language == language) or found.stacks
    return found, _choice(rng, stacks)


def make_context(rng: random.Random | int | None = None, **overrides: Any) -> TaskContext:
    """A :class:`TaskContext` from the vocabulary (language, framework and tags agree).

    A known ``domain`` or ``language`` override steers the rest to match it.
    """
    r = resolve_rng(rng)
    domain, stack = _domain_and_stack(r, overrides.get("domain"), overrides.get("language"))
    fields: dict[str, Any] = {
        "language": stack.language,
        "domain": domain.name,
        "tags": _choice(r, domain.kinds).tags,
        "framework": stack.framework,
        "complexity": _choice(r, _COMPLEXITIES),
    }
    fields.update(overrides)
    return TaskContext(**fields)


def _error_for(r: random.Random, tool: str) -> str:
    kinds = tuple(kind for kind in ERRORS.values() if tool in kind.tools)
    if not kinds:
        return f"{tool}: command failed with exit code {1 + int(r.random() * 2)}"
    return ErrorRenderer(_choice(r, kinds)).render(r)[0]


def make_step(rng: random.Random | int | None = None, **overrides: Any) -> ExecutionStep:
    """An :class:`ExecutionStep` of a vocabulary tool; successful unless ``success=False``.

    A failed step gets a realistic ``error`` for its tool unless one is given. Defaults:
    ``step_number=1``, a timestamp within 90 days after :data:`BASE_TIME`.
    """
    r = resolve_rng(rng)
    tool = overrides.get("tool") or _choice(r, tuple(TOOLS))
    spec = TOOLS.get(tool)
    actions = spec.actions if spec is not None else (f"run {tool}",)
    index = int(r.random() * len(actions))
    success = overrides.get("success", True)
    if not success:
        observation = "exit code 1"
    elif spec is not None:
        pools = observation_pools(tool, spec.observations)
        observation = _choice(r, pools[index % len(pools)])
    else:
        observation = "ok"
    median_latency, median_tokens = (spec.latency_ms, spec.tokens) if spec else (500, 300)
    fields: dict[str, Any] = {
        "tool": tool,
        "action": actions[index],
        "latency_ms": 1 + int(median_latency * LOGNORMAL[r.getrandbits(10)]),
        "tokens": int(median_tokens * LOGNORMAL[r.getrandbits(10)]),
        "success": success,
        "observation": observation,
        "error": None if success else _error_for(r, tool),
        "timestamp": BASE_TIME + timedelta(milliseconds=int(r.random() * _SPAN_S * 1000)),
        "step_number": 1,
    }
    fields.update(overrides)
    return ExecutionStep(**fields)


def make_outcome(rng: random.Random | int | None = None, **overrides: Any) -> TaskOutcome:
    """A :class:`TaskOutcome`; a success unless ``status`` or ``success`` says otherwise.

    ``status`` implies ``success`` (true only for ``"success"``) and the reverse; partial
    outcomes list ``completed`` and ``failed`` sub-goals, failures carry an ``error``.
    """
    r = resolve_rng(rng)
    status = overrides.get("status")
    if status is None:
        status = "success" if overrides.get("success", True) else "failure"
    if status not in _STATUSES:
        raise ValueError(f"status must be one of {', '.join(_STATUSES)}, got {status!r}")
    domain = _choice(r, DOMAINS)
    kind = _choice(r, domain.kinds)
    fields: dict[str, Any] = {
        "success": status == "success",
        "status": status,
        "duration_ms": 1000 + int(r.random() * 600_000),
    }
    if status == "success":
        stack = _choice(r, domain.stacks)
        entity = _choice(r, kind.entities).replace(" ", "_")
        fields["result"] = kind.done
        fields["artifacts"] = tuple(a.format(entity=entity) for a in stack.artifacts)
    elif status == "partial":
        split = 1 + int(r.random() * (len(domain.subgoals) - 1))
        fields["completed"] = domain.subgoals[:split]
        fields["failed"] = domain.subgoals[split:]
        fields["result"] = "Partially done: " + ", ".join(domain.subgoals[:split])
    elif status == "failure":
        fields["error"] = _error_for(r, _choice(r, tuple(TOOLS)))
    else:
        fields["result"] = "Abstained: requirements are ambiguous"
    fields.update(overrides)
    return TaskOutcome(**fields)


def make_episode(
    rng: random.Random | int | None = None,
    *,
    completed: bool = True,
    n_steps: int | None = None,
    **overrides: Any,
) -> Episode:
    """A valid :class:`Episode`: a task from the vocabulary and ``n_steps`` successful steps.

    ``n_steps`` defaults to 3-10; steps are numbered 1..n with increasing timestamps after
    ``started_at``. A completed episode has an outcome (a success unless overridden) and
    ``completed_at``; reward and reflection stay ``None`` (the memory computes them). With
    ``completed=False`` both outcome and ``completed_at`` are ``None``. Overrides (``context``,
    ``steps``, ``started_at``, ``task_description``, ``metadata``...) replace generated values;
    given ``steps`` are used as they are.
    """
    if n_steps is not None and n_steps < 0:
        raise ValueError(f"n_steps must be non-negative, got {n_steps}")
    r = resolve_rng(rng)
    episode_id = _uuid(r)
    context = overrides.get("context")
    if context is None:
        context = make_context(r)
    domain, stack = _domain_and_stack(r, context.domain, context.language)
    kind = _choice(r, domain.kinds)
    entity = _choice(r, kind.entities)
    started_at: datetime = overrides.get("started_at") or BASE_TIME + timedelta(
        milliseconds=int(r.random() * _SPAN_S * 1000)
    )
    steps = overrides.get("steps")
    elapsed = 0
    if steps is None:
        count = 3 + int(r.random() * 8) if n_steps is None else n_steps
        built = []
        for number in range(1, count + 1):
            step = make_step(
                r,
                tool=_choice(r, stack.tools),
                step_number=number,
                timestamp=started_at + timedelta(milliseconds=elapsed),
            )
            elapsed += step.latency_ms + 250 + (step.tokens >> 1)
            built.append(step)
        steps = tuple(built)
    else:
        elapsed = sum(step.latency_ms for step in steps)
    elapsed += int(r.random() * 2000)
    fields: dict[str, Any] = {
        "id": episode_id,
        "task_description": _choice(r, kind.paraphrases).format(entity=entity),
        "task_type": kind.task_type,
        "context": context,
        "steps": steps,
        "outcome": make_outcome(r, duration_ms=elapsed) if completed else None,
        "tags": (domain.name, kind.name.partition(".")[2]),
        "metadata": {"agent": f"agent-{int(r.random() * 16):03d}", "task_kind": kind.name},
        "started_at": started_at,
        "completed_at": started_at + timedelta(milliseconds=elapsed) if completed else None,
    }
    fields.update(overrides)
    return Episode(**fields)
