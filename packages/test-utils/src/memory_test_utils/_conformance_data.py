"""Records the storage conformance suite writes: varied episodes, patterns, hostile text."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from memory_core.models import Episode, TaskContext
from memory_core.patterns import (
    ContextPattern,
    DecisionPoint,
    ErrorRecovery,
    Heuristic,
    HeuristicEvidence,
    OutcomeStats,
    Pattern,
    ToolSequence,
)
from memory_core.storage import EpisodeQuery

from .factories import BASE_TIME, make_context, make_episode, make_outcome

__all__ = [
    "HOSTILE_STRINGS",
    "LONG_TEXT",
    "listing_queries",
    "make_heuristics",
    "make_patterns",
    "reference_listing",
    "varied_episodes",
]

#: 10,000 characters: the default limit on descriptions and observations.
LONG_TEXT = ("Ünïcødé ✓ 'quote' \"dq\" ; -- %_ " * 400)[:10_000]

#: Text that breaks naive SQL, LIKE, FTS or JSON handling; NUL-free (the models reject NUL).
HOSTILE_STRINGS: tuple[str, ...] = (
    "Robert'); DROP TABLE episodes;--",
    "' OR '1'='1",
    '" OR ""="',
    "%",
    "_",
    "\\",
    "*",
    'NEAR("a" "b")',
    '"unbalanced',
    "$1 ?1 :name @x",
    "[1, 2, 3]",
    '{"json": true}',
    "emoji 😀 ✓ 日本語 עברית العربية",
    "e\u0301 combining, \u200b zero width, \ufeff bom",
    "tab\tnew\nline\r\nreturn",
    LONG_TEXT,
)

_DOMAINS = ("web", "data", "devops")
_TAGS = ("alpha", "beta", "gamma", "delta")
_STATUSES = ("success", "failure", "partial", "abstained")


def varied_episodes(count: int, seed: int = 7) -> list[Episode]:
    """Episodes spread over domains, tags, outcomes and start times, with start-time ties.

    Every fourth episode is in progress; every fifth shares the start time of the one
    before it, so ordering must break ties by id.
    """
    rng = random.Random(seed)
    episodes: list[Episode] = []
    started = BASE_TIME
    for index in range(count):
        if index % 5 != 4:
            started = BASE_TIME + timedelta(hours=index, microseconds=rng.randrange(1_000_000))
        domain = _DOMAINS[index % len(_DOMAINS)]
        context = make_context(rng, domain=domain, tags=(_TAGS[index % 4],) if index % 3 else ())
        completed = index % 4 != 3
        overrides: dict[str, Any] = {
            "context": context,
            "started_at": started,
            "tags": tuple(_TAGS[(index + k) % 4] for k in range(index % 3)),
        }
        if completed:
            overrides["outcome"] = make_outcome(rng, status=_STATUSES[index % len(_STATUSES)])
        episodes.append(make_episode(rng, completed=completed, **overrides))
    return episodes


def listing_queries() -> list[EpisodeQuery]:
    """Queries exercising every filter of :class:`EpisodeQuery`, alone and combined, and paging."""
    middle = BASE_TIME + timedelta(hours=20)
    return [
        EpisodeQuery(),
        EpisodeQuery(limit=1),
        EpisodeQuery(limit=7, offset=0),
        EpisodeQuery(limit=7, offset=7),
        EpisodeQuery(limit=7, offset=35),
        EpisodeQuery(offset=1000),
        EpisodeQuery(domain="web"),
        EpisodeQuery(domain="nowhere"),
        EpisodeQuery(tags=("alpha",)),
        EpisodeQuery(tags=("alpha", "beta")),
        EpisodeQuery(tags=("gamma", "delta", "alpha")),
        EpisodeQuery(tags=("missing",)),
        EpisodeQuery(outcome="success"),
        EpisodeQuery(outcome="partial"),
        EpisodeQuery(since=middle),
        EpisodeQuery(until=middle),
        EpisodeQuery(since=BASE_TIME + timedelta(hours=10), until=middle),
        EpisodeQuery(completed=True),
        EpisodeQuery(completed=False),
        EpisodeQuery(domain="data", completed=True, since=BASE_TIME + timedelta(hours=5)),
        EpisodeQuery(domain="web", tags=("beta",), limit=3, offset=1),
    ]


def reference_listing(episodes: list[Episode], query: EpisodeQuery) -> list[uuid.UUID]:
    """Ids ``list_episodes(query)`` must return: matches, newest first, ties by id, paged."""
    matching = [episode for episode in episodes if query.matches(episode)]
    matching.sort(key=lambda episode: (episode.started_at, episode.id.bytes), reverse=True)
    return [episode.id for episode in matching[query.offset : query.offset + query.limit]]


def _context(text: str) -> TaskContext:
    return TaskContext(language="python", domain="web", tags=("api",), framework=text)


def make_patterns(seed: int = 11, text: str = "pytest") -> list[Pattern]:
    """One pattern of each of the four kinds, ``text`` in their free-text fields."""
    rng = random.Random(seed)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    context = _context(text)
    return [
        ToolSequence(
            id=new_id(),
            context=context,
            tools=("ruff", text, "pytest"),
            support=12,
            success_rate=0.75,
            avg_latency_ms=812.5,
            keywords=(text,),
        ),
        DecisionPoint(
            id=new_id(),
            context=context,
            condition=f"check if {text}",
            action="commit changes",
            outcome_stats=OutcomeStats(successes=3, failures=1),
        ),
        ErrorRecovery(
            id=new_id(),
            context=context,
            error_type=f"connection refused <ip>:<num> {text}",
            recovery_steps=("docker", text),
            support=4,
            success_rate=1.0,
        ),
        ContextPattern(
            id=new_id(),
            context=context,
            context_features=("language:python", f"tag:{text}"),
            recommended_approach=text,
            evidence=(new_id(), new_id()),
            success_rate=0.5,
            support=2,
        ),
    ]


def make_heuristics(count: int, seed: int = 13, text: str = "tests fail") -> list[Heuristic]:
    """``count`` heuristics with ``text`` in their condition."""
    rng = random.Random(seed)
    return [
        Heuristic(
            id=uuid.UUID(int=rng.getrandbits(128), version=4),
            condition=f"when {text} #{index}",
            action="run the failing test alone",
            confidence=rng.random(),
            evidence=HeuristicEvidence(
                episode_ids=(uuid.UUID(int=rng.getrandbits(128), version=4),),
                successes=index,
                total=index + 1,
            ),
            context=_context(text),
            source="conformance",
        )
        for index in range(count)
    ]
