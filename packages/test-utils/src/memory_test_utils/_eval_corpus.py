"""The labelled corpus of the retrieval-quality harness.

Episodes come from the workload builder (realistic steps, errors and recoveries, mixed
outcomes) over :data:`EVAL_DOMAINS`; each gets ``metadata["intent"]``, its task kind and
entity (``"web.auth:billing"``). A query targets one intent present in the corpus; its
relevant episodes are exactly the episodes of that intent, graded 2 when they were done in
the query's stack (language and framework), 1 otherwise.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache

import msgspec

from memory_core.models import Complexity, Episode, TaskContext

from ._builder import EpisodeBuilder
from ._eval_entities import EVAL_DOMAINS
from ._eval_phrasing import QUERY_TEMPLATES
from ._eval_queries import render_query
from ._options import Options
from ._vocabulary_types import Domain, TaskKind

__all__ = ["EVAL_END", "EvalCorpus", "LabelledQuery", "generate_eval_corpus", "intent_of"]

#: Default completion time of the newest episodes; the corpus spans ``span_days`` before it.
EVAL_END = datetime(2026, 1, 1, tzinfo=UTC)

_AGENTS = 64
_COMPLEXITIES: tuple[Complexity, ...] = ("simple", "moderate", "complex")
# Shares of query contexts: the intent's own domain and a stack of it, the domain alone
# (the agent knows little), or another domain's stack (context points the wrong way).
_P_FULL_CONTEXT = 0.6
_P_DOMAIN_ONLY = 0.2
_P_CONTEXT_TAGS = 0.5
_MAX_RENDER_TRIES = 8


class LabelledQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A query with its graded relevance judgements.

    Attributes:
        text: the task description as a user would type it (never an episode's text).
        context: the task context the query is made in.
        intent: the task intent asked for, ``"<task kind>:<entity>"``.
        relevant: episode id -> grade (2: same intent and stack, 1: same intent).
        context_mismatch: whether ``context`` belongs to another domain than the intent.
    """

    text: str
    context: TaskContext
    intent: str
    relevant: dict[uuid.UUID, int]
    context_mismatch: bool = False


class EvalCorpus(msgspec.Struct, frozen=True, kw_only=True):
    """Completed episodes and labelled queries over them."""

    seed: int
    episodes: list[Episode]
    queries: list[LabelledQuery]


def intent_of(episode: Episode) -> str:
    """The intent a corpus episode was generated for (``"web.auth:billing"``)."""
    intent = episode.metadata.get("intent") if episode.metadata else None
    if not isinstance(intent, str):
        raise ValueError(f"episode {episode.id} carries no intent label")
    return intent


@cache
def _intent_by_description() -> dict[str, str]:
    """Every episode description the vocabulary can produce -> its intent."""
    found: dict[str, str] = {}
    for domain in EVAL_DOMAINS:
        for kind in domain.kinds:
            for entity in kind.entities:
                intent = f"{kind.name}:{entity}"
                for paraphrase in kind.paraphrases:
                    text = paraphrase.format(entity=entity)
                    if found.setdefault(text, intent) != intent:
                        raise AssertionError(f"description {text!r} names two intents")
    return found


@cache
def _kinds() -> dict[str, tuple[Domain, TaskKind]]:
    return {kind.name: (domain, kind) for domain in EVAL_DOMAINS for kind in domain.kinds}


def _episodes(n: int, seed: int, end: datetime, span_days: float) -> list[Episode]:
    span_s = span_days * 86_400.0
    options = Options(
        seed=seed,
        domains=None,
        agents=_AGENTS,
        motif_rate=0.55,
        noise_rate=0.25,
        error_rate=0.3,
        decision_rate=0.5,
        motifs=None,
        start=end - timedelta(seconds=span_s),
        interval_s=span_s / max(n, 1),
    )
    # Options only resolves names of the workload domains; the eval domains are those
    # domains with wider entity pools and decoy kinds, so they are swapped in afterwards.
    options.domains = EVAL_DOMAINS
    builder = EpisodeBuilder(options)
    lookup = _intent_by_description()
    episodes = []
    for index in range(n):
        episode = builder.build(index)[0]
        metadata = {**episode.metadata, "intent": lookup[episode.task_description]}
        episodes.append(msgspec.structs.replace(episode, metadata=metadata))
    return episodes


