"""Running labelled queries against a memory and scoring its rankings.

Every weight variant gets its own :class:`~memory_core.SelfLearningMemory` (its own
config) over one shared in-memory storage: the corpus is imported once, and each later
memory rebuilds its index from storage on open (stored embeddings are read back), exactly
as a restarted process would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import msgspec

from memory_core import MemoryConfig, RetrievalWeights, SelfLearningMemory
from memory_core.storage import InMemoryStorage

from ._eval_corpus import EvalCorpus, LabelledQuery
from .ranking_metrics import ndcg_at_k, percentiles, recall_at_k, reciprocal_rank

__all__ = ["EvalReport", "QueryScore", "VariantResult", "evaluate_retrieval", "signal_variants"]

Progress = Callable[[str], None]
_PROGRESS_EVERY = 100


class QueryScore(msgspec.Struct, frozen=True, kw_only=True):
    """How one query fared under one variant (for finding where a signal wins or loses)."""

    intent: str
    context: str  # "full", "domain" or "mismatch"
    recall_at_5: float
    reciprocal_rank: float
    ndcg_at_10: float


class VariantResult(msgspec.Struct, frozen=True, kw_only=True):
    """Mean metrics of one weight variant over every query, plus latency percentiles."""

    name: str
    weights: dict[str, float]
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr: float
    ndcg_at_10: float
    latency_p50_ms: float
    latency_p95_ms: float
    latency_p99_ms: float
    per_query: list[QueryScore]


class EvalReport(msgspec.Struct, frozen=True, kw_only=True):
    """Everything one harness run measured.

    ``recall_ceiling`` is the recall@k a perfect ranking reaches (``k`` as a string key):
    queries with more than ``k`` relevant episodes cannot be fully recalled in ``k``.
    """

    seed: int
    episodes: int
    queries: int
    mean_relevant: float
    limit: int
    recall_ceiling: dict[str, float]
    variants: list[VariantResult]


def _recall_ceiling(corpus: EvalCorpus, k: int) -> float:
    sizes = [len(q.relevant) for q in corpus.queries if q.relevant]
    return sum(min(k, size) / size for size in sizes) / max(len(corpus.queries), 1)


def signal_variants(hybrid: RetrievalWeights | None = None) -> dict[str, RetrievalWeights]:
    """``{"hybrid": hybrid}`` plus one variant per retrieval signal with only it switched on.

    Signals are read from :class:`RetrievalWeights` itself, so new signals are covered.
    """
    hybrid = hybrid if hybrid is not None else RetrievalWeights()
    names = RetrievalWeights.__struct_fields__
    variants = {"hybrid": hybrid}
    for name in names:
        variants[name] = RetrievalWeights(**{n: 1.0 if n == name else 0.0 for n in names})
    return variants


def _context_kind(query: LabelledQuery) -> str:
    if query.context_mismatch:
        return "mismatch"
    return "full" if query.context.language is not None else "domain"


async def _run_variant(
    memory: SelfLearningMemory,
    name: str,
    corpus: EvalCorpus,
    limit: int,
    progress: Progress | None,
) -> VariantResult:
    scores: list[QueryScore] = []
    recalls: dict[int, list[float]] = {1: [], 5: [], 10: []}
    latencies: list[float] = []
    for position, query in enumerate(corpus.queries, start=1):
        started = time.perf_counter()
        hits = await memory.retrieve_relevant_context(query.text, query.context, limit)
        latencies.append((time.perf_counter() - started) * 1000.0)
        ranking = [hit.episode.id for hit in hits]
        for k, values in recalls.items():
            values.append(recall_at_k(ranking, query.relevant, k))
        scores.append(
            QueryScore(
                intent=query.intent,
                context=_context_kind(query),
                recall_at_5=recalls[5][-1],
                reciprocal_rank=reciprocal_rank(ranking, query.relevant),
                ndcg_at_10=ndcg_at_k(ranking, query.relevant, 10),
            )
        )
        if progress is not None and position % _PROGRESS_EVERY == 0:
            progress(f"{name}: {position}/{len(corpus.queries)} queries")
    count = max(len(scores), 1)
    latency = percentiles(latencies) if latencies else {50.0: 0.0, 95.0: 0.0, 99.0: 0.0}
    return VariantResult(
        name=name,
        weights=memory.config.retrieval_weights.as_dict(),
        recall_at_1=sum(recalls[1]) / count,
        recall_at_5=sum(recalls[5]) / count,
        recall_at_10=sum(recalls[10]) / count,
        mrr=sum(s.reciprocal_rank for s in scores) / count,
        ndcg_at_10=sum(s.ndcg_at_10 for s in scores) / count,
        latency_p50_ms=latency[50.0],
        latency_p95_ms=latency[95.0],
        latency_p99_ms=latency[99.0],
        per_query=scores,
    )


async def evaluate_retrieval(
    corpus: EvalCorpus,
    variants: Mapping[str, RetrievalWeights],
    *,
    limit: int = 10,
    progress: Progress | None = None,
) -> EvalReport:
    """Run every query of ``corpus`` under every weight variant and score the rankings.

    Recall@1/5/10, MRR and nDCG@10 are means over the queries; latency percentiles are of
    one ``retrieve_relevant_context`` call (embedding, search and fetching the episodes).
    ``progress`` receives a line now and then during long phases.
    """
    if not variants:
        raise ValueError("variants must name at least one weight variant")
    if limit < 10:
        raise ValueError(f"limit must be at least 10 (recall@10 and nDCG@10), got {limit}")
    storage = InMemoryStorage()
    results = []
    imported = False
    for name, weights in variants.items():
        config = MemoryConfig(retrieval_weights=weights)
        started = time.perf_counter()
        async with SelfLearningMemory(config, storage=storage) as memory:
            if not imported:
                await memory.import_episodes(corpus.episodes, learn=False)
                imported = True
            if progress is not None:
                elapsed = time.perf_counter() - started
                progress(
                    f"{name}: memory ready with {len(corpus.episodes)} episodes in {elapsed:.1f} s"
                )
            results.append(await _run_variant(memory, name, corpus, limit, progress))
    relevant = [len(q.relevant) for q in corpus.queries]
    return EvalReport(
        seed=corpus.seed,
        episodes=len(corpus.episodes),
        queries=len(corpus.queries),
        mean_relevant=sum(relevant) / max(len(relevant), 1),
        limit=limit,
        recall_ceiling={str(k): _recall_ceiling(corpus, k) for k in (1, 5, 10)},
        variants=results,
    )
