"""SelfLearningMemory: the async entry point agents use.

Ownership: the memory opens its storage on ``async with`` entry and closes it
on exit; it owns a task group for background work, so nothing it starts
outlives the ``async with`` block. Every public method validates its input
before touching storage, so a bad call writes nothing. Writes to one episode
are serialized by a striped lock; different episodes proceed concurrently.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import datetime
from types import TracebackType
from typing import Any

import anyio

from . import lifecycle
from .config import MemoryConfig
from .embedding import Embedder, HashingEmbedder, ReembedProgress
from .errors import EpisodeStateError, MemoryCoreError, NotFoundError, ValidationError
from .learning import LearningService, RelearnReport
from .learning.confidence import effectiveness_score
from .learning.service import ProgressCallback
from .models import (
    Episode,
    ExecutionStep,
    OutcomeStatus,
    RetrievedEpisode,
    TaskContext,
    TaskOutcome,
    utc_now,
)
from .observability.metrics import storage_retries
from .observability.tracing import span
from .patterns import Heuristic, Pattern, PatternMatch
from .redaction import SecretRedactor
from .reflection import InsightHook
from .retrieval import EpisodeRetriever
from .stats import MemoryStats, OperationCounters, StorageMetrics
from .storage import InMemoryStorage, StorageBackend, SyncReport, TieredStorage
from .storage.instrumented import InstrumentedStorage, instrument_storage_view
from .validation import (
    check_episode_size,
    normalize_tags,
    validate_context,
    validate_diversity,
    validate_episode,
    validate_episode_id,
    validate_episode_query,
    validate_limit,
    validate_metadata,
    validate_name,
    validate_outcome,
    validate_retrieval_filters,
    validate_step,
    validate_task_description,
)

__all__ = ["SelfLearningMemory"]

_LOCK_STRIPES = 64
_INDEX_BATCH = 1000


def _single_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException | None:
    """The only exception inside (possibly nested) groups, or None if there are several."""
    current: BaseException = group
    while isinstance(current, BaseExceptionGroup):
        if len(current.exceptions) != 1:
            return None
        current = current.exceptions[0]
    return current


class SelfLearningMemory:
    """Episodic memory that scores, reflects on and retrieves agents' past work.

    Use it as an async context manager (under trio or asyncio)::

        async with SelfLearningMemory() as memory:
            episode = await memory.start_episode("Build REST API endpoint", context)

    Args:
        config: limits, retrieval weights and learning settings.
        storage: where episodes live; in-memory storage when omitted.
        embedder: text embedder for the semantic signal; the dependency-free
            :class:`~memory_core.embedding.HashingEmbedder` when omitted.
        reflection_hook: optional callable adding insights to reflections.
        reembed_progress: called as ``progress(done, total)`` while opening a
            store whose vectors came from another embedding model re-embeds it
            (see ``MemoryConfig.on_embedder_change``).
    """

    def __init__(
        self,
        config: MemoryConfig | None = None,
        *,
        storage: StorageBackend | None = None,
        embedder: Embedder | None = None,
        reflection_hook: InsightHook | None = None,
        reembed_progress: ReembedProgress | None = None,
    ) -> None:
        if config is not None and not isinstance(config, MemoryConfig):
            raise ValidationError(
                f"config must be a MemoryConfig, got {type(config).__name__}", field="config"
            )
        self.config = config or MemoryConfig()
        self.storage: StorageBackend = storage if storage is not None else InMemoryStorage()
        self.embedder: Embedder = embedder or HashingEmbedder(self.config.embedding_dim)
        # Every storage call of the memory goes through this: spans, counters, latency.
        self._instrumented = InstrumentedStorage(self.storage)
        self._store: StorageBackend = instrument_storage_view(self._instrumented)
        self._reflection_hook = reflection_hook
        self._reembed_progress = reembed_progress
        self._retriever = EpisodeRetriever(self._store, self.embedder, self.config)
        self._learning = LearningService(self._store, self.config)
        self._counters = OperationCounters()
        self._redactor = SecretRedactor(self.config.redaction)
        self._stack: AsyncExitStack | None = None
        self._locks: list[anyio.Lock] = []

    def __repr__(self) -> str:
        state = "open" if self._stack is not None else "closed"
        return f"SelfLearningMemory(storage={self.storage!r}, {state})"

    # Context management ----------------------------------------------------
    async def __aenter__(self) -> SelfLearningMemory:
        if self._stack is not None:
            raise MemoryCoreError("this SelfLearningMemory is already open")
        await self.storage.open()
        stack = AsyncExitStack()
        try:
            stack.push_async_callback(self.storage.close)
            # Fresh process state on every open: storage is the source of truth.
            self._retriever = EpisodeRetriever(self._store, self.embedder, self.config)
            self._learning = LearningService(self._store, self.config)
            self._locks = [anyio.Lock() for _ in range(_LOCK_STRIPES)]
            await self._learning.load_stored()
            await self._retriever.load(self._learning.observe_loaded, self._reembed_progress)
            await self._learning.reconcile()
            self._replay_feedback()
            # Exit order (LIFO): stop the queue, let workers drain, flush, close storage.
            stack.push_async_callback(self._learning.flush)
            task_group = await stack.enter_async_context(anyio.create_task_group())
            self._learning.queue.start(task_group)
            stack.push_async_callback(self._learning.queue.close)
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        stack, self._stack = self._stack, None
        if stack is None:
            return False
        try:
            return bool(await stack.__aexit__(exc_type, exc, tb))
        except BaseExceptionGroup as group:
            # A single error leaves as itself, so `except StorageError:` works on trio too.
            leaf = _single_leaf(group)
            if leaf is None:
                raise
            if leaf is exc:
                return False
            raise leaf from leaf.__cause__

    def _require_open(self) -> None:
        if self._stack is None:
            raise MemoryCoreError(
                "SelfLearningMemory is not open; "
                "use `async with SelfLearningMemory(...) as memory:`"
            )

    @asynccontextmanager
    async def _episode_lock(self, episode_id: uuid.UUID) -> AsyncIterator[None]:
        async with self._locks[episode_id.int % _LOCK_STRIPES]:
            yield

    def _replay_feedback(self) -> None:
        """Carry stored pattern feedback into the episodes' effectiveness signal."""
        for pattern in self._learning.patterns():
            eff = pattern.effectiveness
            if eff.helped_weight or eff.hindered_weight:
                self._retriever.record_feedback(
                    pattern.id, self._learning.evidence_of(pattern), self._pattern_score(pattern)
                )

    def _pattern_score(self, pattern: Pattern) -> float:
        return effectiveness_score(
            pattern.effectiveness, utc_now(), self.config.learning.effectiveness_half_life_days
        )

    # Lifecycle -------------------------------------------------------------
    async def start_episode(
        self,
        task_description: str,
        context: TaskContext,
        *,
        task_type: str | None = None,
        tags: Iterable[str] = (),
        metadata: Mapping[str, Any] | None = None,
    ) -> Episode:
        """Begin recording a task; returns the stored in-progress episode."""
        self._require_open()
        limits = self.config.limits
        with self._counters.track("start_episode") as call:
            description = validate_task_description(task_description, limits)
            valid_context = validate_context(context, limits)
            if task_type is not None:
                task_type = validate_name(task_type, limits, "task_type")
            episode = lifecycle.new_episode(
                description,
                valid_context,
                now=utc_now(),
                task_type=task_type,
                tags=normalize_tags(tags, limits, "tags"),
                metadata=validate_metadata(metadata, limits),
            )
            episode = self._redactor.episode(episode, limits)  # secrets out before storing
            call.bind_episode(episode.id)
            check_episode_size(episode, limits)
            await self._store.put_episode(episode)
            return episode

    async def _in_progress(self, episode_id: uuid.UUID, operation: str) -> Episode:
        episode = await self._store.get_episode(episode_id)
        if episode is None:
            raise NotFoundError(f"episode {episode_id} does not exist")
        if episode.is_completed:
            raise EpisodeStateError(
                f"cannot {operation}: episode {episode_id} is already completed"
            )
        return episode

    async def log_step(self, episode_id: uuid.UUID | str, step: ExecutionStep) -> int:
        """Append a step to an in-progress episode; returns its 1-based step number."""
        self._require_open()
        limits = self.config.limits
        with self._counters.track("log_step") as call:
            episode_uuid = validate_episode_id(episode_id)
            call.bind_episode(episode_uuid)
            valid_step = validate_step(step, limits)
            valid_step = self._redactor.step(valid_step, limits)
            async with self._episode_lock(episode_uuid):
                episode = await self._in_progress(episode_uuid, "log a step")
                if len(episode.steps) >= limits.max_steps_per_episode:
                    raise ValidationError(
                        f"episode.steps: episode {episode_uuid} already has "
                        f"{len(episode.steps)} steps; the limit is {limits.max_steps_per_episode}",
                        field="episode.steps",
                    )
                updated = lifecycle.add_step(episode, valid_step)
                check_episode_size(updated, limits)
                await self._store.put_episode(updated)
                return len(updated.steps)

    async def complete_episode(self, episode_id: uuid.UUID | str, outcome: TaskOutcome) -> Episode:
        """Record the outcome; returns the episode with reward and reflection set."""
        self._require_open()
        with self._counters.track("complete_episode") as call:
            episode_uuid = validate_episode_id(episode_id)
            call.bind_episode(episode_uuid)
            valid_outcome = validate_outcome(outcome, self.config.limits)
            valid_outcome = self._redactor.outcome(valid_outcome, self.config.limits)
            async with self._episode_lock(episode_uuid):
                episode = await self._in_progress(episode_uuid, "complete it")
                with span("lifecycle.complete"):
                    completed = lifecycle.complete(
                        episode, valid_outcome, now=utc_now(), reflection_hook=self._reflection_hook
                    )
                check_episode_size(completed, self.config.limits)
                await self._store.put_episode(completed)
                with span("retrieval.index", **{"memory.episodes": 1}):
                    await self._retriever.add([completed])
            # Stored and indexed first: a learning failure or a full queue never loses it.
            if self.config.learn_synchronously:
                with span("learning.learn", **{"memory.episodes": 1}):
                    await self._learning.learn([completed])
            else:
                with span("learning.enqueue"):
                    await self._learning.queue.put(completed)
            return completed

    async def import_episodes(self, episodes: Iterable[Episode], *, learn: bool = True) -> int:
        """Store completed episodes (e.g. from a JSONL export) in batches; returns the count.

        Every episode is validated first; if any is invalid nothing is written.
        Reward and reflection are computed for episodes that lack them. With
        ``learn=True`` patterns are learned from each batch before this returns;
        with ``learn=False`` they are learned by the next :meth:`relearn` (or
        the next time a memory opens this storage).
        """
        self._require_open()
        limits = self.config.limits
        prepared: list[Episode] = []
        with self._counters.track("import_episodes"):
            for position, candidate in enumerate(episodes):
                try:
                    episode = validate_episode(candidate, limits)
                    episode = self._redactor.episode(episode, limits)
                except ValidationError as exc:
                    raise ValidationError(f"episodes[{position}]: {exc}", field=exc.field) from exc
                if episode.outcome is None:
                    raise EpisodeStateError(
                        f"episodes[{position}]: only completed episodes can be imported"
                    )
                prepared.append(lifecycle.ensure_scored(episode, self._reflection_hook))
            for start in range(0, len(prepared), _INDEX_BATCH):
                batch = prepared[start : start + _INDEX_BATCH]
                await self._store.put_episodes(batch)
                await self._retriever.add(batch)
                if learn:
                    await self._learning.learn(batch)
        return len(prepared)

    # Reading ---------------------------------------------------------------
    async def get_episode(self, episode_id: uuid.UUID | str) -> Episode:
        """The episode with this id; NotFoundError if there is none."""
        self._require_open()
        with self._counters.track("get_episode") as call:
            episode_uuid = validate_episode_id(episode_id)
            call.bind_episode(episode_uuid)
            episode = await self._store.get_episode(episode_uuid)
            if episode is None:
                raise NotFoundError(f"episode {episode_uuid} does not exist")
            return episode

    async def list_episodes(
        self,
        *,
        domain: str | None = None,
        tags: Iterable[str] = (),
        outcome: OutcomeStatus | None = None,
        since: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Episode]:
        """Episodes newest first, filtered by domain, tags (all must match) and outcome status."""
        self._require_open()
        with self._counters.track("list_episodes"):
            query = validate_episode_query(
                self.config.limits,
                domain=domain,
                tags=tags,
                outcome=outcome,
                since=since,
                limit=limit,
                offset=offset,
            )
            return await self._store.list_episodes(query)

    async def delete_episode(self, episode_id: uuid.UUID | str) -> None:
        """Delete an episode everywhere; NotFoundError if there is none."""
        self._require_open()
        with self._counters.track("delete_episode") as call:
            episode_uuid = validate_episode_id(episode_id)
            call.bind_episode(episode_uuid)
            async with self._episode_lock(episode_uuid):
                episode = await self._store.get_episode(episode_uuid)
                if episode is None or not await self._store.delete_episode(episode_uuid):
                    raise NotFoundError(f"episode {episode_uuid} does not exist")
                self._retriever.remove(episode_uuid)
            await self._learning.forget(episode)

    async def retrieve_relevant_context(
        self,
        task_description: str,
        context: TaskContext,
        limit: int = 5,
        *,
        domain: str | None = None,
        tags: Iterable[str] = (),
        outcome: OutcomeStatus | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        diversity: float = 0.0,
    ) -> list[RetrievedEpisode]:
        """The completed episodes most relevant to a new task, best first.

        Every result carries ``score`` (weighted mean of the signals, in [0, 1])
        and ``breakdown`` (each signal's value: semantic, lexical, context,
        recency, reward, effectiveness). Episodes from other domains are ranked
        lower through the context signal, never dropped, unless a filter asks
        for it.

        Args:
            task_description: the new task, as the agent would describe it.
            context: the new task's context.
            limit: how many episodes to return (1 to ``limits.max_limit``).
            domain: only return episodes of this domain.
            tags: only return episodes carrying all of these tags.
            outcome: only return episodes with this outcome status.
            since / until: only return episodes completed in ``[since, until)``.
            diversity: 0 (default) ranks by relevance alone; up to 1, results
                are re-ordered by maximal marginal relevance so near-duplicate
                episodes give way to different ones.
        """
        self._require_open()
        limits = self.config.limits
        with self._counters.track("retrieve_relevant_context"):
            query = validate_task_description(task_description, limits)
            valid_context = validate_context(context, limits)
            count = validate_limit(limit, limits)
            filters = validate_retrieval_filters(
                limits, domain=domain, tags=tags, outcome=outcome, since=since, until=until
            )
            mix = validate_diversity(diversity)
            with span("retrieval.search", **{"memory.limit": count}):
                hits = await self._retriever.search(
                    query, valid_context, count, filters=filters, diversity=mix, now=utc_now()
                )
            episodes = await self._store.get_episodes([hit.episode_id for hit in hits])
            by_id = {episode.id: episode for episode in episodes}
            return [
                RetrievedEpisode(
                    episode=by_id[hit.episode_id], score=hit.score, breakdown=hit.breakdown
                )
                for hit in hits
                if hit.episode_id in by_id
            ]

    # Learning --------------------------------------------------------------
    async def wait_learned(self) -> None:
        """Wait until every completed episode queued for learning has been learned."""
        self._require_open()
        await self._learning.queue.join()

    async def relearn(self, progress: ProgressCallback | None = None) -> RelearnReport:
        """Re-mine patterns and heuristics from every stored episode, from scratch.

        Use after importing with ``learn=False`` or after changing learning
        thresholds. ``progress(done, total)`` is called after each batch.
        Effectiveness history of patterns that still exist is kept.
        """
        self._require_open()
        with self._counters.track("relearn"):
            return await self._learning.relearn(progress)

    async def retrieve_relevant_patterns(
        self, task_description: str, context: TaskContext, limit: int = 5
    ) -> list[PatternMatch]:
        """Patterns worth applying to a new task, best first, with score breakdowns."""
        self._require_open()
        limits = self.config.limits
        with self._counters.track("retrieve_relevant_patterns"):
            query = validate_task_description(task_description, limits)
            return self._learning.rank(
                query, validate_context(context, limits), validate_limit(limit, limits)
            )

    async def retrieve_heuristics(self, context: TaskContext, limit: int = 10) -> list[Heuristic]:
        """Condition → action rules that apply to a context, most trustworthy first."""
        self._require_open()
        limits = self.config.limits
        return self._learning.rank_heuristics(
            validate_context(context, limits), validate_limit(limit, limits)
        )

    async def list_patterns(self) -> list[Pattern]:
        """Every learned pattern, ordered by id."""
        self._require_open()
        return self._learning.patterns()

    async def record_pattern_feedback(self, pattern_id: uuid.UUID | str, helped: bool) -> Pattern:
        """Record that a pattern was applied and whether it helped; returns the updated pattern."""
        self._require_open()
        with self._counters.track("record_pattern_feedback"):
            pattern_uuid = validate_episode_id(pattern_id, "pattern_id")
            if not isinstance(helped, bool):
                raise ValidationError(
                    f"helped: must be a bool, got {type(helped).__name__}", field="helped"
                )
            pattern = await self._learning.feedback(pattern_uuid, helped)
            self._retriever.record_feedback(
                pattern.id, self._learning.evidence_of(pattern), self._pattern_score(pattern)
            )
            return pattern

    async def sync_memories(self) -> SyncReport:
        """Reconcile the cache with durable storage (durable wins) and report the changes.

        Only tiered storage has a cache; with any other storage this reports nothing.
        """
        self._require_open()
        with self._counters.track("sync_memories"):
            if isinstance(self.storage, TieredStorage):
                return await self.storage.sync_memories()
            return SyncReport()

    def _storage_metrics(self) -> StorageMetrics:
        cache = self.storage if isinstance(self.storage, TieredStorage) else None
        return StorageMetrics(
            calls=self._instrumented.snapshot(),
            retries=sum(storage_retries().values()),
            cache_hits=cache.hits if cache is not None else None,
            cache_misses=cache.misses if cache is not None else None,
        )

    async def stats(self) -> MemoryStats:
        """Counts of stored items and per-operation call counters and latencies."""
        self._require_open()
        return MemoryStats(
            episodes=await self._store.count_episodes(),
            completed_episodes=await self._store.count_episodes(completed=True),
            indexed_episodes=len(self._retriever.index),
            patterns=await self._store.count_patterns(),
            heuristics=await self._store.count_heuristics(),
            embedder=self.embedder.name,
            storage=type(self.storage).__name__,
            operations=self._counters.snapshot(),
            learning=self._learning.stats(),
            retrieval=self._retriever.stats(),
            storage_metrics=self._storage_metrics(),
            uptime_s=time.monotonic() - self._counters.started,
            redaction=self._redactor.stats(),
        )