def _query_context(rng: random.Random, domain: Domain, kind: TaskKind) -> tuple[TaskContext, bool]:
    r = rng.random
    complexity = _COMPLEXITIES[int(r() * 3)]
    u = r()
    if u < _P_FULL_CONTEXT:
        stack = domain.stacks[int(r() * len(domain.stacks))]
        tags = kind.tags if r() < _P_CONTEXT_TAGS else ()
        context = TaskContext(
            domain=domain.name,
            language=stack.language,
            framework=stack.framework,
            tags=tags,
            complexity=complexity,
        )
        return context, False
    if u < _P_FULL_CONTEXT + _P_DOMAIN_ONLY:
        return TaskContext(domain=domain.name, complexity=complexity), False
    others = [d for d in EVAL_DOMAINS if d.name != domain.name]
    other = others[int(r() * len(others))]
    stack = other.stacks[int(r() * len(other.stacks))]
    context = TaskContext(
        domain=other.name, language=stack.language, framework=stack.framework, complexity=complexity
    )
    return context, True


def _grade(episode: Episode, context: TaskContext) -> int:
    same_stack = context.language is not None and (
        episode.context.language == context.language
        and episode.context.framework == context.framework
    )
    return 2 if same_stack else 1


def _queries(rng: random.Random, episodes: list[Episode], n_queries: int) -> list[LabelledQuery]:
    by_intent: dict[str, list[Episode]] = {}
    for episode in episodes:
        by_intent.setdefault(intent_of(episode), []).append(episode)
    intents = list(by_intent)  # first-appearance order: deterministic
    if not intents:
        return []
    if n_queries <= len(intents):
        chosen = rng.sample(intents, n_queries)
    else:
        chosen = [intents[int(rng.random() * len(intents))] for _ in range(n_queries)]
    descriptions = {" ".join(e.task_description.lower().split()) for e in episodes}
    kinds = _kinds()
    queries = []
    for intent in chosen:
        kind_name, _, entity = intent.partition(":")
        domain, kind = kinds[kind_name]
        templates = QUERY_TEMPLATES[kind_name]
        for _ in range(_MAX_RENDER_TRIES):
            template = templates[int(rng.random() * len(templates))]
            text = render_query(rng, template, entity)
            if text.lower() not in descriptions:
                break
        else:  # pragma: no cover - the templates are held out; a copy would be a vocabulary bug
            raise AssertionError(f"could not paraphrase intent {intent!r}")
        context, mismatch = _query_context(rng, domain, kind)
        relevant = {e.id: _grade(e, context) for e in by_intent[intent]}
        queries.append(
            LabelledQuery(
                text=text,
                context=context,
                intent=intent,
                relevant=relevant,
                context_mismatch=mismatch,
            )
        )
    return queries


def generate_eval_corpus(
    n_episodes: int,
    n_queries: int,
    *,
    seed: int = 0,
    end: datetime | None = None,
    span_days: float = 180.0,
) -> EvalCorpus:
    """A labelled retrieval corpus: ``n_episodes`` episodes and ``n_queries`` queries.

    Episodes are spread evenly over the ``span_days`` before ``end`` (default
    :data:`EVAL_END`); pass the current time to make the recency signal meaningful.
    Queries pick distinct intents while there are enough of them. Same arguments, same
    corpus.

    Raises:
        ValueError: a negative count, a non-positive span or a naive ``end``.
    """
    if not isinstance(n_episodes, int) or n_episodes < 0:
        raise ValueError(f"n_episodes must be a non-negative int, got {n_episodes!r}")
    if not isinstance(n_queries, int) or n_queries < 0:
        raise ValueError(f"n_queries must be a non-negative int, got {n_queries!r}")
    if not span_days > 0:
        raise ValueError(f"span_days must be positive, got {span_days!r}")
    end = EVAL_END if end is None else end
    if end.tzinfo is None:
        raise ValueError(f"end must be timezone-aware, got {end!r}")
    episodes = _episodes(n_episodes, seed, end.astimezone(UTC), span_days)
    queries = _queries(random.Random(f"eval-queries-{seed}"), episodes, n_queries)
    return EvalCorpus(seed=seed, episodes=episodes, queries=queries)
