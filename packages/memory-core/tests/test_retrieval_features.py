"""Retrieval features: filters, diversity, the result cache, effectiveness, compaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import numpy as np
import pytest

from memory_core import MemoryConfig, SelfLearningMemory, TaskContext
from memory_core.errors import ValidationError
from memory_core.models import Episode
from memory_core.retrieval import BM25Index, EpisodeIndex, RetrievalFilters
from memory_core.retrieval.mmr import mmr_order
from memory_core.storage import InMemoryStorage
from memory_test_utils.workloads import generate_episodes

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 6, 1, tzinfo=UTC)
WEIGHTS = {
    "semantic": 0.4,
    "lexical": 0.25,
    "context": 0.2,
    "recency": 0.05,
    "reward": 0.1,
    "effectiveness": 0.05,
}


def _scored(n: int, seed: int = 3) -> list[Episode]:
    from memory_core import lifecycle

    return [lifecycle.ensure_scored(e, None) for e in generate_episodes(n, seed=seed)]


def _vector(dim: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def _search(index: EpisodeIndex, episode: Episode, **kwargs: object) -> list[uuid.UUID]:
    hits = index.search(
        query_text=episode.task_description,
        query_vector=_vector(index.dim, 0),
        context=episode.context,
        limit=int(kwargs.pop("limit", 10)),  # type: ignore[call-overload]
        weights=WEIGHTS,
        now=NOW,
        half_life_days=30.0,
        **kwargs,  # type: ignore[arg-type]
    )
    return [hit.episode_id for hit in hits]


def test_bm25_removal_scores_equal_a_fresh_index() -> None:
    docs = {0: ["rest", "api", "api"], 1: ["rest", "csv"], 2: ["api", "client"], 3: ["rest"]}
    index = BM25Index()
    for doc, tokens in docs.items():
        index.add(doc, tokens)
    index.remove(1)
    fresh = BM25Index()
    for doc, tokens in docs.items():
        if doc != 1:
            fresh.add(doc, tokens)
    assert index.score(["rest", "api"]) == pytest.approx(fresh.score(["rest", "api"]))
    with pytest.raises(ValueError, match="never reused"):
        index.add(1, ["again"])
    with pytest.raises(ValueError, match="already used"):
        index.add(0, ["again"])


def test_bm25_remap_keeps_scores_under_new_keys() -> None:
    index = BM25Index()
    index.add(0, ["alpha", "beta"])
    index.add(1, ["beta"])
    index.add(2, ["alpha", "gamma"])
    index.remove(1)
    before = index.score(["alpha", "beta", "gamma"])
    index.remap(np.array([0, -1, 1], dtype=np.intp))
    after = index.score(["alpha", "beta", "gamma"])
    assert after == pytest.approx({0: before[0], 1: before[2]})
    assert len(index) == 2
    index.add(2, ["delta"])  # keys above the remapped range are free again
    assert index.score(["delta"]) == pytest.approx({2: 1.0}, rel=0.5)


def test_filters_return_only_matching_episodes() -> None:
    episodes = _scored(300)
    index = EpisodeIndex(32)
    for position, episode in enumerate(episodes):
        index.add(episode, _vector(32, position))
    domain = episodes[0].context.domain
    query = episodes[0]
    found = _search(index, query, limit=50, filters=RetrievalFilters(domain=domain))
    by_id = {e.id: e for e in episodes}
    assert found
    assert all(by_id[i].context.domain == domain for i in found)
    assert len(found) == min(50, sum(e.context.domain == domain for e in episodes))

    status = query.outcome.status if query.outcome else None
    found = _search(index, query, limit=1000, filters=RetrievalFilters(outcome=status))
    expected = {e.id for e in episodes if e.outcome and e.outcome.status == status}
    assert set(found) == expected

    tag = next(t for e in episodes for t in (*e.tags, *e.context.tags))
    found = _search(index, query, limit=1000, filters=RetrievalFilters(tags=(tag,)))
    assert set(found) == {e.id for e in episodes if tag in (*e.tags, *e.context.tags)}

    times = sorted(e.completed_at for e in episodes if e.completed_at)
    since, until = times[100], times[200]
    found = _search(index, query, limit=1000, filters=RetrievalFilters(since=since, until=until))
    assert set(found) == {
        e.id for e in episodes if e.completed_at and since <= e.completed_at < until
    }
    unknown = RetrievalFilters(domain="no-such-domain")
    assert _search(index, query, filters=unknown) == []


def test_mmr_order_trades_relevance_for_novelty() -> None:
    relevance = np.array([1.0, 0.99, 0.5])
    similarity = np.array([[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    assert mmr_order(relevance, similarity, 0.0, 3) == [0, 1, 2]
    assert mmr_order(relevance, similarity, 0.5, 3) == [0, 2, 1]
    assert mmr_order(relevance, similarity, 0.5, 0) == []


def test_diversity_demotes_duplicates() -> None:
    base = _scored(3)
    index = EpisodeIndex(8)
    same = np.zeros(8, dtype=np.float32)
    same[0] = 1.0
    other = np.zeros(8, dtype=np.float32)
    other[1] = 1.0
    twins = [msgspec.structs.replace(base[0], id=uuid.uuid4()) for _ in range(3)]
    for twin in twins:
        index.add(twin, same)
    different = msgspec.structs.replace(base[1], id=uuid.uuid4(), context=base[0].context)
    index.add(different, other)
    plain = _search(index, twins[0], limit=2)
    assert different.id not in plain
    diverse = _search(index, twins[0], limit=2, diversity=0.7)
    assert different.id in diverse


def test_compaction_keeps_every_live_episode_findable() -> None:
    episodes = _scored(2500, seed=9)
    index = EpisodeIndex(16)
    for position, episode in enumerate(episodes):
        index.add(episode, _vector(16, position))
    for episode in episodes[:1500]:  # crosses the compaction threshold
        index.remove(episode.id)
    assert len(index) == 1000
    assert index.memory_bytes()["fp32"] < 2500 * 16 * 4  # compacted at least once
    survivors = episodes[1500:]
    for episode in survivors[:20]:
        assert episode.id in index
        found = _search(
            index, episode, limit=1000, filters=RetrievalFilters(domain=episode.context.domain)
        )
        assert episode.id in found
    assert not set(_search(index, survivors[0], limit=1000)) & {e.id for e in episodes[:1500]}


async def test_retrieval_filters_validated_and_applied(anyio_backend: str) -> None:
    episodes = _scored(200, seed=4)
    async with SelfLearningMemory() as memory:
        await memory.import_episodes(episodes, learn=False)
        context = episodes[0].context
        domain = context.domain
        hits = await memory.retrieve_relevant_context(
            episodes[0].task_description, context, 20, domain=domain.upper()
        )
        assert hits
        assert all(h.episode.context.domain == domain for h in hits)
        for bad in (
            {"outcome": "great"},
            {"diversity": 1.5},
            {"diversity": True},
            {"since": NOW, "until": NOW - timedelta(days=1)},
            {"since": datetime(2026, 1, 1)},  # naive
            {"tags": ["x"]},  # too short
        ):
            with pytest.raises(ValidationError):
                await memory.retrieve_relevant_context("task", context, 5, **bad)  # type: ignore[arg-type]


async def test_result_cache_hits_and_is_invalidated_by_writes(anyio_backend: str) -> None:
    episodes = _scored(50, seed=5)
    async with SelfLearningMemory() as memory:
        await memory.import_episodes(episodes[:40], learn=False)
        target = episodes[45]
        first = await memory.retrieve_relevant_context(target.task_description, target.context, 5)
        again = await memory.retrieve_relevant_context(target.task_description, target.context, 5)
        assert [h.episode.id for h in again] == [h.episode.id for h in first]
        stats = memory._retriever.stats()
        assert (stats.cache_hits, stats.cache_misses) == (1, 1)
        await memory.import_episodes([target], learn=False)
        after = await memory.retrieve_relevant_context(target.task_description, target.context, 5)
        assert after[0].episode.id == target.id
        await memory.delete_episode(target.id)
        gone = await memory.retrieve_relevant_context(target.task_description, target.context, 5)
        assert target.id not in {h.episode.id for h in gone}


async def test_cache_can_be_disabled(anyio_backend: str) -> None:
    episodes = _scored(20, seed=6)
    async with SelfLearningMemory(MemoryConfig(query_cache_size=0)) as memory:
        await memory.import_episodes(episodes, learn=False)
        for _ in range(3):
            await memory.retrieve_relevant_context("deploy", episodes[0].context, 5)
        assert memory._retriever.stats().cache_hits == 0


async def test_pattern_feedback_moves_evidence_episodes(anyio_backend: str) -> None:
    context = TaskContext(language="python", domain="web", tags=["api"])
    config = MemoryConfig(learn_synchronously=True)
    async with SelfLearningMemory(config) as memory:
        for seed in range(6):
            for episode in _scored(1, seed=100 + seed):
                await memory.import_episodes(
                    [msgspec.structs.replace(episode, context=context)], learn=True
                )
        patterns = [p for p in await memory.list_patterns() if memory._learning.evidence_of(p)]
        assert patterns, "expected a pattern with evidence"
        pattern = patterns[0]
        evidence = set(memory._learning.evidence_of(pattern))
        await memory.record_pattern_feedback(pattern.id, helped=False)
        await memory.record_pattern_feedback(pattern.id, helped=False)
        hits = await memory.retrieve_relevant_context("anything at all", context, 20)
        for hit in hits:
            if hit.episode.id in evidence:
                assert hit.breakdown["effectiveness"] < 0.5
            else:
                assert hit.breakdown["effectiveness"] == pytest.approx(0.5)
    # Feedback is stored with the pattern, so a reopened memory agrees.


def test_config_validates_retrieval_knobs() -> None:
    with pytest.raises(ValidationError, match="dense_search"):
        MemoryConfig(dense_search="magic")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="query_cache_size"):
        MemoryConfig(query_cache_size=-1)
    with pytest.raises(ValidationError, match="on_embedder_change"):
        MemoryConfig(on_embedder_change="ignore")  # type: ignore[arg-type]


async def test_embedder_change_reembeds_or_refuses(anyio_backend: str) -> None:
    from memory_core.embedding import EmbeddingModelChangedError, HashingEmbedder

    episodes = _scored(30, seed=8)
    storage = InMemoryStorage()
    async with SelfLearningMemory(storage=storage, embedder=HashingEmbedder(64)) as memory:
        await memory.import_episodes(episodes, learn=False)
    refused = SelfLearningMemory(
        MemoryConfig(on_embedder_change="error"), storage=storage, embedder=HashingEmbedder(128)
    )
    with pytest.raises(EmbeddingModelChangedError, match="hashing-v1-64"):
        async with refused:
            pass
    seen: list[tuple[int, int]] = []
    async with SelfLearningMemory(
        storage=storage,
        embedder=HashingEmbedder(128),
        reembed_progress=lambda done, total: seen.append((done, total)),
    ) as memory:
        hits = await memory.retrieve_relevant_context(
            episodes[3].task_description, episodes[3].context, 3
        )
        assert hits[0].episode.id == episodes[3].id
    assert seen == [(30, 30)]
    # The new model is recorded: reopening with it re-embeds nothing.
    seen.clear()
    async with SelfLearningMemory(
        storage=storage,
        embedder=HashingEmbedder(128),
        reembed_progress=lambda done, total: seen.append((done, total)),
    ):
        pass
    assert seen == []


@pytest.mark.parametrize("path", ["quantized", "ann"])
def test_every_dense_path_finds_what_the_exact_scan_finds(path: str) -> None:
    rng = np.random.default_rng(1)
    episodes = _scored(6000, seed=12)
    vectors = rng.standard_normal((len(episodes), 48)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    exact = EpisodeIndex(48, dense_path="exact")
    other = EpisodeIndex(48, dense_path=path)  # type: ignore[arg-type]
    for episode, vector in zip(episodes, vectors, strict=True):
        exact.add(episode, vector)
        other.add(episode, vector)
    assert other.dense.chosen_path(len(other)) == path
    agree = 0
    for row in range(50):
        query = vectors[row] + 0.05 * rng.standard_normal(48).astype(np.float32)
        query /= np.linalg.norm(query)
        kwargs = {
            "query_text": "",
            "query_vector": query,
            "context": episodes[row].context,
            "limit": 5,
            "weights": {**WEIGHTS, "semantic": 1.0},
            "now": NOW,
            "half_life_days": 30.0,
        }
        want = exact.search(**kwargs)  # type: ignore[arg-type]
        got = other.search(**kwargs)  # type: ignore[arg-type]
        # Scores of returned rows are exact fp32 whatever found them.
        by_id = {hit.episode_id: hit for hit in want}
        for hit in got:
            if hit.episode_id in by_id:
                assert hit.breakdown["semantic"] == pytest.approx(
                    by_id[hit.episode_id].breakdown["semantic"], abs=1e-6
                )
        agree += want[0].episode_id == got[0].episode_id
    assert agree >= 49


def test_bm25_candidates_and_exact_scores_agree_with_full_scoring() -> None:
    rng = np.random.default_rng(5)
    vocabulary = [f"w{i}" for i in range(60)]
    index = BM25Index()
    for doc in range(3000):
        # Zipf-like: low word ids are common, high ones rare.
        words = rng.zipf(1.3, size=int(rng.integers(3, 30))) % 60
        index.add(doc, [vocabulary[w] for w in words])
    for doc in range(0, 3000, 7):
        index.remove(doc)
    query_tokens = ["w0", "w1", "w2", "w45", "w57"]
    full_docs, full_scores = index.score_arrays(query_tokens)
    query = index.prepare(query_tokens)
    assert query is not None
    probe = np.arange(3000)[np.isin(np.arange(3000), full_docs)]
    assert index.score_docs(query, probe) == pytest.approx(full_scores[np.isin(full_docs, probe)])
    missing = np.setdiff1d(np.arange(1, 3000, 7), full_docs)
    assert not index.score_docs(query, missing).any()
    # An unlimited budget gives the exact lexical top k.
    top = index.candidates(query, 20, budget=10**9)
    expected = np.sort(full_docs[np.argsort(-full_scores, kind="stable")[:20]])
    assert set(top.tolist()) == set(expected.tolist()) or np.allclose(
        np.sort(index.score_docs(query, top)), np.sort(full_scores)[-20:]
    )
    # A tiny budget only sums the rarest term, whose documents are all proposed.
    rare = index.candidates(query, 10**6, budget=1)
    rarest = query.terms[0].docs
    assert set(rare.tolist()) == set(rarest.tolist())
    allowed = np.zeros(3000, dtype=bool)
    allowed[::2] = True
    assert all(allowed[d] for d in index.candidates(query, 50, allowed))


def test_bm25_keys_added_out_of_order_still_score_exactly() -> None:
    ordered, shuffled = BM25Index(), BM25Index()
    docs = {k: ["alpha"] * (k % 3 + 1) + ["beta"] * (k % 2) for k in range(50)}
    for key in range(50):
        ordered.add(key, docs[key])
    for key in reversed(range(50)):
        shuffled.add(key, docs[key])
    query = shuffled.prepare(["alpha", "beta"])
    reference = ordered.prepare(["alpha", "beta"])
    keys = np.arange(50)
    assert shuffled.score_docs(query, keys) == pytest.approx(ordered.score_docs(reference, keys))
