"""The retrieval-quality corpus and harness: labels by construction, paraphrases, end to end."""

from __future__ import annotations

import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from memory_core import RetrievalWeights
from memory_core.models import Episode
from memory_core.text import tokenize
from memory_test_utils.retrieval_eval import (
    EVAL_END,
    EvalCorpus,
    evaluate_retrieval,
    format_markdown,
    generate_eval_corpus,
    intent_of,
    signal_variants,
)

N_EPISODES = 3000
N_QUERIES = 200


@pytest.fixture(scope="module")
def corpus() -> EvalCorpus:
    return generate_eval_corpus(N_EPISODES, N_QUERIES, seed=7)


def _normalized(text: str) -> str:
    return " ".join(text.lower().split())


def test_same_seed_same_bytes_other_seed_differs() -> None:
    first = msgspec.msgpack.encode(generate_eval_corpus(400, 40, seed=3))
    assert first == msgspec.msgpack.encode(generate_eval_corpus(400, 40, seed=3))
    assert first != msgspec.msgpack.encode(generate_eval_corpus(400, 40, seed=4))


def test_sizes_and_episodes_are_completed(corpus: EvalCorpus) -> None:
    assert len(corpus.episodes) == N_EPISODES
    assert len(corpus.queries) == N_QUERIES
    for episode in corpus.episodes:
        assert episode.outcome is not None
        assert episode.completed_at is not None
        assert episode.steps
    statuses = Counter(e.outcome.status for e in corpus.episodes if e.outcome is not None)
    assert set(statuses) == {"success", "partial", "failure", "abstained"}


def test_timestamps_spread_over_months_before_end(corpus: EvalCorpus) -> None:
    started = sorted(e.started_at for e in corpus.episodes)
    assert started[-1] - started[0] > timedelta(days=150)
    assert started[-1] <= EVAL_END
    end = datetime(2030, 6, 1, tzinfo=UTC)
    moved = generate_eval_corpus(50, 5, seed=7, end=end)
    assert max(e.started_at for e in moved.episodes) <= end
    assert max(e.started_at for e in moved.episodes) > end - timedelta(days=10)


def test_labels_are_correct_by_construction(corpus: EvalCorpus) -> None:
    by_id = {episode.id: episode for episode in corpus.episodes}
    by_intent = Counter(intent_of(episode) for episode in corpus.episodes)
    for query in corpus.queries:
        assert query.relevant, query
        assert len(query.relevant) == by_intent[query.intent]  # every episode of the intent
        for episode_id, grade in query.relevant.items():
            episode = by_id[episode_id]
            assert intent_of(episode) == query.intent
            same_stack = (episode.context.language, episode.context.framework) == (
                query.context.language,
                query.context.framework,
            )
            assert grade == (2 if same_stack and query.context.language else 1)
        kind, _, entity = query.intent.partition(":")
        assert all(by_id[i].metadata["task_kind"] == kind for i in query.relevant)
        assert entity


def test_intents_are_read_from_the_description(corpus: EvalCorpus) -> None:
    for episode in corpus.episodes[:500]:
        kind, _, entity = intent_of(episode).partition(":")
        assert episode.metadata["task_kind"] == kind
        assert entity in episode.task_description


def test_queries_are_paraphrases_not_copies(corpus: EvalCorpus) -> None:
    descriptions = {_normalized(e.task_description) for e in corpus.episodes}
    texts = [_normalized(q.text) for q in corpus.queries]
    assert not descriptions.intersection(texts)
    # Not just case changes: most queries share at most part of their words with every
    # description of their intent.
    by_intent: dict[str, set[frozenset[str]]] = {}
    for episode in corpus.episodes:
        by_intent.setdefault(intent_of(episode), set()).add(
            frozenset(tokenize(episode.task_description))
        )
    identical = sum(frozenset(tokenize(q.text)) in by_intent[q.intent] for q in corpus.queries)
    assert identical <= len(corpus.queries) // 20


