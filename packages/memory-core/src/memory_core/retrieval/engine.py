"""Episode retrieval for a memory: embedding, the index, the result cache, feedback.

:class:`EpisodeRetriever` owns the process-local :class:`~.index.EpisodeIndex`
built from storage at open. It embeds each episode once (vectors are stored
per model name, so vectors of two models are never mixed), answers queries
through a small result cache that every index change invalidates, and turns
pattern feedback into the per-episode ``effectiveness`` signal: an episode's
value is the mean effectiveness score of the patterns it is evidence for
(0.5, neutral, when none has feedback).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime

import anyio
import msgspec
import numpy as np
import numpy.typing as npt

from ..config import MemoryConfig
from ..embedding import (
    Embedder,
    HashingEmbedder,
    ReembedProgress,
    check_embedding_model,
    record_embedding_model,
)
from ..models import Episode, TaskContext
from ..storage import StorageBackend
from .filters import RetrievalFilters
from .index import NEUTRAL_EFFECTIVENESS, EpisodeIndex, ScoredEpisode

__all__ = ["EpisodeRetriever", "RetrievalStats"]

_INDEX_BATCH = 1000
_log = logging.getLogger("memory_core.retrieval")
_CONTEXT_KEY = msgspec.json.Encoder()


class RetrievalStats(msgspec.Struct, frozen=True, kw_only=True):
    """Retrieval state: index size, dense path, vector memory, cache counters."""

    indexed_episodes: int
    dense_path: str
    vector_bytes: dict[str, int]
    cache_hits: int
    cache_misses: int


class _ResultCache:
    """LRU of recent results, dropped wholesale when the index changes or entries age."""

    def __init__(self, size: int, ttl_s: float) -> None:
        self._size = size
        self._ttl_s = ttl_s
        self._entries: OrderedDict[object, tuple[float, list[ScoredEpisode]]] = OrderedDict()
        self._generation = -1
        self.hits = 0
        self.misses = 0

    def get(self, key: object, generation: int) -> list[ScoredEpisode] | None:
        if generation != self._generation:
            self._entries.clear()
            self._generation = generation
        entry = self._entries.get(key)
        if entry is None or time.monotonic() - entry[0] > self._ttl_s:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: object, generation: int, hits: list[ScoredEpisode]) -> None:
        if self._size <= 0 or generation != self._generation:
            return
        self._entries[key] = (time.monotonic(), hits)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)


class EpisodeRetriever:
    """The retrieval side of a :class:`~memory_core.SelfLearningMemory`."""

    def __init__(self, storage: StorageBackend, embedder: Embedder, config: MemoryConfig) -> None:
        self._storage = storage
        self._embedder = embedder
        self._config = config
        self.index = EpisodeIndex(embedder.dim, dense_path=config.dense_search)
        self._cache = _ResultCache(config.query_cache_size, config.query_cache_ttl_s)
        # episode -> {pattern: effectiveness score} for patterns with feedback
        self._feedback: dict[uuid.UUID, dict[uuid.UUID, float]] = {}

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """Embed texts; slow or I/O-bound embedders run in a worker thread."""
        if isinstance(self._embedder, HashingEmbedder):
            return self._embedder.embed(texts)
        return await anyio.to_thread.run_sync(self._embedder.embed, list(texts))

    async def load(
        self,
        observe: Callable[[Sequence[Episode]], None],
        progress: ReembedProgress | None = None,
    ) -> None:
        """Index every completed stored episode, handing each batch to ``observe`` too.

        The store records which embedding model made its vectors. If that is not
        the configured embedder, ``on_embedder_change="error"`` raises
        :class:`~memory_core.errors.EmbeddingModelChangedError` before anything
        is written; ``"reembed"`` embeds every episode with the new model while
        loading (``progress(done, total)`` after each batch, and log lines), and
        then records the new model.
        """
        check = await check_embedding_model(
            self._storage, self._embedder, on_change=self._config.on_embedder_change
        )
        total = await self._storage.count_episodes(completed=True)
        if check.changed and check.stored is not None:
            _log.warning(
                "embedding model changed from %s (dim %d) to %s (dim %d): re-embedding %d episodes",
                check.stored.name,
                check.stored.dim,
                check.current.name,
                check.current.dim,
                total,
            )
        self.index = EpisodeIndex(self._embedder.dim, dense_path=self._config.dense_search)
        self.index.reserve(total)
        done = 0
        async for batch in self._storage.iter_episodes(completed=True, batch_size=_INDEX_BATCH):
            await self.add(batch)
            observe(batch)
            done += len(batch)
            if check.changed:
                _log.info("re-embedded %d of %d episodes", done, total)
                if progress is not None:
                    progress(done, total)
        if check.stored != check.current:
            await record_embedding_model(self._storage, self._embedder)

    async def add(self, episodes: Sequence[Episode]) -> None:
        """Index completed episodes, embedding (and storing vectors for) those without one."""
        model = self._embedder.name
        stored = await self._storage.get_embeddings("episode", model, [e.id for e in episodes])
        missing = [e for e in episodes if e.id not in stored]
        if missing:
            vectors = await self.embed([e.task_description for e in missing])
            fresh = list(zip([e.id for e in missing], vectors, strict=True))
            await self._storage.put_embeddings("episode", model, fresh)
            stored.update(fresh)
        self.index.reserve(len(episodes))
        for episode in episodes:
            self.index.add(
                episode, stored[episode.id], effectiveness=self._effectiveness(episode.id)
            )

    def remove(self, episode_id: uuid.UUID) -> None:
        """Drop an episode from the index."""
        self.index.remove(episode_id)
        self._feedback.pop(episode_id, None)

    def _effectiveness(self, episode_id: uuid.UUID) -> float:
        scores = self._feedback.get(episode_id)
        if not scores:
            return NEUTRAL_EFFECTIVENESS
        return sum(scores.values()) / len(scores)

    def record_feedback(
        self, pattern_id: uuid.UUID, evidence: Sequence[uuid.UUID], score: float
    ) -> None:
        """A pattern's effectiveness score changed: update the episodes it came from."""
        for episode_id in evidence:
            self._feedback.setdefault(episode_id, {})[pattern_id] = score
            self.index.set_effectiveness(episode_id, self._effectiveness(episode_id))

    async def search(
        self,
        query: str,
        context: TaskContext,
        limit: int,
        *,
        filters: RetrievalFilters | None,
        diversity: float,
        now: datetime,
    ) -> list[ScoredEpisode]:
        """The best ``limit`` episodes for a query (cached until the index changes)."""
        weights = self._config.retrieval_weights.as_dict()
        key = (query, _CONTEXT_KEY.encode(context), limit, filters, diversity)
        generation = self.index.generation
        cached = self._cache.get(key, generation)
        if cached is not None:
            return cached
        vector = (await self.embed([query]))[0]
        hits = self.index.search(
            query_text=query,
            query_vector=vector,
            context=context,
            limit=limit,
            weights=weights,
            now=now,
            half_life_days=self._config.recency_half_life_days,
            filters=filters,
            diversity=diversity,
        )
        self._cache.put(key, generation, hits)
        return hits

    def stats(self) -> RetrievalStats:
        """A snapshot of the retrieval state."""
        return RetrievalStats(
            indexed_episodes=len(self.index),
            dense_path=self.index.dense.chosen_path(len(self.index)),
            vector_bytes=self.index.memory_bytes(),
            cache_hits=self._cache.hits,
            cache_misses=self._cache.misses,
        )