def test_queries_cover_many_intents_and_context_kinds(corpus: EvalCorpus) -> None:
    assert len({q.intent for q in corpus.queries}) == N_QUERIES  # distinct while possible
    domains = {q.intent.partition(".")[0] for q in corpus.queries}
    assert len(domains) == 8
    mismatched = [q for q in corpus.queries if q.context_mismatch]
    assert 0.1 * N_QUERIES < len(mismatched) < 0.35 * N_QUERIES
    for query in mismatched:
        assert query.context.domain != query.intent.partition(".")[0]
    assert any(q.context.language is None for q in corpus.queries)


def test_distractors_from_other_domains_share_words(corpus: EvalCorpus) -> None:
    """Most queries have irrelevant episodes of another domain sharing a query word."""
    index: dict[str, set[str]] = {}  # token -> domains of episodes using it in the task
    for episode in corpus.episodes:
        for token in set(tokenize(episode.task_description)):
            index.setdefault(token, set()).add(episode.context.domain)
    with_distractor = 0
    for query in corpus.queries:
        domain = query.intent.partition(".")[0]
        if any(index.get(token, set()) - {domain} for token in tokenize(query.text)):
            with_distractor += 1
    assert with_distractor >= 0.8 * len(corpus.queries)
    kinds = {e.metadata["task_kind"] for e in corpus.episodes}
    assert {"ml.serve", "security.auth_review", "data.perf"} <= kinds  # the decoy kinds


def test_corpus_generation_is_fast() -> None:
    started = time.perf_counter()
    generate_eval_corpus(2000, 100, seed=1)
    assert time.perf_counter() - started < 2.0  # 10k episodes take about half a second


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="n_episodes"):
        generate_eval_corpus(-1, 5)
    with pytest.raises(ValueError, match="n_queries"):
        generate_eval_corpus(5, -1)
    with pytest.raises(ValueError, match="span_days"):
        generate_eval_corpus(5, 5, span_days=0)
    with pytest.raises(ValueError, match="timezone-aware"):
        generate_eval_corpus(5, 5, end=datetime(2026, 1, 1))
    episode: Episode = generate_eval_corpus(1, 0).episodes[0]
    with pytest.raises(ValueError, match="no intent"):
        intent_of(msgspec.structs.replace(episode, metadata={}))


def test_signal_variants_follow_the_weight_fields() -> None:
    variants = signal_variants()
    names = RetrievalWeights.__struct_fields__
    assert list(variants) == ["hybrid", *names]
    assert variants["hybrid"] == RetrievalWeights()
    for name in names:
        weights = variants[name].as_dict()
        assert weights[name] == 1.0
        assert sum(weights.values()) == 1.0


@pytest.mark.anyio
async def test_harness_end_to_end() -> None:
    corpus = generate_eval_corpus(500, 30, seed=2)
    lines: list[str] = []
    report = await evaluate_retrieval(corpus, signal_variants(), progress=lines.append)
    assert [v.name for v in report.variants] == ["hybrid", *RetrievalWeights.__struct_fields__]
    assert report.episodes == 500
    assert report.queries == 30
    for variant in report.variants:
        metrics = (
            variant.recall_at_1,
            variant.recall_at_5,
            variant.recall_at_10,
            variant.mrr,
            variant.ndcg_at_10,
        )
        assert all(0.0 <= value <= 1.0 for value in metrics), variant
        assert variant.recall_at_1 <= variant.recall_at_5 <= variant.recall_at_10
        assert 0 < variant.latency_p50_ms <= variant.latency_p95_ms <= variant.latency_p99_ms
        assert len(variant.per_query) == 30
    ceiling = report.recall_ceiling
    assert ceiling["1"] <= ceiling["5"] <= ceiling["10"] <= 1.0
    assert all(v.recall_at_5 <= ceiling["5"] + 1e-9 for v in report.variants)
    hybrid = report.variants[0]
    # A random ranking of 10 out of 500 finds each relevant episode with probability 5/500.
    rng = random.Random(0)
    ids = [e.id for e in corpus.episodes]
    random_recall = sum(
        len(set(rng.sample(ids, 5)).intersection(q.relevant)) / len(q.relevant)
        for q in corpus.queries
    ) / len(corpus.queries)
    assert hybrid.recall_at_5 > max(0.3, 10 * random_recall)
    assert hybrid.mrr > 0.5
    assert lines
    assert all(isinstance(line, str) for line in lines)
    table = format_markdown(report)
    assert "| hybrid |" in table
    assert "R@5" in table
